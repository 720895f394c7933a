"""Turn a proto2 parse tree (``grammar/proto2.lark``) into a :class:`Schema`.

Kept apart from ``loader.py``, which is about reading, caching and parsing;
this module is about meaning: scopes, type resolution by protobuf's rules, the
checks protoc would make, and docs recovered from comments.  The checks exist
so that a broken fork schema yields errors at the right spot instead of a
descriptor-pool exception later in ``descriptors.py``.

Conventions (relied on by hover, go-to-definition and descriptors.py):

* ``range`` of a message, enum, field or enum value is the range of its NAME
  token (``LayerParameter`` in ``message LayerParameter {``), which is what an
  editor should highlight or jump to.
* Conflicts: the first definition wins.  A later one that clashes (same name
  in a scope, same field number, a number inside a reserved or extension
  range, a duplicate enum number without ``allow_alias``) is reported and left
  out, so the model always describes a buildable file.  Softer mistakes (bad
  default, misplaced ``packed``, missing label) are reported and the offending
  option is dropped or the label assumed ``optional``.
* Enum values live in the scope *around* their enum (C++ scoping), as in
  protoc, so two sibling enums cannot both define ``DEFAULT``.
"""

from __future__ import annotations

from ..positions import LineIndex
from ._proto2_text import default_problem, definition_doc, parse_int, unquote
from .model import (SCALAR_TYPES, EnumDef, EnumValueDef, FieldDef, MessageDef, Schema,
                    SchemaError)

MAX_FIELD_NUMBER = 536870911
_IMPL_RESERVED = (19000, 19999)
_TYPES = ("message", "enum")
_AGGREGATES = ("message", "enum", "package")
#: Field options protoc knows besides default/packed/deprecated (ignored here).
_OTHER_FIELD_OPTIONS = frozenset({
    "json_name", "ctype", "jstype", "lazy", "unverified_lazy", "weak",
    "debug_redact", "retention", "targets", "features", "edition_defaults",
    "feature_support"})


def build_schema(tree, text: str, comments: list, path: str | None,
                 errors: list[SchemaError]) -> Schema:
    """Build the Schema of ``tree``; ``errors`` (syntax errors) come first."""
    builder = _Builder(text, comments, path)
    builder.schema.errors.extend(errors)
    if tree is not None:
        builder.file(tree)
    return builder.schema


def _tokens(tree) -> list:
    """The tokens of a small subtree, in order (constants are flat)."""
    return list(tree.scan_values(lambda v: True))


