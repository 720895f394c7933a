"""Rules of the solver family (documentation and defaults; the checks live in rules/solver_rules.py)."""
