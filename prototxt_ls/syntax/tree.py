"""Syntax tree of a text-format file: what was written, where, nothing more.

Nodes are slotted classes built by the parser's reduction callbacks.  They keep
the lexer's token tuples and compute :class:`~prototxt_ls.positions.Range`
objects only when asked: a large net has tens of thousands of nodes and most
ranges are never needed, so this halves the cost of a parse.  Meaning (which
message a block is, whether an identifier is an enum value) is added later by
the checker, not here.
"""

from __future__ import annotations

from ..positions import LineIndex, Position, Range
from .lexer import Token, token_end, token_line, token_range, token_start
from .literals import decode_number, decode_string


class Scalar:
    """A leaf value: ``"text"``, ``42``, ``1e-4``, ``MAX``, ``-inf``, ``true``.

    ``kind`` is ``string``, ``number``, ``ident``, ``bad_string`` (unterminated)
    or ``missing`` (inserted by error recovery where a value was expected).
    ``text`` is the source text exactly as written (adjacent strings included),
    so the formatter can write it back untouched.
    """

    __slots__ = ("kind", "text", "parts", "first", "last")

    def __init__(self, kind: str, text: str, first: Token, last: Token | None = None,
                 parts: tuple[str, ...] = ()) -> None:
        self.kind = kind
        self.text = text
        self.first = first
        self.last = last if last is not None else first
        #: For strings: each quoted piece, in order (``"a" "b"`` has two).
        self.parts = parts

    @property
    def range(self) -> Range:
        return Range(token_start(self.first), token_end(self.last))

    @property
    def string_value(self) -> str:
        """Decoded text of a string literal (escapes resolved, pieces joined)."""
        parts = self.parts
        if len(parts) == 1:
            p = parts[0]
            return p[1:-1] if "\\" not in p and len(p) >= 2 and p[-1] == p[0] else decode_string(p)
        return "".join([decode_string(p) for p in parts])

    @property
    def number_value(self) -> int | float | None:
        """The numeric value of a number literal, or None when not a number."""
        return decode_number(self.text) if self.kind == "number" else None

    def __repr__(self) -> str:
        return f"Scalar({self.kind}, {self.text!r})"


class Message:
    """A ``{ ... }`` (or ``< ... >``) block, or the whole file for the root."""

    __slots__ = ("fields", "open", "close", "_range", "_by_name")

    def __init__(self, fields: list["Field"], open: Token | None, close: Token | None,
                 range: Range | None = None) -> None:
        self.fields = fields
        self.open = open
        self.close = close
        self._range = range
        self._by_name: dict[str, list[Field]] | None = None

    def by_name(self) -> dict[str, list["Field"]]:
        """Fields grouped by name, built on first use (the tree is not edited in place)."""
        index = self._by_name
        if index is None:
            index = {}
            for f in self.fields:
                index.setdefault(f.name, []).append(f)
            self._by_name = index
        return index

    @property
    def range(self) -> Range:
        if self._range is not None:
            return self._range
        return Range(token_start(self.open), token_end(self.close))

    @property
    def open_range(self) -> Range | None:
        return token_range(self.open) if self.open else None

    @property
    def close_range(self) -> Range | None:
        """The closing bracket; None when recovery closed the block at end of file."""
        return token_range(self.close) if self.close and self.close[1] else None

    @property
    def closed(self) -> bool:
        return self.close is None or bool(self.close[1])

    @property
    def brackets(self) -> str:
        """``{}`` or ``<>``, as written."""
        return "<>" if self.open and self.open[1] == "<" else "{}"

    def get(self, name: str) -> list["Field"]:
        """All fields called ``name``, in source order."""
        return list(self.by_name().get(name, ()))

    def first(self, name: str) -> "Field | None":
        found = self.by_name().get(name)
        return found[0] if found else None

    def __repr__(self) -> str:
        return f"Message({len(self.fields)} fields)"


class ListValue:
    """``[a, b, c]``: several values for a repeated field in one go."""

    __slots__ = ("items", "open", "close")

    def __init__(self, items: list["Scalar | Message"], open: Token, close: Token) -> None:
        self.items = items
        self.open = open
        self.close = close

    @property
    def range(self) -> Range:
        return Range(token_start(self.open), token_end(self.close))

    def __repr__(self) -> str:
        return f"ListValue({self.items!r})"


Value = Scalar | Message | ListValue


class Field:
    """``name: value`` or ``name { ... }`` (the colon is optional before a block)."""

    __slots__ = ("name", "name_token", "colon", "value")

    def __init__(self, name: str, name_token: Token, colon: bool, value: Value) -> None:
        self.name = name
        self.name_token = name_token
        self.colon = colon
        self.value = value

    @property
    def name_range(self) -> Range:
        return token_range(self.name_token)

    @property
    def range(self) -> Range:
        return Range(token_start(self.name_token), self.value.range.end)

    @property
    def line(self) -> int:
        """0-based line of the field name (cheap: no Range built)."""
        return token_line(self.name_token)

    def values(self) -> list["Scalar | Message"]:
        """The value(s) this field sets: a list expands to its items."""
        v = self.value
        return v.items if isinstance(v, ListValue) else [v]

    def __repr__(self) -> str:
        return f"Field({self.name}: {self.value!r})"


class Comment:
    """A ``# ...`` comment; ``own_line`` when nothing but spaces precede it."""

    __slots__ = ("text", "range", "own_line")

    def __init__(self, text: str, range: Range, own_line: bool) -> None:
        self.text = text
        self.range = range
        self.own_line = own_line


class SyntaxIssue:
    """A syntax error found (and recovered from) while parsing."""

    __slots__ = ("message", "range")

    def __init__(self, message: str, range: Range) -> None:
        self.message = message
        self.range = range

    def __repr__(self) -> str:
        return f"SyntaxIssue({self.range.start.line + 1}:{self.range.start.column + 1} {self.message})"


class Document:
    """A parsed file: its root block, its comments and its syntax errors."""

    __slots__ = ("text", "root", "comments", "errors", "lines")

    def __init__(self, text: str, root: Message, comments: list[Comment], errors: list[SyntaxIssue],
                 lines: LineIndex | None = None) -> None:
        self.text = text
        self.root = root
        self.comments = comments
        self.errors = errors
        #: Offset/line conversion for this text (shared with the tokens).
        self.lines = lines or LineIndex(text)


__all__ = ["Comment", "Document", "Field", "ListValue", "Message", "Position", "Range", "Scalar",
           "SyntaxIssue", "Value"]