class _Builder:
    def __init__(self, text: str, comments: list, path: str | None) -> None:
        self.text = text
        self.index = LineIndex(text)
        self.comments = comments  # lark Tokens, in source order
        self.comment_starts = [c.start_pos for c in comments]
        self.schema = Schema(package="", path=path)
        self.symbols: dict[str, str] = {}  # full name -> kind
        self.pending: list[tuple] = []  # (field, scope, type token, default)
        self.has_imports = False

    # -- helpers ------------------------------------------------------------
    def rng(self, tok, end_tok=None):
        if tok is None:  # e.g. an empty aggregate constant has no token
            return None
        return self.index.range(tok.start_pos, (end_tok or tok).end_pos)

    def error(self, message: str, tok, end_tok=None) -> None:
        self.schema.errors.append(SchemaError(message, self.rng(tok, end_tok)))

    def define(self, full: str, kind: str, tok, note: str = "") -> bool:
        """Enter a symbol; report and refuse a clash (the first one wins)."""
        if "." in tok.value:  # the grammar has one NAME terminal, dotted or not
            self.error(f"'{tok.value}' is not a simple name", tok)
            return False
        if full in self.symbols:
            scope, _, name = full.rpartition(".")
            where = f" in '{scope}'" if scope else ""
            self.error(f"'{name}' is already defined{where}{note}", tok)
            return False
        self.symbols[full] = kind
        return True

    def doc(self, start: int, end: int) -> str:
        return definition_doc(self.text, self.comments, self.comment_starts, start, end)

    # -- file level ---------------------------------------------------------
    def file(self, tree) -> None:
        # syntax and package apply to the whole file wherever they are written.
        for item in tree.children:
            if item.data == "syntax":
                self.syntax(item)
            elif item.data == "import_":
                self.has_imports = True
            elif item.data == "package" and self.symbols:
                self.error("multiple package statements", item.children[0])
            elif item.data == "package":
                self.schema.package = package = item.children[0].value.lstrip(".")
                parts = package.split(".")
                for n in range(1, len(parts) + 1):
                    self.symbols[".".join(parts[:n])] = "package"
        for item in tree.children:
            if item.data == "message":
                self.message(item, self.schema.package)
            elif item.data == "enum":
                self.enum(item, self.schema.package)
        self.resolve()

    def syntax(self, tree) -> None:
        keyword, value = tree.children
        version = unquote(self.const_text(value)) if value.data == "string" else ""
        if keyword.value == "edition":
            self.schema.syntax = "editions"
        elif version in ("proto2", "proto3"):
            self.schema.syntax = version
        else:
            self.error(f"unknown syntax {self.const_text(value)}", *self.const_span(value))

    # -- messages -----------------------------------------------------------
    def message(self, tree, scope: str) -> None:
        keyword, name, brace, *items = tree.children
        full = f"{scope}.{name}" if scope else name.value
        if not self.define(full, "message", name):
            return
        msg = MessageDef(full_name=full, name=name.value, range=self.rng(name),
                         doc=self.doc(keyword.start_pos, brace.end_pos))
        self.schema.messages[full] = msg
        if scope in self.schema.messages:
            self.schema.messages[scope].nested_messages.append(full)
        for item in items:
            kind = item.data
            if kind == "field":
                self.field(item, msg, None)
            elif kind == "message":
                self.message(item, full)
            elif kind == "enum":
                self.enum(item, full)
            elif kind == "oneof":
                self.oneof(item, msg)
            elif kind == "extensions":
                msg.extension_ranges.extend(self.ranges(item, 1, MAX_FIELD_NUMBER))
            elif kind == "reserved":
                self.reserved(item, msg)
            elif kind == "group":
                self.error("groups are not supported: use a nested message",
                           next(t for t in item.children if getattr(t, "type", "") == "GROUP"))
            elif kind == "map_field":
                self.error("map fields are not supported by this loader", item.children[0])
        self.check_numbers(msg)

    def oneof(self, tree, msg: MessageDef) -> None:
        _, name, *items = tree.children
        if not self.define(f"{msg.full_name}.{name}", "oneof", name):
            return
        for item in items:
            if item.data == "field":
                self.field(item, msg, name.value)
            elif item.data == "group":
                self.error("groups are not supported: use a nested message", name)

    def field(self, tree, msg: MessageDef, oneof: str | None) -> None:
        kids = tree.children
        label_tok = kids[0].children[0] if hasattr(kids[0], "data") else None
        if label_tok is not None:
            kids = kids[1:]
        type_tok, name, number_tok = kids[0], kids[1], kids[2]
        options = kids[3] if len(kids) == 5 else None
        label = label_tok.value if label_tok is not None else "optional"
        if oneof is not None and label_tok is not None:
            self.error("fields in a oneof must not have a label", label_tok)
            label = "optional"
        elif oneof is None and label_tok is None and self.schema.syntax == "proto2":
            self.error("expected 'required', 'optional' or 'repeated'", type_tok)
        number = parse_int(number_tok.value)
        if number is None or not 1 <= number <= MAX_FIELD_NUMBER:
            self.error(f"field numbers must be 1 to {MAX_FIELD_NUMBER}", number_tok)
            return
        if _IMPL_RESERVED[0] <= number <= _IMPL_RESERVED[1]:
            self.error("field numbers 19000 to 19999 are reserved for protobuf", number_tok)
            return
        scalar = type_tok.value in SCALAR_TYPES
        f = FieldDef(name=name.value, number=number, label=label, type_name=type_tok.value,
                     kind="scalar" if scalar else "unresolved", range=self.rng(name),
                     parent=msg.full_name, oneof=oneof,
                     doc=self.doc((label_tok or type_tok).start_pos, kids[-1].end_pos))
        default = None
        for opt_name, value, name_tok in self.options(options):
            if opt_name == "default":
                default = (value, name_tok)
            elif opt_name in ("packed", "deprecated"):
                flag = self.bool_option(value)
                setattr(f, opt_name, bool(flag))
            elif opt_name is not None and opt_name.split(".")[0] not in _OTHER_FIELD_OPTIONS:
                self.error(f"unknown field option '{opt_name}'", name_tok)
        if self.define(f"{msg.full_name}.{f.name}", "field", name):
            msg.fields[f.name] = f
            self.pending.append((f, msg.full_name, type_tok, default))

    def check_numbers(self, msg: MessageDef) -> None:
        """Drop fields whose number repeats or falls in a reserved/extension range."""
        seen: dict[int, str] = {}
        for f in list(msg.fields.values()):
            problem = None
            if f.number in seen:
                problem = f"field number {f.number} is already used by '{seen[f.number]}'"
            elif any(a <= f.number <= b for a, b in msg.reserved_ranges):
                problem = f"field number {f.number} is reserved"
            elif any(a <= f.number <= b for a, b in msg.extension_ranges):
                problem = f"field number {f.number} is inside an extension range"
            elif f.name in msg.reserved_names:
                problem = f"field name '{f.name}' is reserved"
            if problem:
                self.schema.errors.append(SchemaError(problem, f.range))
                del msg.fields[f.name]
            else:
                seen[f.number] = f.name

    def ranges(self, tree, low: int, high: int) -> list[tuple[int, int]]:
        """The ``a to b`` ranges of an extensions/reserved statement (inclusive),
        within [low, high] (field numbers, or int32 for enums); ``max`` = high."""
        out = []
        for r in tree.children:
            if getattr(r, "data", None) != "range_":
                continue
            bounds, sign = [], 1
            for tok in r.children:
                if tok.type == "SIGN":
                    sign = -1 if tok.value == "-" else 1
                    continue
                value = high if tok.type == "MAX" else parse_int(tok.value)
                bounds.append(None if value is None else sign * value)
                sign = 1
            lo, hi = bounds[0], bounds[-1]
            if lo is None or hi is None or not low <= lo <= hi <= high:
                self.error("invalid number range", r.children[0], r.children[-1])
            else:
                out.append((lo, hi))
        return out

    def reserved(self, tree, owner) -> None:
        fields = isinstance(owner, MessageDef)
        owner.reserved_ranges.extend(
            self.ranges(tree, 1, MAX_FIELD_NUMBER) if fields else self.ranges(tree, -(2**31), 2**31 - 1))
        for r in tree.children:
            if getattr(r, "data", None) == "reserved_name":
                tok = r.children[0]
                owner.reserved_names.append(unquote(tok.value) if tok.type == "STRING" else tok.value)

    # -- options and constants ----------------------------------------------
    def options(self, tree):
        """(simple name or None for ``(custom)`` options, constant, name token)."""
        if tree is None:
            return
        for opt in tree.children:
            name_tree, value = opt.children
            parts = name_tree.children
            simple = len(parts) == 1 and not hasattr(parts[0], "data")
            first = parts[0] if simple else next(iter(_tokens(name_tree)))
            yield (parts[0].value if simple else None), value, first

    def bool_option(self, value) -> bool | None:
        text = self.const_text(value)
        if value.data == "ident_const" and text in ("true", "false"):
            return text == "true"
        self.error("expected true or false", *self.const_span(value))
        return None

    def const_span(self, value):
        toks = _tokens(value)
        return (toks[0], toks[-1]) if toks else (None, None)

    def const_text(self, value) -> str:
        """A constant exactly as written (sign glued to the number)."""
        toks = _tokens(value)
        if value.data == "string":
            return self.text[toks[0].start_pos:toks[-1].end_pos]
        if value.data == "aggregate":
            return "{...}"
        return "".join(t.value for t in toks)

    # -- enums --------------------------------------------------------------
    def enum(self, tree, scope: str) -> None:
        keyword, name, brace, *items = tree.children
        full = f"{scope}.{name}" if scope else name.value
        if not self.define(full, "enum", name):
            return
        enum = EnumDef(full_name=full, name=name.value, range=self.rng(name),
                       doc=self.doc(keyword.start_pos, brace.end_pos))
        self.schema.enums[full] = enum
        if scope in self.schema.messages:
            self.schema.messages[scope].nested_enums.append(full)
        values = []
        for item in items:
            if item.data == "option":
                opt_name = item.children[0].children
                if len(opt_name) == 1 and getattr(opt_name[0], "value", "") == "allow_alias":
                    enum.allow_alias = bool(self.bool_option(item.children[1]))
            elif item.data == "enum_value":
                values.append(item)
            elif item.data == "reserved":
                self.reserved(item, enum)
        note = f" (enum values are siblings of '{name}', C++ scoping)"
        by_number: dict[int, str] = {}
        for item in values:
            kids = item.children
            vname, sign = kids[0], kids[1] if kids[1].type == "SIGN" else None
            num_tok = kids[2] if sign is not None else kids[1]
            number = parse_int(num_tok.value)
            if number is not None and sign is not None and sign.value == "-":
                number = -number
            if number is None or not -(2**31) <= number < 2**31:
                self.error("enum values must be 32-bit integers", num_tok)
                continue
            if number in by_number and not enum.allow_alias:
                self.error(f"enum value number {number} is already used by "
                           f"'{by_number[number]}' (set allow_alias to permit)", num_tok)
                continue
            if any(a <= number <= b for a, b in enum.reserved_ranges) or vname.value in enum.reserved_names:
                self.error(f"enum value '{vname}' is reserved", vname)
                continue
            if not self.define(f"{scope}.{vname}" if scope else vname.value, "enum_value", vname, note):
                continue
            by_number.setdefault(number, vname.value)
            value = EnumValueDef(name=vname.value, number=number, range=self.rng(vname),
                                 doc=self.doc(vname.start_pos, kids[-1].end_pos))
            for opt_name, const, _ in self.options(kids[-2] if hasattr(kids[-2], "data") else None):
                if opt_name == "deprecated":
                    value.deprecated = bool(self.bool_option(const))
            enum.values[value.name] = value
        if not enum.values:
            self.error("an enum must contain at least one value", name)
        elif enum.allow_alias and len(by_number) == len(enum.values):
            self.error("allow_alias is set but no two values share a number", name)
            enum.allow_alias = False

    # -- resolution ---------------------------------------------------------
    def lookup(self, name: str, scope: str) -> tuple[str, str | None]:
        """protoc's rule: find the first component innermost-scope-outward;
        a compound name is then final in the scope where its first part is an
        aggregate; a simple name must be a type (non-types are skipped)."""
        if name.startswith("."):
            return name[1:], self.symbols.get(name[1:])
        first, dot, _ = name.partition(".")
        while scope:
            kind = self.symbols.get(f"{scope}.{first}")
            if kind is not None:
                if dot and kind in _AGGREGATES:
                    full = f"{scope}.{name}"
                    return full, self.symbols.get(full)
                if not dot and kind in _TYPES:
                    return f"{scope}.{first}", kind
            scope = scope.rpartition(".")[0]
        return name, self.symbols.get(name)

    def resolve(self) -> None:
        for f, scope, type_tok, default in self.pending:
            if self.schema.messages[f.parent].fields.get(f.name) is not f:
                continue  # dropped by check_numbers
            if f.kind == "unresolved":
                full, kind = self.lookup(f.type_name, scope)
                if kind in _TYPES:
                    f.type_name, f.kind = full, kind
                elif kind is None:
                    hint = " (imports are not followed)" if self.has_imports else ""
                    self.error(f"unknown type '{f.type_name}'{hint}", type_tok)
                else:
                    self.error(f"'{f.type_name}' is not a type", type_tok)
            if default is not None:
                self.check_default(f, *default)
            if f.packed and not (f.repeated and (f.kind == "enum" or (
                    f.kind == "scalar" and f.type_name not in ("string", "bytes")))):
                self.schema.errors.append(SchemaError(
                    "[packed = true] is only for repeated numeric or enum fields", f.range))
                f.packed = False

    def check_default(self, f: FieldDef, value, name_tok) -> None:
        text = self.const_text(value)
        problem = default_problem(f, value.data, text, _tokens(value), self.schema.enums)
        if problem:
            first, last = self.const_span(value)
            self.error(problem, first or name_tok, last)
        else:
            f.default = text
