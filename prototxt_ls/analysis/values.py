"""Does a literal fit a field's type?  protobuf text-format rules, one place.

Each check returns None when the value is acceptable, else ``(code, message,
fix_text)`` where ``fix_text`` is a replacement for the value that would be
accepted (quoting a bare word, unquoting an enum), or None.
"""

from __future__ import annotations

import re

from ..schema.model import FLOAT_TYPES, INT_TYPES, EnumDef, FieldDef
from ..syntax.literals import BOOL_WORDS, bad_escapes, decode_number, float_word, is_integer_literal
from ..syntax.tree import Scalar

Problem = tuple[str, str, str | None] | None

_FLOAT_WORD = re.compile(r"-?(inf(inity)?|nan)f?$", re.I)


def describe_type(fd: FieldDef) -> str:
    """How a field's type reads in a message: 'an integer (uint32)', 'a string'..."""
    t = fd.type_name
    if fd.kind == "enum":
        return f"a value of enum {t.rsplit('.', 1)[-1]}"
    if fd.kind == "message":
        return f"a {{ }} block ({t.rsplit('.', 1)[-1]})"
    if t in INT_TYPES:
        return f"an integer ({t})"
    if t in FLOAT_TYPES:
        return f"a number ({t})"
    if t == "bool":
        return "true or false"
    return "a quoted string"


def describe_value(v: Scalar) -> str:
    kind = v.kind
    text = v.text if len(v.text) <= 40 else v.text[:37] + "..."
    if kind == "string":
        return f"the string {text}"
    if kind == "number":
        return f"the number {text}"
    return f"'{text}'"


def check_string(fd: FieldDef, v: Scalar) -> Problem:
    if v.kind == "string":
        if "\\" in v.text:
            bad = [e for p in v.parts for e in bad_escapes(p)]
            if bad:
                return ("F110", f"invalid escape {bad[0]} in string: write \\\\ for a backslash, "
                        "or use forward slashes in paths", None)
        return None
    return ("F102", f"'{fd.name}' expects a quoted string, got {describe_value(v)}",
            '"' + v.text.replace("\\", "\\\\").replace('"', '\\"') + '"')


def check_int(fd: FieldDef, v: Scalar) -> Problem:
    if v.kind == "number":
        text = v.text
        if not is_integer_literal(text):
            value = decode_number(text)
            hint = None
            if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
                hint = str(int(value))
            return ("F105", f"'{fd.name}' is an integer field ({fd.type_name}); {text} is a "
                    "floating-point literal, which protobuf refuses", hint)
        value = decode_number(text)
        if value is None:
            return ("F102", f"'{fd.name}' expects {describe_type(fd)}, got {describe_value(v)}", None)
        lo, hi = INT_TYPES[fd.type_name]
        if not lo <= value <= hi:
            return ("F104", f"{text} is out of range for '{fd.name}' ({fd.type_name}: {lo} to {hi})", None)
        return None
    fix = None
    if v.kind == "string":
        inner = v.string_value.strip()
        if is_integer_literal(inner) if inner else False:
            fix = inner
    return ("F102", f"'{fd.name}' expects {describe_type(fd)}, got {describe_value(v)}", fix)


def check_float(fd: FieldDef, v: Scalar) -> Problem:
    if v.kind == "number":
        return None if decode_number(v.text) is not None else (
            "F102", f"'{fd.name}' expects a number, got {describe_value(v)}", None)
    if v.kind == "ident" and (_FLOAT_WORD.match(v.text) or float_word(v.text) is not None):
        return None
    fix = None
    if v.kind == "string" and decode_number(v.string_value.strip() or "x") is not None:
        fix = v.string_value.strip()
    return ("F102", f"'{fd.name}' expects {describe_type(fd)}, got {describe_value(v)}", fix)


def check_bool(fd: FieldDef, v: Scalar) -> Problem:
    if v.kind == "ident" and v.text in BOOL_WORDS:
        return None
    if v.kind == "number" and v.text in ("0", "1"):
        return None
    fix = None
    if v.kind == "string" and v.string_value.strip().lower() in ("true", "false"):
        fix = v.string_value.strip().lower()
    elif v.kind == "ident" and v.text.lower() in ("true", "false"):
        fix = v.text.lower()
    return ("F102", f"'{fd.name}' expects true or false, got {describe_value(v)}", fix)


def check_enum(fd: FieldDef, v: Scalar, enum: EnumDef | None) -> Problem:
    if enum is None:
        return None  # unresolved type: the schema is reported instead
    if v.kind == "ident":
        if v.text in enum.values:
            return None
        return ("F103", _unknown_enum(fd, v.text, enum), _close_value(v.text, enum))
    if v.kind == "number" and is_integer_literal(v.text):
        n = decode_number(v.text)
        if enum.by_number(n) is not None:  # protobuf accepts enum numbers in text
            return None
        return ("F103", f"{v.text} is not a number of enum {enum.name} ({_list_values(enum)})", None)
    if v.kind == "string" and v.string_value in enum.values:
        return ("F102", f"'{fd.name}' is an enum field: write {v.string_value} without quotes",
                v.string_value)
    return ("F102", f"'{fd.name}' expects {describe_type(fd)} ({_list_values(enum)}), got {describe_value(v)}",
            None)


def _list_values(enum: EnumDef) -> str:
    names = list(enum.values)
    shown = ", ".join(names[:25])
    return shown + (f", ... ({len(names)} in all)" if len(names) > 25 else "")


def _close_value(text: str, enum: EnumDef) -> str | None:
    for name in enum.values:
        if name.lower() == text.lower():
            return name
    import difflib

    m = difflib.get_close_matches(text.upper(), list(enum.values), n=1, cutoff=0.75)
    return m[0] if m else None


def _unknown_enum(fd: FieldDef, text: str, enum: EnumDef) -> str:
    close = _close_value(text, enum)
    hint = f"; did you mean {close}?" if close else ""
    return f"'{text}' is not a value of enum {enum.name} (valid: {_list_values(enum)}){hint}"
