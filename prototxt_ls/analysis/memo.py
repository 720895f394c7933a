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
Entries no check has used for a few versions are dropped, so the memo
holds a few versions' worth of results.  The CLI does not use a memo.
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
    """Per-block results of recent checks (see the module doc).

    An entry lives while some check in the last :data:`KEEP` used it: an
    edit that is undone, or a typo that breaks a layer's output and is then
    fixed, brings back input shapes the layers after it saw a few versions
    ago, and their results are still here.  Entries hold their block, so a
    block's id is never reused while its entry lives.
    """

    #: How many checks an unused entry survives.
    KEEP = 8

    def __init__(self) -> None:
        self._entries: dict[tuple, tuple] = {}
        self._context: tuple | None = None
        self._check = 0
        self.hits = 0
        self.misses = 0

    def start(self, *context: object) -> None:
        """Begin a check; forget everything when the ``context`` (schema, root
        message) is not the last check's."""
        same = self._context is not None and len(context) == len(self._context) and all(
            a is b for a, b in zip(context, self._context))
        if not same:
            self._entries = {}
        self._context = context
        self._check += 1
        if self._check % self.KEEP == 0:
            oldest = self._check - self.KEEP
            self._entries = {k: e for k, e in self._entries.items() if e[4] > oldest}
        self.hits = self.misses = 0

    def get(self, kind: str, node: Field | Message, key: object = None) -> tuple[object, int] | None:
        """``(value, delta)``: the stored value and how far the node moved since; None if absent."""
        k = (kind, id(node), key)
        entry = self._entries.get(k)
        if entry is None or entry[0] is not node:
            self.misses += 1
            return None
        if entry[4] != self._check:
            self._entries[k] = entry[:4] + (self._check,)
        self.hits += 1
        return entry[3], entry[1].shift - entry[2]

    def put(self, kind: str, node: Field | Message, key: object, value: object) -> None:
        seg = segment_of(node)
        self._entries[(kind, id(node), key)] = (node, seg, seg.shift, value, self._check)

    def __len__(self) -> int:
        return len(self._entries)


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
