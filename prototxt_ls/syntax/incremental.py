"""Re-parse only the top-level blocks an edit touched; keep the others.

The language server calls :func:`reparse` with the previous Document and the
new text.  The edit is located by comparing the two texts (common prefix and
suffix), the top-level fields it overlaps are re-lexed and re-parsed from the
new text, and every other top-level field is kept as it is: the fields
before the edit unchanged, those after it moved by the edit's length change
through their tokens' :class:`~.lexer.Segment` (one ``shift`` update per
block instead of new tokens).

Syntax errors are fine on either side: the previous Document's errors in
kept blocks are kept (moved), the region's come from its parse.  A block
that is never closed swallows the rest of the file, so it is re-parsed only
when the region reaches the end of the text (as a full parse would).

Reusing a block moves it: the previous Document's tokens then describe the
new text, so the previous Document must not be used afterwards (the server
replaces it).  Whenever reuse is not plainly right (a block left open before
the end of the text, the region's first or last line shared with an error
kept outside it, where the parser's one-error-per-line rule would differ)
this returns None and the caller parses the whole text.
"""

from __future__ import annotations

from typing import Callable

from ..gcpause import paused_gc
from ..positions import LineIndex, Position, Range
from .lexer import Segment, end_of, start_of
from .parser import _Builder, _builder_errors, _comment, _run
from .tree import Comment, Document, Field, Message, Scalar, SyntaxIssue


def changed_span(old: str, new: str) -> tuple[int, int, int] | None:
    """``(start, old_end, new_end)`` of the one stretch that differs, None if equal.

    Binary search on the common prefix and suffix: ``startswith`` compares in
    C without copying the long text, so a 300 KB file costs well under 1 ms.
    """
    if old == new:
        return None
    limit = min(len(old), len(new))
    lo, hi = 0, limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if old.startswith(new[lo:mid], lo):
            lo = mid
        else:
            hi = mid - 1
    prefix = lo
    lo, hi = 0, limit - prefix
    n_old, n_new = len(old), len(new)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if old.endswith(new[n_new - mid:n_new - lo], 0, n_old - lo):
            lo = mid
        else:
            hi = mid - 1
    return prefix, n_old - lo, n_new - lo


def _field_end(f: Field) -> int:
    v = f.value
    return end_of(v.last) if isinstance(v, Scalar) else end_of(v.close)


def _affected(fields: list[Field], start: int, end: int) -> tuple[int, int]:
    """Indexes ``i..j`` (inclusive; ``j == i - 1`` when none) of the top-level
    fields to re-parse: those the edit ``[start, end)`` overlaps or touches,
    widened to whole segments (fields sharing a segment move together)."""
    n = len(fields)
    i = 0
    while i < n and _field_end(fields[i]) < start - 1:
        i += 1
    j = i - 1
    while j + 1 < n and start_of(fields[j + 1].name_token) <= end + 1:
        j += 1
    seg = _segment
    if j < i:  # only whitespace or comments changed: keep apart the two neighbours' segment
        if 0 < i < n and seg(fields[i - 1]) is seg(fields[i]):
            i, j = i - 1, i
        else:
            return i, j
    while i > 0 and seg(fields[i - 1]) is seg(fields[i]):
        i -= 1
    while j + 1 < n and seg(fields[j + 1]) is seg(fields[j]):
        j += 1
    return i, j


def _segment(f: Field) -> Segment:
    return f.name_token[4]


def reparse(old: Document, new_text: str) -> Document | None:
    """A Document for ``new_text`` that shares ``old``'s untouched top-level
    fields; None when the whole text must be parsed instead (see module doc)."""
    if old.root.open is not None:
        return None
    span = changed_span(old.text, new_text)
    if span is None:
        return None
    start, old_end, new_end = span
    delta = new_end - old_end
    fields = old.root.fields
    i, j = _affected(fields, start, old_end)
    region_start = _field_end(fields[i - 1]) if i > 0 else 0
    region_old_end = start_of(fields[j + 1].name_token) if j + 1 < len(fields) else len(old.text)
    region_new_end = region_old_end + delta
    if region_new_end < region_start:
        return None
    if old.errors and _error_on_edge(old, region_start, region_old_end):
        return None

    lines = LineIndex(new_text)
    comments_tok: list = []
    errors: list = []
    builder = _Builder(new_text)
    with paused_gc():
        _, items, end_recovered = _run(new_text, comments_tok, errors, lines, builder, region_start,
                                            region_new_end)
    if (end_recovered or builder.unclosed_blocks) and region_new_end != len(new_text):
        return None  # left unfinished: a full parse would read on into the blocks after the region
    errors.extend(_builder_errors(builder))

    _move(fields[:i], lines, 0)
    _move(fields[j + 1:], lines, delta)
    root_fields = fields[:i] + [f for f in items if isinstance(f, Field)] + fields[j + 1:]
    root = Message(root_fields, None, None, Range(Position(0, 0, 0), lines.position(len(new_text))))
    comments = _outside(old.comments, region_start, region_old_end, delta, lines,
                        lambda c, rng: Comment(c.text, rng, c.own_line))
    fresh = [_comment(t, new_text) for t in comments_tok]
    k = sum(1 for c in comments if c.range.start.offset < region_start)
    comments[k:k] = fresh
    kept = _outside(old.errors, region_start, region_old_end, delta, lines,
                    lambda e, rng: SyntaxIssue(e.message, rng))
    merged = sorted(kept + errors, key=lambda e: e.range.start.offset)
    return Document(new_text, root, comments, merged, lines)


def _error_on_edge(old: Document, region_start: int, region_old_end: int) -> bool:
    """Is a kept error on the region's first or last line?  (The parser reports
    one error per line: a full parse might then drop one the region reports.)"""
    lines = old.lines
    first = lines.line_of(region_start)
    last = lines.line_of(max(region_start, region_old_end - 1)) + 1
    for e in old.errors:
        off = e.range.start.offset
        if region_start <= off < region_old_end:
            continue
        if e.range.start.line in (first, last) or e.range.end.line in (first, last):
            return True
    return False


def _move(fields: list[Field], lines: LineIndex, delta: int) -> None:
    """Point the fields' segments at the new text, ``delta`` characters on."""
    seen: set[int] = set()
    for f in fields:
        seg = f.name_token[4]
        if id(seg) in seen:
            continue
        seen.add(id(seg))
        seg.lines = lines
        seg.shift += delta


def _outside(old: list, region_start: int, region_old_end: int, delta: int, lines: LineIndex,
             moved: Callable[[object, Range], object]) -> list:
    """The old comments or errors outside the re-parsed region; those after it
    as ``moved(item, its range delta characters on)``."""
    out = []
    for item in old:
        off = item.range.start.offset
        if off < region_start:
            out.append(item)
        elif off >= region_old_end:
            out.append(moved(item, lines.range(off + delta, item.range.end.offset + delta)))
    return out
