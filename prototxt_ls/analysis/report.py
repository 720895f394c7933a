"""Collects findings as Diagnostics, taking each rule's name and severity from the registry."""

from __future__ import annotations

from ..diagnostics import Diagnostic, Fix, TextEdit
from ..positions import Range
from ..rules.registry import RULES, _ensure_loaded


class Sink:
    """Where checks put their findings; knows nothing of output formats."""

    def __init__(self) -> None:
        _ensure_loaded()
        self.items: list[Diagnostic] = []

    def add(self, code: str, rng: Range, message: str, fixes: list[Fix] | None = None,
            related: list[tuple[Range, str]] | None = None) -> Diagnostic:
        rule = RULES[code]
        d = Diagnostic(code, message, rng, rule.severity, rule.name, fixes or [], related or [])
        self.items.append(d)
        return d


def replace_fix(title: str, rng: Range, text: str, safe: bool = True) -> Fix:
    """A one-edit fix: put ``text`` in place of ``rng``."""
    return Fix(title, (TextEdit(rng, text),), safe)
