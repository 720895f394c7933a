"""Check a syntax tree against the schema: fields, value kinds, duplicates.

One recursive walk binds each block to its message type and each field to
its FieldDef, reporting F1xx findings as it goes.  It is the hot path of
``lint`` on large nets, so it avoids building Range objects until something
is actually reported.
"""

from __future__ import annotations

import difflib

from ..schema.model import FLOAT_TYPES, INT_TYPES, FieldDef, MessageDef, Schema
from ..syntax.tree import ListValue, Message, Scalar
from . import values
from ..positions import LineIndex
from .legacy_fields import REPLACEMENTS, V0_MESSAGE, V1_MESSAGE
from .memo import Memo, moved
from .report import Sink, replace_fix

_LAYER_MESSAGE = "LayerParameter"


class SchemaChecker:
    """Walks blocks of one document against one schema."""

    def __init__(self, schema: Schema, sink: Sink, memo: Memo | None = None, lines: LineIndex | None = None) -> None:
        self.schema = schema
        self.sink = sink
        #: The server's per-block memo: the blocks of the root message an
        #: edit did not touch report their previous findings (see memo.py).
        self.memo = memo
        self.lines = lines
        self._required: dict[str, list[FieldDef]] = {}
        self._legacy: dict[str, FieldDef] | None = None
        self._scalar_check: dict[str, object] = {}
        for name in INT_TYPES:
            self._scalar_check[name] = values.check_int
        for name in FLOAT_TYPES:
            self._scalar_check[name] = values.check_float
        self._scalar_check["bool"] = values.check_bool
        self._scalar_check["string"] = values.check_string
        self._scalar_check["bytes"] = values.check_string

    # ------------------------------------------------------------------ walk
    def check_message(self, node: Message, mdef: MessageDef, top: bool = False) -> None:
        """Check one block; ``top`` for the document's root (blocks below it may be memoised)."""
        fields = mdef.fields
        memo = self.memo if top else None
        seen: dict[str, object] | None = None
        messages = self.schema.messages
        for f in node.fields:
            fd = fields.get(f.name)
            if fd is None:
                self._unknown_field(f, mdef)
                continue
            value = f.value
            if fd.label != "repeated":
                if seen is None:
                    seen = {}
                first = seen.get(fd.name)
                if first is not None:
                    self.sink.add("F106", f.name_range,
                                  f"'{fd.name}' is set twice in this {mdef.name} block; it is not a "
                                  "repeated field", related=[(first.name_range, "first set here")])
                else:
                    seen[fd.name] = f
                if fd.oneof is not None:
                    self._oneof(f, fd, mdef, seen)
                if type(value) is ListValue:
                    self.sink.add("F102", value.range,
                                  f"'{fd.name}' is not a repeated field: it takes one value, not a list")
                    continue
            if fd.deprecated:
                self.sink.add("F108", f.name_range, f"'{fd.name}' is deprecated in this caffe.proto")
            kind = fd.kind
            if kind == "message":
                sub = messages.get(fd.type_name)
                for v in (value.items if type(value) is ListValue else (value,)):
                    if type(v) is Message:
                        if sub is not None:
                            if memo is not None and v.open is not None:
                                self._check_memoised(v, sub, memo)
                            else:
                                self.check_message(v, sub)
                    elif v.kind != "missing":
                        self.sink.add("F102", v.range, f"'{fd.name}' is a block ({fd.type_name.rsplit('.', 1)[-1]}):"
                                      f" write '{fd.name} {{ ... }}', not a value")
            else:
                for v in (value.items if type(value) is ListValue else (value,)):
                    if type(v) is Message:
                        self.sink.add("F102", v.range, f"'{fd.name}' takes {values.describe_type(fd)}, "
                                      "not a { } block")
                    elif v.kind not in ("missing", "bad_string"):
                        self._scalar(f, fd, v)
        required = self._required.get(mdef.full_name)
        if required is None:
            required = self._required[mdef.full_name] = [x for x in fields.values() if x.label == "required"]
        if required:
            present = {f.name for f in node.fields}
            for fd in required:
                if fd.name not in present:
                    where = node.open_range or node.range
                    self.sink.add("F109", where, f"{mdef.name} requires '{fd.name}', which is not set")

    def _check_memoised(self, node: Message, mdef: MessageDef, memo: Memo) -> None:
        items = self.sink.items
        hit = memo.get("schema", node, mdef.full_name)
        if hit is not None:
            found, delta = hit
            items.extend(moved(d, delta, self.lines) for d in found)
            return
        n = len(items)
        self.check_message(node, mdef)
        memo.put("schema", node, mdef.full_name, [moved(d, 0, self.lines) for d in items[n:]])

    # ------------------------------------------------------------------ scalars
    def _scalar(self, f, fd: FieldDef, v: Scalar) -> None:
        if fd.kind == "enum":
            problem = values.check_enum(fd, v, self.schema.enums.get(fd.type_name))
        else:
            check = self._scalar_check.get(fd.type_name)
            if check is None:
                return
            # Fast accept for the common cases before the general checks.
            t = fd.type_name
            if v.kind == "string" and t == "string" and "\\" not in v.text:
                return
            problem = check(fd, v)
        if problem is None:
            return
        code, message, fix_text = problem
        fixes = [replace_fix(f"Replace with {fix_text}", v.range, fix_text)] if fix_text else None
        self.sink.add(code, v.range, message, fixes)

    # ------------------------------------------------------------------ unknown fields
    def _unknown_field(self, f, mdef: MessageDef) -> None:
        if mdef.name == _LAYER_MESSAGE and mdef.full_name.startswith(self.schema.package):
            legacy = self._legacy_fields()
            if f.name in legacy:
                hint = REPLACEMENTS.get(f.name, "the matching field of the V2 layer's *_param block")
                self.sink.add("F107", f.name_range,
                              f"'{f.name}' belongs to old-style `layers` blocks (V0/V1); a V2 `layer` block "
                              f"has no such field: use {hint}")
                return
        candidates = list(mdef.fields)
        close = difflib.get_close_matches(f.name, candidates, n=1, cutoff=0.7)
        if not close:
            lowered = {c.lower(): c for c in candidates}
            if f.name.lower() in lowered:
                close = [lowered[f.name.lower()]]
        message = f"{mdef.name} has no field '{f.name}'"
        fixes = None
        if close:
            message += f"; did you mean '{close[0]}'?"
            fixes = [replace_fix(f"Rename to '{close[0]}'", f.name_range, close[0], safe=False)]
        else:
            message += (" (if it comes from a Caffe fork, check against the fork's caffe.proto: "
                        "--proto or a `# proto-file:` header)")
        self.sink.add("F101", f.name_range, message, fixes)

    def _legacy_fields(self) -> dict[str, FieldDef]:
        if self._legacy is None:
            legacy: dict[str, FieldDef] = {}
            for name in (V1_MESSAGE, V0_MESSAGE):
                m = self.schema.messages.get(name)
                if m is not None:
                    for fd in m.fields.values():
                        legacy.setdefault(fd.name, fd)
            self._legacy = legacy
        return self._legacy

    def _oneof(self, f, fd: FieldDef, mdef: MessageDef, seen: dict) -> None:
        key = "oneof:" + fd.oneof
        other = seen.get(key)
        if other is not None and other.name != f.name:
            self.sink.add("F111", f.name_range, f"'{f.name}' and '{other.name}' belong to the same oneof "
                          f"'{fd.oneof}' of {mdef.name}; only one may be set",
                          related=[(other.name_range, "the other member")])
        else:
            seen[key] = f
