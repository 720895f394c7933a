"""Reading a layer's parameter block with Caffe's defaults filled in.

:class:`Params` wraps one ``*_param { ... }`` block (or its absence) and the
schema message describing it.  ``get`` returns the value written, decoded to
Python (int, float, bool, enum value name, str), or the schema's default
when the field is absent — the same value Caffe's generated accessors return.
For V0 layers the values live in the flat inner ``layer { }`` block under old
names (``kernelsize``); ``aliases`` maps the V2 names onto them.
"""

from __future__ import annotations

from ..schema.model import FLOAT_TYPES, INT_TYPES, FieldDef, MessageDef, Schema
from ..syntax.literals import BOOL_WORDS, decode_number, decode_string, float_word
from ..syntax.tree import Field, Message, Scalar

_MISSING = object()


class Params:
    """Read-only view of one parameter block."""

    __slots__ = ("node", "mdef", "schema", "aliases", "defaults_from")

    def __init__(self, node: Message | None, mdef: MessageDef | None, schema: Schema,
                 aliases: dict[str, str] | None = None, defaults_from: MessageDef | None = None) -> None:
        self.node = node
        self.mdef = mdef
        self.schema = schema
        #: V2 field name -> name in ``node`` (V0 layers).
        self.aliases = aliases
        #: Message whose defaults apply to names not found (V0: the V2 param message).
        self.defaults_from = defaults_from

    # ------------------------------------------------------------------ lookup
    def _name(self, name: str) -> str:
        return self.aliases.get(name, name) if self.aliases else name

    def _fdef(self, name: str) -> FieldDef | None:
        real = self._name(name)
        fd = self.mdef.fields.get(real) if self.mdef is not None else None
        if fd is None and self.defaults_from is not None:
            fd = self.defaults_from.fields.get(name)
        return fd

    def fields(self, name: str) -> list[Field]:
        """The syntax-tree fields that set ``name`` (for ranges in diagnostics)."""
        if self.node is None:
            return []
        if self.aliases is not None and name not in self.aliases:
            return []
        return self.node.by_name().get(self._name(name), [])

    def field(self, name: str) -> Field | None:
        found = self.fields(name)
        return found[0] if found else None

    def has(self, name: str) -> bool:
        return bool(self.fields(name))

    # ------------------------------------------------------------------ values
    def get(self, name: str, default: object = _MISSING):
        """The field's value, else ``default`` if given, else the schema default."""
        fd = self._fdef(name)
        for f in reversed(self.fields(name)):  # protobuf: the last value wins
            for v in reversed(f.values()):
                if isinstance(v, Scalar):
                    value = self._decode(v, fd)
                    if value is not None:
                        return value
        if default is not _MISSING:
            return default
        return self._default(fd)

    def all(self, name: str) -> list:
        """Every value of a repeated field, in order (decoded)."""
        fd = self._fdef(name)
        out = []
        for f in self.fields(name):
            for v in f.values():
                if isinstance(v, Scalar):
                    value = self._decode(v, fd)
                    if value is not None:
                        out.append(value)
        return out

    def message(self, name: str) -> "Params":
        """The sub-block ``name`` (the last one), or an empty view with defaults."""
        subs = self.messages(name)
        if subs:
            return subs[-1]
        fd = self._fdef(name)
        return Params(None, self.schema.field_message(fd) if fd else None, self.schema)

    def messages(self, name: str) -> list["Params"]:
        fd = self._fdef(name)
        sub = self.schema.field_message(fd) if fd is not None else None
        out = []
        for f in self.fields(name):
            for v in f.values():
                if isinstance(v, Message):
                    out.append(Params(v, sub, self.schema))
        return out

    # ------------------------------------------------------------------ decoding
    def _decode(self, v: Scalar, fd: FieldDef | None):
        kind = v.kind
        t = fd.type_name if fd is not None else None
        if kind == "number":
            n = decode_number(v.text)
            if n is None:
                return None
            if fd is not None and fd.kind == "enum":
                enum = self.schema.field_enum(fd)
                ev = enum.by_number(int(n)) if enum is not None else None
                return ev.name if ev is not None else None
            if t == "bool":
                return bool(n)
            if t in FLOAT_TYPES:
                return float(n)
            if t in INT_TYPES and isinstance(n, float):
                return None  # F105 reported elsewhere; Caffe would not load it
            return n
        if kind == "ident":
            if t == "bool" or (t is None and v.text in BOOL_WORDS):
                return BOOL_WORDS.get(v.text)
            if t in FLOAT_TYPES:
                return float_word(v.text)
            return v.text  # enum value name
        if kind == "string":
            return v.string_value
        return None

    def _default(self, fd: FieldDef | None):
        if fd is None:
            return None
        if fd.label == "repeated":
            return []
        if fd.kind == "message":
            return None
        d = fd.default
        t = fd.type_name
        if fd.kind == "enum":
            if d is not None:
                return d
            enum = self.schema.field_enum(fd)
            return next(iter(enum.values)) if enum and enum.values else None
        if t == "bool":
            return d == "true" if d is not None else False
        if t in ("string", "bytes"):
            return decode_string(d) if d else ""
        if t in FLOAT_TYPES:
            return float(float_word(d) if float_word(d) is not None else decode_number(d)) if d else 0.0
        if t in INT_TYPES:
            return int(decode_number(d)) if d else 0
        return None
