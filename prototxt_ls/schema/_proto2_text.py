"""Text-level helpers of the proto2 loader: docs, literals, default checks.

Separate from ``_proto2_build.py`` because ``descriptors.py`` needs the same
literal decoding (string defaults are stored unescaped in descriptors) and
must not pull in the tree builder.

Doc rule (shared with hover): a definition's doc is its LEADING comment, the
run of ``//`` lines (or one ``/* */`` block) directly before it with no blank
line between, each ``//`` removed and the common indentation stripped, lines
joined with "\n".  A comment that follows code on its line belongs to that
code, not to the next definition.  Without a leading comment, a ``//``
comment on the same line right after the definition's ``;`` (or its ``{``
for messages and enums) is used.
"""

from __future__ import annotations

from bisect import bisect_right

from .model import FLOAT_TYPES, INT_TYPES


def definition_doc(text: str, comments: list, comment_starts: list[int],
               start: int, end: int) -> str:
    """The leading comment before offset ``start``, else a trailing ``//``
    comment on the line of offset ``end`` (after the ``;`` or ``{``)."""
    i = bisect_right(comment_starts, start) - 1
    run: list = []
    follow = start
    while i >= 0:
        c = comments[i]
        gap = text[c.end_pos:follow]
        if gap.strip() or gap.count("\n") > 1:
            break
        block = c.value.startswith("/*")
        if run and (block or gap.count("\n") != 1):
            break
        run.append(c)
        if block:
            break
        follow, i = c.start_pos, i - 1
    if run:
        first = run[-1]
        line_start = text.rfind("\n", 0, first.start_pos) + 1
        if text[line_start:first.start_pos].strip():
            run.pop()  # a trailing comment of the previous line's code
    if run:
        if run[0].value.startswith("/*"):
            return _block_doc(run[0].value)
        return _dedent([c.value[2:] for c in reversed(run)])
    j = bisect_right(comment_starts, end - 1)
    if j < len(comments):
        c = comments[j]
        gap = text[end:c.start_pos]
        if c.value.startswith("//") and not gap.strip() and "\n" not in gap:
            return c.value[2:].strip()
    return ""


def _dedent(lines: list[str]) -> str:
    lines = [line.rstrip() for line in lines]
    indents = [len(line) - len(line.lstrip()) for line in lines if line]
    cut = min(indents, default=0)
    return "\n".join(line[cut:] for line in lines).strip("\n")


def _block_doc(comment: str) -> str:
    """A ``/* */`` comment's text, without the ``*`` gutter of Javadoc style."""
    body = comment[2:-2]
    if body.startswith("*"):
        body = body[1:]
    lines = body.split("\n")
    rest = [line.lstrip() for line in lines[1:]]
    if rest and all(line.startswith("*") or not line for line in rest):
        lines[1:] = [line[1:] for line in rest]
    first = lines[0].strip()  # shares its line with "/*": not part of the indent
    rest = _dedent(lines[1:])
    return "\n".join(part for part in (first, rest) if part)


def parse_int(text: str) -> int | None:
    """An unsigned proto integer literal: decimal, 0x hex or 0-prefixed octal."""
    try:
        if text[:2] in ("0x", "0X"):
            return int(text[2:], 16)
        if len(text) > 1 and text[0] == "0":
            return int(text[1:], 8)
        return int(text)
    except ValueError:
        return None


_SIMPLE_ESCAPES = {"n": 10, "t": 9, "r": 13, "a": 7, "b": 8, "f": 12, "v": 11,
                   "\\": 92, "'": 39, '"': 34, "?": 63}


def unescape(literals: str) -> bytes:
    """The bytes of one or more adjacent quoted literals, C escapes decoded
    the way protoc's tokenizer does (octal, \\x, \\u, \\U included)."""
    out = bytearray()
    i, n = 0, len(literals)
    while i < n:
        quote = literals[i]
        if quote not in "\"'":
            i += 1
            continue
        i += 1
        while i < n and literals[i] != quote:
            ch = literals[i]
            if ch != "\\" or i + 1 >= n:
                out += ch.encode("utf-8", "surrogatepass")
                i += 1
                continue
            esc = literals[i + 1]
            i += 2
            if esc in _SIMPLE_ESCAPES:
                out.append(_SIMPLE_ESCAPES[esc])
            elif esc in "01234567":
                j = i
                while j < min(n, i + 2) and literals[j] in "01234567":
                    j += 1
                out.append(int(literals[i - 1:j], 8) & 0xFF)
                i = j
            elif esc in "xX":
                j = i
                while j < min(n, i + 2) and literals[j] in "0123456789abcdefABCDEF":
                    j += 1
                out.append(int(literals[i:j] or "0", 16))
                i = j
            elif esc in "uU":
                width = 4 if esc == "u" else 8
                code = int(literals[i:i + width], 16)
                out += chr(code).encode("utf-8", "surrogatepass")
                i += width
            else:
                out += ("\\" + esc).encode()
        i += 1
    return bytes(out)


def unquote(literals: str) -> str:
    """The text value of quoted literals (invalid UTF-8 replaced)."""
    return unescape(literals).decode("utf-8", "replace")


def default_problem(f, data: str, text: str, toks: list, enums: dict) -> str | None:
    """Why a ``[default = ...]`` does not suit field ``f`` (None if it does),
    with protoc's rules; ``data`` is the constant's rule (number, ident_const,
    string, aggregate), ``toks`` its tokens."""
    sign = toks[0].value if toks and toks[0].type == "SIGN" else ""
    t = f.type_name
    if f.repeated:
        return "repeated fields can't have default values"
    if f.kind == "message":
        return "message fields can't have default values"
    if f.kind == "unresolved":
        return None
    if t in INT_TYPES:
        num = parse_int(toks[-1].value) if data == "number" and toks[-1].type == "INT" else None
        lo, hi = INT_TYPES[t]
        if num is None or sign == "+":
            return f"expected an integer default for {t}"
        if not lo <= (-num if sign else num) <= hi:
            return f"default {text} is out of range for {t}"
    elif t in FLOAT_TYPES:
        if sign == "+" or not (data == "number" or (
                data == "ident_const" and toks[-1].value in ("inf", "nan"))):
            return f"expected a number default for {t}"
    elif t == "bool":
        if text not in ("true", "false"):
            return "expected true or false"
    elif t in ("string", "bytes"):
        if data != "string":
            return f"expected a string default for {t}"
    elif f.kind == "enum":
        enum = enums[t]
        if data != "ident_const" or sign or "." in text:
            return f"expected a value name of enum '{enum.name}'"
        if text not in enum.values:
            return f"enum '{enum.name}' has no value named '{text}'"
    return None
