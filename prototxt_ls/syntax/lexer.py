"""Turn text into tokens with one compiled regular expression.

The terminals come from the Lark grammar (names, patterns, priorities), joined
into a single alternation scanned with ``finditer``.  The lexer is total:
characters no terminal matches come out as ``BAD_CHAR`` tokens, so error
recovery lives in one place (the parser) and every token has a position.

A token is a plain tuple ``(type, text, start, end, segment)``: tuples are
the cheapest Python object to build, and a large net has tens of thousands of
tokens.  Line and column are derived from the offsets on demand.

Each top-level stretch of tokens (up to and including the bracket that
closes a top-level block) shares one :class:`Segment`.  When an edit moves a
block without changing it, the language server re-parses only the edited
blocks and moves the others by adjusting their segment's ``shift``: the
token tuples stay as they are, so their offsets are read through
:func:`start_of` / :func:`end_of`, never as ``t[2]``/``t[3]`` once parsing
is over.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..positions import LineIndex, Position, Range
from .grammar import tables

Token = tuple  # (type, text, start, end, segment)

_OPENERS = frozenset({"LBRACE", "LANGLE", "LSQB"})
_CLOSERS = frozenset({"RBRACE", "RANGLE", "RSQB"})
_BLOCK_CLOSERS = frozenset({"RBRACE", "RANGLE"})


class Segment:
    """Maps the offsets stored in a run of tokens to the current text.

    ``shift`` is added to every stored offset: 0 when the tokens were lexed
    from this text, the length change of earlier edits when the block was
    kept from an older version of it (see ``syntax/incremental.py``).
    """

    __slots__ = ("lines", "shift")

    def __init__(self, lines: LineIndex, shift: int = 0) -> None:
        self.lines = lines
        self.shift = shift

    def position(self, offset: int) -> Position:
        return self.lines.position(offset + self.shift)

    def line_of(self, offset: int) -> int:
        return self.lines.line_of(offset + self.shift)


@lru_cache(maxsize=1)
def _scanner() -> re.Pattern[str]:
    t = tables()
    skip = [regex for name, regex, _p in t.terminals if name in t.ignored and name != "COMMENT"]
    kept = [(i, term) for i, term in enumerate(t.terminals) if term[0] not in t.ignored or term[0] == "COMMENT"]
    # Higher priority first; among equals keep grammar order (it lists the
    # longer-matching patterns, e.g. STRING before BAD_STRING, first).
    kept.sort(key=lambda it: (-it[1][2], it[0]))
    parts = []
    for _, (name, regex, _p) in kept:
        if re.compile(regex).groups:
            raise ValueError(f"terminal {name} has a capturing group; use (?:...) in the grammar")
        parts.append(f"(?P<{name}>{regex})")
    parts.append(r"(?P<BAD_CHAR>[^ \t\f\r\n\v])")
    # Whitespace is consumed in front of each token by the same match, which
    # halves the number of regex matches compared with a WS token.
    return re.compile("(?:" + "|".join(skip) + ")*(?:" + "|".join(parts) + ")")


def tokenize(text: str, comments: list[Token], lines: LineIndex, start: int = 0,
             stop: int | None = None) -> list[Token]:
    """All significant tokens of ``text[start:stop]``; comments go to ``comments``.

    Offsets are the text's own (not the slice's).  Tokens carry a Segment
    over ``lines``, which turns offsets into line/column only when a
    position is needed; a new Segment starts after each bracket that closes
    a top-level block.  Ends with ``$END``.
    """
    out: list[Token] = []
    append = out.append
    stop = len(text) if stop is None else stop
    seg = Segment(lines)
    depth = 0
    special = _OPENERS | _CLOSERS
    for m in _scanner().finditer(text, start, stop):
        kind = m.lastgroup
        s = m[kind]
        end = m.end()
        tok = (kind, s, end - len(s), end, seg)
        if kind == "COMMENT":
            comments.append(tok)
            continue
        append(tok)
        if kind in special:
            if kind in _OPENERS:
                depth += 1
            elif depth > 0:
                depth -= 1
                if depth == 0 and kind in _BLOCK_CLOSERS:
                    seg = Segment(lines)
    append(("$END", "", stop, stop, seg))
    return out


def start_of(t: Token) -> int:
    """Offset in the current text where a token starts."""
    return t[2] + t[4].shift


def end_of(t: Token) -> int:
    """Offset in the current text just after a token."""
    return t[3] + t[4].shift


def token_line(t: Token) -> int:
    """0-based line of a token's start."""
    return t[4].line_of(t[2])


def token_start(t: Token) -> Position:
    """Position where a token starts."""
    return t[4].position(t[2])


def token_end(t: Token) -> Position:
    """Position just after a token."""
    return t[4].position(t[3])


def token_range(t: Token) -> Range:
    """Range of a token."""
    idx = t[4]
    return Range(idx.position(t[2]), idx.position(t[3]))
