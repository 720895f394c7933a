"""The Schema model: what a caffe.proto (or a fork's) says, in plain Python.

The loader (``loader.py``) builds it from ``.proto`` text with
``grammar/proto2.lark``; the checker, hover and completion read it; the
descriptor bridge (``descriptors.py``) turns it into protobuf message classes.
Every definition keeps the comment written just before it (its doc) and its
range in the ``.proto`` file, so hover can show the doc and go-to-definition
can open the schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..positions import Range

#: Scalar types of proto2 and the Python kind of value a text file gives them.
INT_TYPES = {
    "int32": (-(2**31), 2**31 - 1),
    "sint32": (-(2**31), 2**31 - 1),
    "sfixed32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "sint64": (-(2**63), 2**63 - 1),
    "sfixed64": (-(2**63), 2**63 - 1),
    "uint32": (0, 2**32 - 1),
    "fixed32": (0, 2**32 - 1),
    "uint64": (0, 2**64 - 1),
    "fixed64": (0, 2**64 - 1),
}
FLOAT_TYPES = frozenset({"float", "double"})
SCALAR_TYPES = frozenset(INT_TYPES) | FLOAT_TYPES | {"bool", "string", "bytes"}


@dataclass(slots=True)
class EnumValueDef:
    name: str
    number: int
    doc: str = ""
    range: Range | None = None
    deprecated: bool = False


@dataclass(slots=True)
class EnumDef:
    full_name: str  # "caffe.PoolingParameter.PoolMethod"
    name: str  # "PoolMethod"
    values: dict[str, EnumValueDef] = field(default_factory=dict)
    doc: str = ""
    range: Range | None = None
    allow_alias: bool = False
    #: ``reserved`` statements: (start, end) inclusive number ranges and names.
    reserved_ranges: list[tuple[int, int]] = field(default_factory=list)
    reserved_names: list[str] = field(default_factory=list)

    def by_number(self, number: int) -> EnumValueDef | None:
        for value in self.values.values():
            if value.number == number:
                return value
        return None


@dataclass(slots=True)
class FieldDef:
    name: str
    number: int
    label: str  # "optional" | "required" | "repeated"
    #: Scalar type name ("float", "string", ...) or the fully qualified name of
    #: a message or enum ("caffe.FillerParameter"), resolved by the loader.
    type_name: str
    #: "scalar", "message" or "enum" (after resolution); "unresolved" if the
    #: loader could not find the type.
    kind: str
    #: Default exactly as written in the .proto ("0.9", "MAX", "true", "\"\""), or None.
    default: str | None = None
    packed: bool = False
    deprecated: bool = False
    doc: str = ""
    range: Range | None = None
    #: Full name of the message that declares the field.
    parent: str = ""
    #: Name of the oneof the field belongs to, if any.
    oneof: str | None = None

    @property
    def repeated(self) -> bool:
        return self.label == "repeated"


@dataclass(slots=True)
class MessageDef:
    full_name: str  # "caffe.LayerParameter"
    name: str  # "LayerParameter"
    fields: dict[str, FieldDef] = field(default_factory=dict)
    doc: str = ""
    range: Range | None = None
    #: Full names of messages and enums declared inside this one.
    nested_messages: list[str] = field(default_factory=list)
    nested_enums: list[str] = field(default_factory=list)
    #: (start, end) inclusive extension ranges; text files may not use them.
    extension_ranges: list[tuple[int, int]] = field(default_factory=list)
    #: ``reserved`` statements: (start, end) inclusive number ranges and names.
    reserved_ranges: list[tuple[int, int]] = field(default_factory=list)
    reserved_names: list[str] = field(default_factory=list)

    def field_by_number(self, number: int) -> FieldDef | None:
        for f in self.fields.values():
            if f.number == number:
                return f
        return None


@dataclass(slots=True)
class SchemaError:
    """A problem found while loading a .proto file (syntax or resolution)."""

    message: str
    range: Range | None


@dataclass(slots=True)
class Schema:
    """All messages and enums of one .proto file, by fully qualified name."""

    package: str
    path: str | None
    messages: dict[str, MessageDef] = field(default_factory=dict)
    enums: dict[str, EnumDef] = field(default_factory=dict)
    errors: list[SchemaError] = field(default_factory=list)
    syntax: str = "proto2"

    def qualify(self, name: str) -> str:
        """"NetParameter" or ".caffe.NetParameter" -> "caffe.NetParameter"."""
        name = name.lstrip(".")
        if name in self.messages or name in self.enums:
            return name
        if self.package and f"{self.package}.{name}" in self.messages:
            return f"{self.package}.{name}"
        if self.package and f"{self.package}.{name}" in self.enums:
            return f"{self.package}.{name}"
        return name

    def message(self, name: str) -> MessageDef | None:
        """Look up a message by short or fully qualified name."""
        return self.messages.get(self.qualify(name))

    def enum(self, name: str) -> EnumDef | None:
        return self.enums.get(self.qualify(name))

    def field_message(self, f: FieldDef) -> MessageDef | None:
        return self.messages.get(f.type_name) if f.kind == "message" else None

    def field_enum(self, f: FieldDef) -> EnumDef | None:
        return self.enums.get(f.type_name) if f.kind == "enum" else None
