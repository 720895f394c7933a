"""Rules of the data family (documentation and defaults; the checks live in rules/data_rules.py)."""
