"""The one table of rules: code, name, default severity and documentation.

Every diagnostic the tool can emit has an entry here, so ``prototxt-ls rules``
can list them, ``prototxt-ls rule CODE`` can explain one, configuration can
select, ignore or re-grade them by code or name, and a test can insist each
has its documentation.  Checks refer to rules by code and never invent
severities of their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..diagnostics import Severity


@dataclass(frozen=True, slots=True)
class Rule:
    """A documented kind of finding.

    ``why`` says what goes wrong in Caffe when the rule fires; ``bad`` and
    ``good`` are small prototxt snippets shown by ``prototxt-ls rule CODE``.
    """

    code: str
    name: str
    severity: Severity
    summary: str
    why: str
    bad: str
    good: str
    family: str

    def doc_markdown(self) -> str:
        """The rule's documentation, ruff-style, as Markdown."""
        return (
            f"# {self.code} {self.name}\n\n"
            f"Default severity: **{self.severity.label}**\n\n"
            f"## What it does\n{self.summary}\n\n"
            f"## Why is this bad?\n{self.why}\n\n"
            f"## Example\n```prototxt\n{self.bad.rstrip()}\n```\n\n"
            f"## Use instead\n```prototxt\n{self.good.rstrip()}\n```\n"
        )


RULES: dict[str, Rule] = {}
_BY_NAME: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    """Add a rule to the table; codes and names must be unique."""
    if rule.code in RULES or rule.name in _BY_NAME:
        raise ValueError(f"rule {rule.code}/{rule.name} registered twice")
    RULES[rule.code] = rule
    _BY_NAME[rule.name] = rule
    return rule


def lookup(code_or_name: str) -> Rule | None:
    """Find a rule by code (``F101``) or name (``unknown-field``), any case."""
    key = code_or_name.strip()
    return RULES.get(key.upper()) or _BY_NAME.get(key.lower())


def expand(selectors: list[str] | tuple[str, ...]) -> set[str]:
    """Codes matched by selectors: a code, a name, a prefix (``F``, ``F1``) or ``ALL``.

    Unknown selectors raise ValueError with the offending text, so a typo in
    configuration is reported instead of silently selecting nothing.
    """
    _ensure_loaded()
    out: set[str] = set()
    for sel in selectors:
        s = sel.strip()
        if not s:
            continue
        if s.upper() == "ALL":
            out.update(RULES)
            continue
        rule = lookup(s)
        if rule is not None:
            out.add(rule.code)
            continue
        prefixed = {c for c in RULES if c.startswith(s.upper())}
        if not prefixed:
            raise ValueError(f"unknown rule code or name: {sel!r}")
        out.update(prefixed)
    return out


def all_rules() -> list[Rule]:
    """Every registered rule, sorted by code."""
    _ensure_loaded()
    return sorted(RULES.values(), key=lambda r: r.code)


#: Modules whose import registers rules (one per family of checks).
CATALOGS = ("catalog", "catalog_pitfalls", "catalog_solver", "catalog_data", "catalog_sim")


def _ensure_loaded() -> None:
    import importlib

    for name in CATALOGS:
        importlib.import_module(f"{__package__}.{name}")
