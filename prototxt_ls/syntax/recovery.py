"""Error recovery: report every mistake once, precisely, and keep parsing.

When the parser cannot take a token, :meth:`Recovery.handle` records one
message and repairs the parse the way a person reads the text: insert a
missing ``:``, give a value-less field an empty placeholder, skip a stray
token or character, close blocks still open at the end of the file.
Inserted tokens have empty text, which lets the tree builder tell them from
real ones (an unclosed block is reported by the builder, which knows its
field name).

Cascades are limited to one message per line: the tokens that follow a
mistake on the same line are usually its consequences, not new mistakes.
"""

from __future__ import annotations

from ..positions import Range
from .lalr import Driver
from .lexer import Token, token_line, token_range
from .tree import SyntaxIssue

#: How terminals are named in messages, in the user's terms.
TOKEN_NAMES = {
    "IDENT": "a field name",
    "NEG_IDENT": "a value",
    "NUMBER": "a number",
    "STRING": "a string",
    "COLON": "':'",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "LANGLE": "'<'",
    "RANGLE": "'>'",
    "LSQB": "'['",
    "RSQB": "']'",
    "_COMMA": "','",
    "_SEMI": "';'",
    "$END": "the end of the file",
}
_VALUES = frozenset({"STRING", "NUMBER", "NEG_IDENT", "BAD_STRING"})
_CLOSERS = ("RBRACE", "RANGLE", "RSQB")
_MAX_DEPTH = 8


def _range(t: Token) -> Range:
    return token_range(t)


def _line(t: Token) -> int:
    return token_line(t)


def _synthetic(kind: str, at: Token) -> Token:
    """A zero-width token of ``kind`` placed just before ``at``."""
    return (kind, "", at[2], at[2], at[4])


def _describe(t: Token) -> str:
    if t[0] == "$END":
        return "end of file"
    text = t[1] if len(t[1]) <= 30 else t[1][:27] + "..."
    return f"'{text}'"


