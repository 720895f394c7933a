"""Decoding of text-format literals the way protobuf's text parser reads them.

Kept apart from the grammar so the checker can ask "is this an integer?",
"what float is this?" without re-lexing, and so the rules match protobuf's
own reading (hex and octal integers, ``f`` suffixes, ``inf``/``nan`` words).
"""

from __future__ import annotations

import re

_ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]{1,2}|[0-7]{1,3}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)", re.S)
_SIMPLE = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
           "\\": "\\", "'": "'", '"': '"', "?": "?"}

#: Words protobuf accepts as float values (case-insensitive), with their value.
FLOAT_WORDS = {"inf": float("inf"), "infinity": float("inf"), "nan": float("nan")}
#: Words protobuf accepts for bool fields.
BOOL_WORDS = {"true": True, "t": True, "True": True, "false": False, "f": False, "False": False}


def _unescape(match: re.Match[str]) -> str:
    esc = match.group(1)
    if esc in _SIMPLE:
        return _SIMPLE[esc]
    if esc[0] == "x":
        return chr(int(esc[1:], 16))
    if esc[0] in "uU":
        return chr(int(esc[1:], 16))
    if esc[0] in "01234567":
        return chr(int(esc, 8))
    return esc  # unknown escape: keep the character, the checker may warn


def bad_escapes(raw: str) -> list[str]:
    """Escape sequences in a quoted literal that protobuf would reject."""
    out = []
    for m in _ESCAPE.finditer(raw[1:-1] if len(raw) >= 2 else raw):
        esc = m.group(1)
        if not (esc in _SIMPLE or (esc[0] in "xuU01234567" and esc not in ("x", "u", "U"))):
            out.append("\\" + esc)
    return out


def decode_string(raw: str) -> str:
    """``"a\\tb"`` -> ``a<TAB>b``; accepts one quoted piece, quotes included."""
    body = raw[1:-1] if len(raw) >= 2 and raw[-1] == raw[0] else raw[1:]
    return _ESCAPE.sub(_unescape, body) if "\\" in body else body


def is_integer_literal(text: str) -> bool:
    """True for ``42``, ``-3``, ``0x1F``, ``017``; False for ``1.``, ``1e3``, ``2f``."""
    t = text.lstrip("+-")
    if t[:2] in ("0x", "0X"):
        return True
    return t.isdigit()


def decode_number(text: str) -> int | float | None:
    """Value of a NUMBER token; None when protobuf could not read it either."""
    t = text
    try:
        if is_integer_literal(t):
            sign = -1 if t.startswith("-") else 1
            body = t.lstrip("+-")
            if body[:2] in ("0x", "0X"):
                return sign * int(body[2:], 16)
            if len(body) > 1 and body[0] == "0":
                return sign * int(body, 8)
            return sign * int(body)
        if t[-1:] in ("f", "F"):
            t = t[:-1]
        return float(t)
    except ValueError:
        return None


def float_word(text: str) -> float | None:
    """``inf``, ``-Infinity``, ``nan``... as a float, else None."""
    neg = text.startswith("-")
    word = (text[1:] if neg else text).lower()
    if word in FLOAT_WORDS:
        value = FLOAT_WORDS[word]
        return -value if neg else value
    return None
