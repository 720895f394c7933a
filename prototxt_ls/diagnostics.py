"""The one result type every check produces.

A Diagnostic knows nothing of terminals or LSP: the CLI renders it with rich,
the server converts it to ``lsprotocol`` types, the JSON output serialises it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from .positions import Range


class Severity(IntEnum):
    """Ordered like LSP's DiagnosticSeverity: lower is more severe."""

    ERROR = 1
    WARNING = 2
    INFO = 3
    HINT = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> "Severity":
        """Read ``error``/``warning``/``info``/``hint`` (also ``information``)."""
        key = text.strip().lower()
        if key in ("information", "note"):
            key = "info"
        try:
            return cls[key.upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r}: use error, warning, info or hint") from None


@dataclass(frozen=True, slots=True)
class TextEdit:
    """Replace ``range`` of the document with ``new_text``."""

    range: Range
    new_text: str


@dataclass(frozen=True, slots=True)
class Fix:
    """A suggested change; ``safe`` fixes may be applied without asking."""

    title: str
    edits: tuple[TextEdit, ...]
    safe: bool = True


@dataclass(slots=True)
class Diagnostic:
    """One finding: a rule code, where it is, what is wrong, how to fix it."""

    code: str
    message: str
    range: Range
    severity: Severity
    name: str = ""
    fixes: list[Fix] = field(default_factory=list)
    #: Other places that explain this one (e.g. the first of two duplicates).
    related: list[tuple[Range, str]] = field(default_factory=list)
