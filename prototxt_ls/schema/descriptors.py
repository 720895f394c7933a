"""Bridge a Schema to protobuf descriptors and message classes, without protoc.

Why: decoding a Caffe file with protobuf itself (``text_format.Parse`` or a
binary ``.caffemodel``) is the ground truth the linter is checked against, and
a user's fork schema is only available as a .proto file.  The loader already
turned that file into a Schema; this module writes the equivalent
``FileDescriptorProto`` (what protoc would produce, minus source info) and
builds classes from it.

Each Schema gets its own ``DescriptorPool``: a fork's ``caffe.LayerParameter``
and the bundled one differ, and putting both in the default pool would clash.
The pool and the classes are cached per Schema *object* (the last few
schemas used), so repeated lookups return the very same class.  This module imports google.protobuf; the loader deliberately does not.
"""

from __future__ import annotations

import math
import os
import struct
from collections import OrderedDict

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from ._proto2_text import parse_int, unescape
from .model import MessageDef, Schema

_F = descriptor_pb2.FieldDescriptorProto
_LABELS = {"optional": _F.LABEL_OPTIONAL, "required": _F.LABEL_REQUIRED,
           "repeated": _F.LABEL_REPEATED}
_SCALARS = {
    "double": _F.TYPE_DOUBLE, "float": _F.TYPE_FLOAT, "int64": _F.TYPE_INT64,
    "uint64": _F.TYPE_UINT64, "int32": _F.TYPE_INT32, "fixed64": _F.TYPE_FIXED64,
    "fixed32": _F.TYPE_FIXED32, "bool": _F.TYPE_BOOL, "string": _F.TYPE_STRING,
    "bytes": _F.TYPE_BYTES, "uint32": _F.TYPE_UINT32, "sfixed32": _F.TYPE_SFIXED32,
    "sfixed64": _F.TYPE_SFIXED64, "sint32": _F.TYPE_SINT32, "sint64": _F.TYPE_SINT64,
}


def file_descriptor_proto(schema: Schema) -> descriptor_pb2.FileDescriptorProto:
    """The FileDescriptorProto protoc would write for the schema's file.

    Fields whose type did not resolve are left out (the loader already
    reported them), so a schema with such errors still builds.  Defaults are
    stored the way protoc stores them: see ``default_value``.
    """
    fdp = descriptor_pb2.FileDescriptorProto(
        name=os.path.basename(schema.path) if schema.path else "caffe.proto",
        package=schema.package, syntax=schema.syntax)
    parents = set(schema.messages)
    for msg in schema.messages.values():
        if msg.full_name.rpartition(".")[0] not in parents:
            _message(schema, msg, fdp.message_type.add())
    for full, enum in schema.enums.items():
        if full.rpartition(".")[0] not in parents:
            _enum(enum, fdp.enum_type.add())
    return fdp


def _message(schema: Schema, msg: MessageDef, out: descriptor_pb2.DescriptorProto) -> None:
    out.name = msg.name
    oneofs: dict[str, int] = {}
    for f in msg.fields.values():
        if f.kind == "unresolved":
            continue
        field = out.field.add(name=f.name, number=f.number, label=_LABELS[f.label],
                              json_name=_json_name(f.name))
        if f.kind == "scalar":
            field.type = _SCALARS[f.type_name]
        else:
            field.type = _F.TYPE_MESSAGE if f.kind == "message" else _F.TYPE_ENUM
            field.type_name = "." + f.type_name
        if f.default is not None:
            field.default_value = default_value(f.type_name, f.kind, f.default)
        if f.packed:
            field.options.packed = True
        if f.deprecated:
            field.options.deprecated = True
        if f.oneof is not None:
            if f.oneof not in oneofs:
                oneofs[f.oneof] = len(oneofs)
                out.oneof_decl.add(name=f.oneof)
            field.oneof_index = oneofs[f.oneof]
    for name in msg.nested_messages:
        _message(schema, schema.messages[name], out.nested_type.add())
    for name in msg.nested_enums:
        _enum(schema.enums[name], out.enum_type.add())
    for start, end in msg.extension_ranges:
        out.extension_range.add(start=start, end=end + 1)  # descriptors: end exclusive
    for start, end in msg.reserved_ranges:
        out.reserved_range.add(start=start, end=end + 1)
    out.reserved_name.extend(msg.reserved_names)


