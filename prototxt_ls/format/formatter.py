"""Format prototxt text: the whole file, or the top-level blocks a range touches.

:func:`format_text` parses, builds the layout tree (:mod:`.attach`) and prints
it (:mod:`.printer`).  It never formats broken text: if the parser reports a
syntax error, :class:`FormatError` says where the first one is.  The result is
a fixed point (``format_text(format_text(x)) == format_text(x)``), keeps the
file's line ending (CRLF stays CRLF), its comments (header and end of file
included, in order) and every value exactly as written, so the parsed message
is unchanged.

:func:`format_range` is for editors: it reformats only the top-level fields
(``layer { ... }``, ``name: "x"``) whose lines (with their leading and
trailing comments) overlap the given lines, and returns one
:class:`~prototxt_ls.diagnostics.TextEdit` replacing that run of fields as a
whole; everything outside it is left byte for byte.
"""

from __future__ import annotations

from ..diagnostics import TextEdit
from ..positions import Range
from ..syntax.parser import parse
from ..syntax.tree import Document
from .attach import to_layout
from .nodes import FDocument, FNode
from .printer import print_layout

_BOM = "\ufeff"


class FormatError(ValueError):
    """The text cannot be formatted (a syntax error, or nesting beyond what fits in memory).

    ``line`` and ``column`` are 0-based like every position in this package
    (``range`` is the error's full range, or None); ``str()`` shows them
    1-based, as the command line prints them.
    """

    def __init__(self, message: str, range: Range | None = None) -> None:
        self.message = message
        self.range = range
        self.line = range.start.line if range is not None else 0
        self.column = range.start.column if range is not None else 0
        where = f"{self.line + 1}:{self.column + 1}: " if range is not None else ""
        super().__init__(f"{where}{message}")


def _parse_clean(text: str) -> Document:
    try:
        doc = parse(text)
    except RecursionError:  # pragma: no cover - the parser is iterative
        raise FormatError("the file is nested too deeply to format") from None
    if doc.errors:
        first = doc.errors[0]
        raise FormatError(first.message, first.range)
    return doc


def _layout(doc: Document) -> FDocument:
    try:
        return to_layout(doc)
    except RecursionError:  # pragma: no cover - the walk is iterative
        raise FormatError("the file is nested too deeply to format") from None


def format_text(text: str) -> str:
    """``text`` in the canonical layout; raises :class:`FormatError` on a syntax error."""
    bom = text.startswith(_BOM)
    if bom:
        text = text[1:]
    out = print_layout(_layout(_parse_clean(text)))
    return _BOM + out if bom else out


def format_range(text: str, start_line: int, end_line: int) -> list[TextEdit]:
    """Edits reformatting the top-level fields that overlap lines ``start_line..end_line``.

    Lines are 0-based and inclusive.  A field's lines run from its first
    leading comment to its last line (trailing comment included).  The
    overlapping fields form one contiguous run, replaced by a single edit (none
    when the run is already formatted); raises :class:`FormatError` on a
    syntax error.
    """
    if end_line < start_line:
        start_line, end_line = end_line, start_line
    doc = _parse_clean(text)
    layout = _layout(doc)
    nodes = layout.root.children or []
    if not nodes:
        return []
    spans = _spans(doc, nodes)
    picked = [i for i, (a, b) in enumerate(spans)
              if doc.lines.line_of(a) <= end_line and doc.lines.line_of(max(a, b - 1)) >= start_line]
    if not picked:
        return []
    first, last = picked[0], picked[-1]
    start, end = spans[first][0], spans[last][1]
    # Take the indentation before the run, and spaces after it on its last line.
    line_start = text.rfind("\n", 0, start) + 1
    before = text[line_start:start]
    if not before.strip():
        start = line_start
        before = ""
    else:
        start -= len(before) - len(before.rstrip())
    after_end = end
    while after_end < len(text) and text[after_end] in " \t\f\v":
        after_end += 1
    rest_of_line = text[after_end:after_end + 1]
    run = FDocument(FNode("", children=nodes[first:last + 1]), layout.newline)
    new = print_layout(run)
    new = new.removesuffix(layout.newline)
    if before:
        new = layout.newline + new  # something else ends on the run's first line
    if rest_of_line and rest_of_line not in "\r\n":
        new += layout.newline  # something else starts on the run's last line
        end = after_end
    if new == text[start:end]:
        return []
    return [TextEdit(doc.lines.range(start, end), new)]


def _spans(doc: Document, nodes: list[FNode]) -> list[tuple[int, int]]:
    """Offsets ``[start, end)`` of each top-level field with its own comments.

    Mirrors :mod:`.attach`: a comment on a field's last line, before the next
    field, is its trailing comment; the comments between a field (and its
    trailing comment) and the next field are that next field's leading ones.
    """
    comments = sorted(doc.comments, key=lambda c: c.range.start.offset)
    fields = doc.root.fields
    out: list[tuple[int, int]] = []
    ci = 0
    prev_end = 0
    for k, f in enumerate(fields):
        rng = f.range
        start, end = rng.start.offset, rng.end.offset
        # leading comments: those after the previous span, before this field
        while ci < len(comments) and comments[ci].range.start.offset < prev_end:
            ci += 1
        if ci < len(comments) and comments[ci].range.start.offset < start:
            start = comments[ci].range.start.offset
        # skip comments inside the field
        while ci < len(comments) and comments[ci].range.start.offset < end:
            ci += 1
        nxt = fields[k + 1].range.start.offset if k + 1 < len(fields) else len(doc.text) + 1
        if (nodes[k].trailing is not None and ci < len(comments)
                and comments[ci].range.start.line == rng.end.line
                and comments[ci].range.start.offset < nxt):
            end = comments[ci].range.end.offset
            ci += 1
        out.append((start, end))
        prev_end = end
    return out
