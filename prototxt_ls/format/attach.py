"""Build the layout tree from a parsed document, giving each comment an owner.

Rules (what a reader of the file would say the comment is about):

- a comment on the same line as the end of a field, before anything else on
  that line, is that field's trailing comment (for a block, the line of its
  closing bracket: in ``a { b: 1 }  # c`` the comment belongs to ``a``, in
  ``a: 1 b: 2  # c`` to ``b``);
- own-line comments belong to the next field at the same or a deeper level
  (``leading``); a comment right after the opening ``{`` of a block is the
  first leading comment of the block's first field; those after the last
  field of a block stay inside it, before the closing bracket (``inner``);
  those after the last top-level field stay at the end of the file
  (``FDocument.root.inner``);
- a comment inside a field before its value (``name:  # c`` then the value on
  the next line), inside a multi-line value (adjacent strings across lines)
  or inside a list of scalars is printed above the field, after its other
  leading comments: the order of comments never changes;
- in a list of blocks (``[{...}, {...}]``, rare in Caffe files), a comment
  between items or after an item's last field goes above the first field of
  the next item that has one, else to the end of the list (``inner``).

Blank lines: ``blank_before`` records a blank line between the previous field
(or its trailing comment) and the field's first leading comment (or the field
itself).  A blank line between two comments of a ``leading`` or ``inner``
list, or between the last leading comment and its field, is recorded as an
empty string in the list (``["# header", "", "# about name"]``): the printer
writes it back as one blank line.  Blank lines right after an opening bracket,
before a closing one, and at the start or end of the file are dropped.

Comment texts lose their trailing whitespace; nothing else about them changes.
Multi-part strings (``"a" "b"``) are written with one space between parts.

Every comment is attached exactly once; the tests check that no comment line
is ever lost.  The walk is iterative (generators driven by :func:`_drive`), so
nesting depth is limited only by memory, not by Python's recursion limit.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Generator

from ..positions import LineIndex, Position, Range
from ..syntax.lexer import end_of, start_of
from ..syntax.tree import Comment, Document, Field, ListValue, Message, Scalar
from .nodes import FDocument, FNode


class _Comments:
    """The document's comments, consumed in order by offset."""

    def __init__(self, comments: list[Comment]) -> None:
        self.items = sorted(comments, key=lambda c: c.range.start.offset)
        self.offsets = [c.range.start.offset for c in self.items]
        self.used = [False] * len(self.items)

    def take(self, start: int, end: int, own_line: bool | None = None) -> list[Comment]:
        """Unused comments starting in ``[start, end)`` (optionally only own-line ones)."""
        out = []
        i = bisect_left(self.offsets, start)
        while i < len(self.items) and self.offsets[i] < end:
            c = self.items[i]
            if not self.used[i] and (own_line is None or c.own_line == own_line):
                self.used[i] = True
                out.append(c)
            i += 1
        return out

    def take_on_line(self, line: int, after: int, before: int | None = None) -> Comment | None:
        """The unused comment starting on ``line`` in ``[after, before)``."""
        i = bisect_left(self.offsets, after)
        while i < len(self.items) and self.items[i].range.start.line == line:
            if before is not None and self.offsets[i] >= before:
                return None
            if not self.used[i]:
                self.used[i] = True
                return self.items[i]
            i += 1
        return None


def to_layout(doc: Document) -> FDocument:
    """The layout tree of ``doc`` (which should have no syntax errors)."""
    comments = _Comments(doc.comments)
    text = doc.text
    end = len(text)
    root = FNode("", children=[])
    root.children = _drive(_fields(doc.root.fields, comments, text, 0, end + 1, doc.lines))
    last_end = root.children[-1].source.end.offset if root.children else 0
    rest = comments.take(0, end + 1)
    gap, texts, _ = _spaced(rest, text, last_end)
    root.inner = ([""] if gap and root.children else []) + texts
    return FDocument(root, _newline_of(text))


def _newline_of(text: str) -> str:
    """The file's line ending, judged by its first line."""
    first = text.find("\n")
    return "\r\n" if first > 0 and text[first - 1] == "\r" else "\n"


def _drive(gen: Generator):
    """Run a generator that yields sub-generators (its "recursive calls") without recursion."""
    stack = [gen]
    value = None
    while stack:
        try:
            sub = stack[-1].send(value)
        except StopIteration as stop:
            stack.pop()
            value = stop.value
        else:
            stack.append(sub)
            value = None
    return value


