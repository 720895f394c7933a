"""Turn text into tokens with one compiled regular expression.

The terminals come from the Lark grammar (names, patterns, priorities), joined
into a single alternation scanned with ``finditer``.  The lexer is total:
characters no terminal matches come out as ``BAD_CHAR`` tokens, so error
recovery lives in one place (the parser) and every token has a position.

A token is a plain tuple ``(type, text, start, end, line_index)``: tuples are
the cheapest Python object to build, and a large net has tens of thousands of
tokens.  Line and column are derived from the offsets on demand.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..positions import LineIndex, Position, Range
from .grammar import tables

Token = tuple  # (type, text, start, end, line_index)


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


def tokenize(text: str, comments: list[Token], lines: LineIndex) -> list[Token]:
    """All significant tokens of ``text``; comments are appended to ``comments``.

    Tokens carry offsets and a reference to ``lines``, which turns offsets
    into line/column only when a position is needed.  Ends with ``$END``.
    """
    out: list[Token] = []
    append = out.append
    for m in _scanner().finditer(text):
        kind = m.lastgroup
        s = m[kind]
        end = m.end()
        tok = (kind, s, end - len(s), end, lines)
        if kind == "COMMENT":
            comments.append(tok)
        else:
            append(tok)
    n = len(text)
    append(("$END", "", n, n, lines))
    return out


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
