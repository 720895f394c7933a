"""Turn text into tokens with one compiled regular expression.

The terminals come from the Lark grammar (names, patterns, priorities), joined
into a single alternation scanned with ``finditer``.  The lexer is total:
characters no terminal matches come out as ``BAD_CHAR`` tokens, so error
recovery lives in one place (the parser) and every token has a position.

A token is a plain tuple ``(type, text, start, end, line, column)`` (0-based
line and column; columns in code points): tuples are the cheapest Python
object to build, and a large net has tens of thousands of tokens.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..positions import Position, Range
from .grammar import tables

TYPE, TEXT, START, END, LINE, COL = range(6)
Token = tuple  # (type, text, start, end, line, column)


@lru_cache(maxsize=1)
def _scanner() -> re.Pattern[str]:
    terms = tables().terminals
    # Higher priority first; among equals keep grammar order (it lists the
    # longer-matching patterns, e.g. STRING before BAD_STRING, first).
    ordered = sorted(enumerate(terms), key=lambda it: (-it[1][2], it[0]))
    parts = [f"(?P<{name}>{regex})" for _, (name, regex, _p) in ordered]
    parts.append(r"(?P<BAD_CHAR>.)")
    return re.compile("|".join(parts))  # no re.S: a string never takes a newline (WS always does)


def tokenize(text: str, comments: list[Token]) -> list[Token]:
    """All significant tokens of ``text``; comments are appended to ``comments``.

    Whitespace only advances the line counter.  Ends with a ``$END`` token.
    """
    out: list[Token] = []
    append = out.append
    line = 0
    line_start = 0
    for m in _scanner().finditer(text):
        kind = m.lastgroup
        if kind == "WS":
            s = m.group()
            n = s.count("\n")
            if n:
                line += n
                line_start = m.start() + s.rfind("\n") + 1
            continue
        start = m.start()
        tok = (kind, m.group(), start, m.end(), line, start - line_start)
        if kind == "COMMENT":
            comments.append(tok)
        else:
            append(tok)
    n = len(text)
    append(("$END", "", n, n, line, n - line_start))
    return out


def token_start(t: Token) -> Position:
    """Position where a token starts."""
    return Position(t[4], t[5], t[2])


def token_end(t: Token) -> Position:
    """Position just after a token (tokens never span lines)."""
    return Position(t[4], t[5] + t[3] - t[2], t[3])


def token_range(t: Token) -> Range:
    """Range of a token."""
    return Range(Position(t[4], t[5], t[2]), Position(t[4], t[5] + t[3] - t[2], t[3]))
