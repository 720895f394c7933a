"""Results per syntax block, carried from one check of a document to the next.

The language server re-parses only the top-level blocks an edit touched
(``syntax/incremental.py``); every other block is the same object as in the
previous version, possibly moved.  A :class:`Memo` remembers what the checks
computed for such a block (its schema findings, its LayerView, its shapes
for given input shapes) so the next check reuses them instead of redoing
them.  A result is found only for the very same node object with the same
extra key, so a block that changed (a new object) is always recomputed.

Findings keep absolute ranges; a block that moved reports them moved by the
distance its segment shifted since they were computed (:func:`moved`).
Entries not used by a check are dropped at the next one, so the memo holds
one version's worth of results.  The CLI does not use a memo.
"""

from __future__ import annotations

from dataclasses import replace

from ..diagnostics import Diagnostic, Fix, TextEdit
from ..positions import LineIndex, Range
from ..syntax.lexer import Segment
from ..syntax.tree import Field, Message


def segment_of(node: Field | Message) -> Segment:
    return node.name_token[4] if type(node) is Field else node.open[4]


class Memo:
    """Per-block results of the previous check (see the module doc)."""

    def __init__(self) -> None:
        self._old: dict[tuple, tuple] = {}
        self._new: dict[tuple, tuple] = {}
        self._schema: tuple | None = None
        self.hits = 0
        self.misses = 0

    def start(self, *context: object) -> None:
        """Begin a check: what the last one stored becomes what this one may
        reuse, unless the ``context`` (schema, root message) is another one."""
        same = self._schema is not None and len(context) == len(self._schema) and all(
            a is b for a, b in zip(context, self._schema))
        self._old = self._new if same else {}
        self._new = {}
        self._schema = context
        self.hits = self.misses = 0

    def get(self, kind: str, node: Field | Message, key: object = None) -> tuple[object, int] | None:
        """``(value, delta)``: the stored value and how far the node moved since; None if absent."""
        k = (kind, id(node), key)
        entry = self._old.get(k)
        if entry is None or entry[0] is not node:
            entry = self._new.get(k)  # stored earlier in this check (the other phase)
            if entry is None or entry[0] is not node:
                self.misses += 1
                return None
        self._new[k] = entry
        self.hits += 1
        return entry[3], entry[1].shift - entry[2]

    def put(self, kind: str, node: Field | Message, key: object, value: object) -> None:
        seg = segment_of(node)
        self._new[(kind, id(node), key)] = (node, seg, seg.shift, value)


def moved_range(r: Range, delta: int, lines: LineIndex) -> Range:
    if not delta:
        return r
    return lines.range(r.start.offset + delta, r.end.offset + delta)


def moved_fixes(fixes: list[Fix], delta: int, lines: LineIndex) -> list[Fix]:
    if not delta:
        return list(fixes)
    return [Fix(f.title, tuple(TextEdit(moved_range(e.range, delta, lines), e.new_text) for e in f.edits), f.safe)
            for f in fixes]


def moved_related(related: list[tuple[Range, str]], delta: int, lines: LineIndex) -> list[tuple[Range, str]]:
    return [(moved_range(r, delta, lines), text) for r, text in related]


def moved(d: Diagnostic, delta: int, lines: LineIndex) -> Diagnostic:
    """A copy of ``d`` (later steps adjust severities in place) with its
    ranges ``delta`` characters on."""
    return replace(d, range=moved_range(d.range, delta, lines), fixes=moved_fixes(d.fixes, delta, lines),
                   related=moved_related(d.related, delta, lines))
