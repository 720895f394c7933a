"""Applying the fixes diagnostics carry (``lint --fix``, the editor's code actions).

Edits are applied from the end of the text backwards so earlier offsets stay
valid; an edit overlapping one already taken is left for the next round.
Rounds repeat (re-checking the text) until nothing applicable is left, so a
fix that rewrites a whole block and a rename inside it do not collide.
"""

from __future__ import annotations

from typing import Callable

from .diagnostics import Diagnostic, Fix, TextEdit

MAX_ROUNDS = 10


def apply_edits(text: str, edits: list[TextEdit]) -> str:
    """Apply non-overlapping edits (offsets in code points); overlapping ones raise ValueError."""
    ordered = sorted(edits, key=lambda e: (e.range.start.offset, e.range.end.offset))
    for a, b in zip(ordered, ordered[1:]):
        if b.range.start.offset < a.range.end.offset:
            raise ValueError("overlapping edits")
    out = text
    for e in reversed(ordered):
        out = out[: e.range.start.offset] + e.new_text + out[e.range.end.offset:]
    return out


def _choose(diagnostics: list[Diagnostic], unsafe: bool) -> tuple[list[TextEdit], int]:
    """Pick one fix per diagnostic whose edits do not overlap those already picked."""
    taken: list[TextEdit] = []
    count = 0
    for d in diagnostics:
        fix: Fix | None = next((f for f in d.fixes if f.safe or unsafe), None)
        if fix is None:
            continue
        spans = [(e.range.start.offset, e.range.end.offset) for e in fix.edits]
        if any(a < te.range.end.offset and te.range.start.offset < b or (a == b == te.range.start.offset)
               for a, b in spans for te in taken):
            continue
        taken.extend(fix.edits)
        count += 1
    return taken, count


def fix_text(text: str, check: Callable[[str], list[Diagnostic]], unsafe: bool = False) -> tuple[str, int]:
    """Apply fixes until none is left; returns the new text and how many were applied."""
    total = 0
    for _ in range(MAX_ROUNDS):
        edits, count = _choose(check(text), unsafe)
        if not count:
            break
        try:
            new = apply_edits(text, edits)
        except ValueError:
            break
        if new == text:
            break
        text, total = new, total + count
    return text, total