def _spaced(cs: list[Comment], text: str, prev_end: int) -> tuple[bool, list[str], int]:
    """Comment texts with ``""`` where a blank line separates two of them.

    Returns whether a blank line separates ``prev_end`` from the first comment,
    the texts, and the offset just after the last comment (``prev_end`` if none).
    """
    out: list[str] = []
    first_gap = False
    pos = prev_end
    for i, c in enumerate(cs):
        start = c.range.start.offset
        if _blank_line_between(text, pos, start):
            if i == 0:
                first_gap = True
            else:
                out.append("")
        out.append(c.text.rstrip())
        pos = c.range.end.offset
    return first_gap, out, pos


def _fields(fields: list[Field], comments: _Comments, text: str, prev_end: int,
            limit: int, lines: LineIndex) -> Generator:
    """Layout nodes for ``fields``; ``limit`` is where the enclosing block closes."""
    out: list[FNode] = []
    starts = lines.line_starts
    for k, f in enumerate(fields):
        # Offsets straight from the tokens: building Range objects for every
        # node of a large net is most of the cost of this walk.
        start = start_of(f.name_token)
        end = _end_offset(f.value)
        line = bisect_right(starts, start) - 1
        end_line = bisect_right(starts, end) - 1
        rng = Range(Position(line, start - starts[line], start), Position(end_line, end - starts[end_line], end))
        node = FNode(f.name, source=rng)
        gap, leading, pos = _spaced(comments.take(prev_end, start), text, prev_end)
        if not leading:
            gap = _blank_line_between(text, prev_end, start)
        elif _blank_line_between(text, pos, start):
            leading.append("")
        node.leading = leading
        node.blank_before = bool(out) and gap
        v = f.value
        if isinstance(v, Message):
            _add_head(node, comments.take(start, start_of(v.open) if v.open else start))
            yield _block(node, v, comments, text, lines)
        elif isinstance(v, ListValue):
            if any(isinstance(item, Message) for item in v.items):
                _add_head(node, comments.take(start, start_of(v.open)))
                node.items = []
                # Comments between items, or inside an item after its last field, go to the
                # next item that has a field (above that field), else to the end of the list.
                pending: list[Comment] = []
                pos = end_of(v.open)
                for item in v.items:
                    if isinstance(item, Message):
                        pending += comments.take(pos, end_of(item.open))
                        kids = yield _fields(item.fields, comments, text, end_of(item.open), start_of(item.close), lines)
                        if kids and pending:
                            kids[0].leading[:0] = [c.text.rstrip() for c in pending]
                            pending = []
                        pending += comments.take(end_of(item.open), end_of(item.close))
                        pos = end_of(item.close)
                        node.items.append(kids)
                    else:
                        pending += comments.take(pos, end_of(item.last))
                        pos = end_of(item.last)
                        node.items.append(_scalar_text(item))
                pending += comments.take(pos, end)
                node.inner = [c.text.rstrip() for c in pending]
            else:
                _add_head(node, comments.take(start, end))
                node.items = [_scalar_text(item) for item in v.items]
        else:
            _add_head(node, comments.take(start, end))
            node.value = _scalar_text(v)
        before = start_of(fields[k + 1].name_token) if k + 1 < len(fields) else limit
        tail = comments.take_on_line(end_line, end, before)
        if tail is not None:
            node.trailing = tail.text.rstrip()
        out.append(node)
        prev_end = end
    return out


def _add_head(node: FNode, cs: list[Comment]) -> None:
    """Comments written inside a field (before or within its value) go above it."""
    node.leading.extend(c.text.rstrip() for c in cs)


def _scalar_text(v) -> str:
    if isinstance(v, Scalar):
        if v.kind == "string" and len(v.parts) > 1:
            return " ".join(v.parts)
        return v.text
    return ""


def _end_offset(v) -> int:
    """Offset just after a value's last token."""
    return end_of(v.last) if isinstance(v, Scalar) else end_of(v.close)


def _block(node: FNode, m: Message, comments: _Comments, text: str, lines: LineIndex) -> Generator:
    open_end = end_of(m.open)
    close_start = start_of(m.close)
    node.children = yield _fields(m.fields, comments, text, open_end, close_start, lines)
    last_end = node.children[-1].source.end.offset if node.children else open_end
    gap, inner, _ = _spaced(comments.take(last_end, close_start), text, last_end)
    node.inner = ([""] if gap and node.children else []) + inner
    return None


def _blank_line_between(text: str, a: int, b: int) -> bool:
    """Is there an empty line between offsets ``a`` and ``b``?

    The first piece of the gap is the rest of ``a``'s line (a trailing comment
    may sit there) and the last is the indentation before ``b``; any line in
    between that holds only whitespace is a blank line.
    """
    gap = text[a:b]
    if gap.count("\n") < 2:
        return False
    lines = gap.split("\n")
    return any(not line.strip() for line in lines[1:-1])