def _enum(enum, out: descriptor_pb2.EnumDescriptorProto) -> None:
    out.name = enum.name
    for value in enum.values.values():
        v = out.value.add(name=value.name, number=value.number)
        if value.deprecated:
            v.options.deprecated = True
    if enum.allow_alias:
        out.options.allow_alias = True
    for start, end in enum.reserved_ranges:
        out.reserved_range.add(start=start, end=end)  # enum ranges: end inclusive
    out.reserved_name.extend(enum.reserved_names)


def _json_name(name: str) -> str:
    """protoc's lowerCamelCase: drop each "_" and upper-case the next char."""
    parts = name.split("_")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


def default_value(type_name: str, kind: str, written: str) -> str:
    """A default as descriptors store it, from the text the .proto has.

    Strings are unquoted and unescaped, bytes re-escaped C style, integers in
    decimal (hex/octal converted), doubles in the shortest "%g" form that
    reads back to the same double (protoc's SimpleDtoa: "1." -> "1", "1e-8" ->
    "1e-08") and floats likewise for the float32 value (SimpleFtoa: "0.1" ->
    "0.1"), so the meaning never changes; enums and bools stay as written.
    """
    if kind != "scalar" or type_name == "bool":
        return written
    if type_name == "string":
        return unescape(written).decode("utf-8", "replace")
    if type_name == "bytes":
        return _c_escape(unescape(written))
    sign = "-" if written.startswith("-") else ""
    body = written.lstrip("+-")
    if type_name in ("float", "double"):
        if body in ("inf", "nan"):
            return sign + body
        number = parse_int(body) if not any(c in body for c in ".eE") or body[:2] in ("0x", "0X") else None
        value = float(number) if number is not None else float(body)
        return sign + (_simple_dtoa(value) if type_name == "double" else _simple_ftoa(value))
    number = parse_int(body)
    return written if number is None else sign + str(number)


def _simple_dtoa(value: float) -> str:
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if math.isnan(value):
        return "nan"
    text = "%.15g" % value
    return text if float(text) == value else "%.17g" % value


def _simple_ftoa(value: float) -> str:
    """protoc's SimpleFtoa: the value rounded to float32, in "%.6g" if that
    reads back to the same float32, else "%.9g"."""
    try:
        single = struct.unpack("<f", struct.pack("<f", value))[0]
    except OverflowError:  # C's float cast turns out-of-range values into inf
        return "inf"
    if math.isinf(single) or math.isnan(single):
        return _simple_dtoa(single)
    text = "%.6g" % single
    return text if struct.unpack("<f", struct.pack("<f", float(text)))[0] == single else "%.9g" % single


def _c_escape(data: bytes) -> str:
    out = []
    for byte in data:
        ch = chr(byte)
        if ch in "\n\r\t\"'\\":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch, "\\" + ch))
        elif 0x20 <= byte < 0x7F:
            out.append(ch)
        else:
            out.append("\\%03o" % byte)
    return "".join(out)


# -- message classes, one pool per Schema object -------------------------------

#: id(schema) -> (schema, pool, classes by full name), most recent last.  The
#: entry holds the schema itself, so its id cannot be reused while cached, and
#: a bounded LRU rather than weak references because Schema (a slots
#: dataclass, Python 3.10 included) is neither hashable nor weak-referenceable.
_pools: OrderedDict[int, tuple[Schema, descriptor_pool.DescriptorPool, dict]] = OrderedDict()
_MAX_POOLS = 8


def _pool_for(schema: Schema):
    entry = _pools.get(id(schema))
    if entry is None or entry[0] is not schema:
        pool = descriptor_pool.DescriptorPool()
        pool.Add(file_descriptor_proto(schema))
        entry = _pools[id(schema)] = (schema, pool, {})
        while len(_pools) > _MAX_POOLS:
            _pools.popitem(last=False)
    _pools.move_to_end(id(schema))
    return entry[1], entry[2]


def message_class(schema: Schema, full_or_short_name: str) -> type:
    """The generated message class for a message of ``schema``.

    ``full_or_short_name`` may be "NetParameter", "caffe.NetParameter" or
    ".caffe.NetParameter".  Raises KeyError for an unknown message, and
    protobuf's TypeError if the schema cannot be built (errors that the loader
    could not repair, such as an enum without values).
    """
    full = schema.qualify(full_or_short_name)
    if full not in schema.messages:
        raise KeyError(f"no message {full_or_short_name!r} in schema")
    pool, classes = _pool_for(schema)
    cls = classes.get(full)
    if cls is None:
        cls = classes[full] = message_factory.GetMessageClass(pool.FindMessageTypeByName(full))
    return cls
