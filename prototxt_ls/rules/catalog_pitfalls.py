"""Rules of the pitfalls family (documentation and defaults; the checks live in rules/pitfalls_rules.py)."""