class Recovery:
    """Collects SyntaxIssues for one parse and repairs the driver after each."""

    def __init__(self, text: str, errors: list[SyntaxIssue], driver: Driver) -> None:
        self.text = text
        self.errors = errors
        self.driver = driver
        self._last_line = -1
        self._bad_run_end = -1

    def _report(self, message: str, rng: Range) -> None:
        if rng.start.line == self._last_line:
            return
        self._last_line = rng.start.line
        self.errors.append(SyntaxIssue(message, rng))

    # ------------------------------------------------------------ entry point
    def handle(self, tok: Token, depth: int = 0) -> None:
        """``tok`` was refused: report, repair, and consume or drop it."""
        kind = tok[0]
        if kind == "BAD_CHAR":
            self._bad_char(tok)
            return
        if kind == "$END":
            self._finish(tok)
            return
        d = self.driver
        expected = d.expected()
        prev = d.top_token()
        if prev is not None and prev[0] == "IDENT" and "COLON" in expected:
            self._after_name(tok, prev, depth)
        elif prev is not None and prev[0] == "COLON" and "NUMBER" in expected:
            self._after_colon(tok, prev, depth)
        elif (kind in ("COLON", "LBRACE", "LANGLE") and prev is not None and prev[0] == "IDENT"
              and self._is_value_after_colon(prev)):
            self._name_taken_as_value(tok, depth)
        elif prev is not None and prev[0] == "_COMMA" and "NUMBER" in expected and "RSQB" not in expected:
            self._after_list_comma(tok, prev, depth)
        elif "RSQB" in expected:
            self._in_list(tok, prev, depth)
        elif kind in _CLOSERS and kind not in expected:
            self._report(f"unmatched {_describe(tok)}: no block is open here", _range(tok))
        elif kind == "BAD_STRING":
            self._report("string is not closed before the end of the line", _range(tok))
        else:
            self._report(self._unexpected(tok, expected), _range(tok))

    # ------------------------------------------------------------ repairs
    def _after_name(self, tok: Token, name: Token, depth: int) -> None:
        kind = tok[0]
        if kind in _VALUES or kind == "LSQB" or (kind == "IDENT" and _line(tok) == _line(name)):
            self._report(f"expected ':' between field name '{name[1]}' and its value", _range(tok))
            self.driver.feed(_synthetic("COLON", tok))
        else:
            self._report(f"field '{name[1]}' has no value: expected ': value' or a '{{ ... }}' block",
                         _range(name))
            self.driver.feed(_synthetic("COLON", tok))
            self.driver.feed(_synthetic("IDENT", tok))
        self._retry(tok, depth)

    def _after_colon(self, tok: Token, colon: Token, depth: int) -> None:
        if tok[0] in _CLOSERS or tok[0] in ("_SEMI", "_COMMA", "COLON") or _line(tok) != _line(colon):
            self._report("expected a value after ':'", _range(colon))
            self.driver.feed(_synthetic("IDENT", tok))
            if tok[0] != "COLON":
                self._retry(tok, depth)
            return
        self._report(self._unexpected(tok, self.driver.expected()), _range(tok))

    def _is_value_after_colon(self, ident: Token) -> bool:
        before = self.driver.previous_value(2)
        return type(before) is tuple and before[0] == "COLON" and _line(before) != _line(ident)

    def _name_taken_as_value(self, colon: Token, depth: int) -> None:
        """``a:`` then ``b: 1`` (or ``b {``) on the next line: ``b`` is a field, ``a`` has no value."""
        d = self.driver
        name = d.pop_token()
        field = d.previous_value(2)
        label = f"field '{field[1]}'" if type(field) is tuple and field[0] == "IDENT" else "this field"
        self._report(f"{label} has no value after ':'", _range(d.top_token() or name))
        d.feed(_synthetic("IDENT", name))
        if d.feed(name):
            self._retry(colon, depth)

    def _after_list_comma(self, tok: Token, comma: Token, depth: int) -> None:
        """``[1, 2,]`` or ``[1,`` then something else: the list lacks an element."""
        if tok[0] in ("RBRACE", "RANGLE", "COLON", "_SEMI", "_COMMA"):
            self._report(self._unexpected(tok, self.driver.expected()), _range(tok))
            return  # a stray token inside the list: skip it, the list goes on
        if tok[0] == "RSQB":
            self._report("trailing ',' in a list: protobuf expects another value after it", _range(comma))
        else:
            self._report("expected a value after ',' in the list", _range(comma))
        self.driver.feed(_synthetic("IDENT", tok))
        self._retry(tok, depth)

    def _in_list(self, tok: Token, prev: Token | None, depth: int) -> None:
        """Inside ``[ ... ]`` a refused token either lacks a ',' or the list lacks its ']'."""
        same_line = prev is not None and type(prev) is tuple and _line(tok) == _line(prev)
        if same_line and (tok[0] in _VALUES or tok[0] in ("IDENT", "LBRACE", "LANGLE")):
            self._report("expected ',' between list elements", _range(tok))
            self.driver.feed(_synthetic("_COMMA", tok))
        else:
            opener = self._open_list()
            self._report("list is never closed: expected ']'", _range(opener) if opener else _range(tok))
            self.driver.feed(_synthetic("RSQB", tok))
        self._retry(tok, depth)

    def _open_list(self) -> Token | None:
        for v in reversed(self.driver.values):
            if type(v) is tuple and v[0] == "LSQB":
                return v
        return None

    def _retry(self, tok: Token, depth: int) -> None:
        if not self.driver.feed(tok) and depth < _MAX_DEPTH:
            self.handle(tok, depth + 1)

    def _bad_char(self, tok: Token) -> None:
        if self.errors and tok[2] == self._bad_run_end:
            last = self.errors[-1]  # widen the previous report: one message per run
            last.range = Range(last.range.start, _range(tok).end)
            last.message = "unexpected characters: not valid in a prototxt file"
        else:
            self._report(f"unexpected character {tok[1]!r}: not valid in a prototxt file", _range(tok))
        self._bad_run_end = tok[3]

    def _finish(self, end: Token) -> None:
        """At end of file: complete every open construct so the tree is whole."""
        d = self.driver
        for _ in range(1_000_000):
            expected = d.expected()
            if "$END" in expected:
                if d.feed(end):
                    return
            prev = d.top_token()
            if prev is not None and prev[0] == "IDENT" and "COLON" in expected:
                self._report(f"field '{prev[1]}' has no value before the end of the file", _range(prev))
                d.feed(_synthetic("COLON", end))
                d.feed(_synthetic("IDENT", end))
            elif prev is not None and prev[0] in ("COLON", "_COMMA") and "NUMBER" in expected:
                what = "':'" if prev[0] == "COLON" else "',' in the list"
                self._report(f"expected a value after {what} before the end of the file", _range(prev))
                d.feed(_synthetic("IDENT", end))
            else:
                for closer in _CLOSERS:
                    if closer in expected:
                        if closer == "RSQB":
                            opener = self._open_list()
                            self._report("list is never closed: expected ']'",
                                         _range(opener) if opener else _range(end))
                        d.feed(_synthetic(closer, end))
                        break
                else:
                    return  # nothing sensible to insert; the parser keeps what it has

    def _unexpected(self, tok: Token, expected: set[str]) -> str:
        names = sorted({TOKEN_NAMES[x] for x in expected if x in TOKEN_NAMES})
        if "NUMBER" in expected:
            names = ["a value"] + [n for n in names if n not in ("a number", "a string", "a value",
                                                                 "a field name")]
        if not names:
            return f"unexpected {_describe(tok)}"
        want = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
        return f"unexpected {_describe(tok)}: expected {want}"
