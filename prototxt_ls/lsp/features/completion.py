"""Completion: fields, enum values, layer types, blob names, true/false.

Works while typing: the context comes from the cursor's line (tokenized up
to the cursor, so an unterminated ``"`` or a ``name:`` without a value is
fine) and the enclosing block from the recovered syntax tree:

* start of a field (``{ |``, a new line, ``num_o|``): the fields of the
  block's message, common ones first (a V2 ``layer``: name, type, bottom,
  top, then the ``*_param`` of its type), already-set singular fields left
  out, deprecated and V0/V1-only ones tagged (V0/V1-only fields are never
  offered in a V2 ``layer``: LayerParameter has none), message fields as a
  ``name {\\n\\t$0\\n}`` snippet;
* after ``field:``: enum values, ``true``/``false``, layer type strings for
  ``type``, blobs made by earlier layers for ``bottom`` (closest first), the
  layer's name and bottoms for ``top``, the layer's tops for its ``name``;
* inside ``"|"`` after ``type:``/``bottom:``/``top:``/``name:``: the same strings.

A trigger character only opens the list where it makes sense (``:`` and a
space after ``field:``, ``"`` in a string, ``{`` for a block's fields).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lsprotocol import types as lsp

from ...analysis.check import CheckResult
from ...layers.registry import all_types, by_v1, lookup
from ...layers.shapes import fmt
from ...model.net import LayerView
from ...positions import LineIndex, Position, Range
from ...schema.loader import bundled_schema
from ...schema.model import FieldDef, MessageDef, Schema
from ...syntax.lexer import end_of, start_of, tokenize
from ..convert import to_lsp_range
from ..locate import Scope, cursor, layer_at, net_layers, scope_at
from ..server import PrototxtServer, safe
from .hover import deprecation, phase_results, short_type

TRIGGERS = [":", " ", '"', "{"]

#: Messages that hold one layer (V2, V1, V0's inner block).
LAYER_MESSAGES = ("LayerParameter", "V1LayerParameter", "V0LayerParameter")
#: Field order that heads a layer's completions, and the usual fields after its `*_param`.
LAYER_HEAD = ("name", "type", "bottom", "top")
LAYER_COMMON = ("include", "exclude", "param", "loss_weight", "propagate_down", "phase")
NET_HEAD = ("name", "layer")
#: Layer types most nets use, offered first (then the other BVLC types, then forks').
POPULAR_TYPES = ("Convolution", "ReLU", "Pooling", "InnerProduct", "Input", "Data", "BatchNorm", "Scale",
                 "Concat", "Eltwise", "Dropout", "Softmax", "SoftmaxWithLoss", "Accuracy", "LRN",
                 "Deconvolution", "Sigmoid", "TanH", "PReLU", "Flatten", "Reshape", "Slice", "Split",
                 "ImageData", "HDF5Data", "EuclideanLoss")

_VALUE_TOKENS = ("STRING", "NUMBER", "IDENT", "NEG_IDENT", "_COMMA")
_WORD = re.compile(r"[A-Za-z0-9_]*")


@dataclass
class Context:
    """What the cursor is completing.

    ``kind``: ``field`` (a field name), ``value`` (a bare value after
    ``owner:``) or ``string`` (inside an open ``"`` after ``owner:``).
    ``start``..``end`` is the text the chosen item replaces; ``close_quote``
    is set when the string has no closing quote after the cursor yet.
    """

    kind: str
    prefix: str
    start: Position
    end: Position
    owner: str | None = None
    quote: str = '"'
    close_quote: bool = False
    #: The line after the completed word (to skip ``: ``/`` {`` already written).
    rest: str = ""


def _value_owner(toks: list) -> str | None:
    """When the tokens end where a value goes (``name:``, ``name: [a,``), the field's name."""
    if not toks:
        return None
    last = toks[-1][0]
    if last == "COLON":
        return toks[-2][1] if len(toks) >= 2 and toks[-2][0] == "IDENT" else None
    if last in ("LSQB", "_COMMA"):
        j = len(toks) - 1
        while j >= 0 and toks[j][0] in _VALUE_TOKENS:
            j -= 1
        if j >= 2 and toks[j][0] == "LSQB" and toks[j - 1][0] == "COLON" and toks[j - 2][0] == "IDENT":
            return toks[j - 2][1]
    return None


def context_at(lines: LineIndex, pos: Position) -> Context | None:
    """The completion context at ``pos`` (None: in a comment, after a string, ...)."""
    text = lines.line_text(pos.line)
    prefix = text[:pos.column]
    line_start = pos.offset - pos.column
    comments: list = []
    toks = tokenize(prefix, comments, LineIndex(prefix))[:-1]
    if comments:
        return None  # a comment runs to the end of the line: the cursor is in it
    n = len(prefix)

    def at(col: int) -> Position:
        return Position(pos.line, col, line_start + col)

    last = toks[-1] if toks else None
    if last is not None and last[3] == n and last[0] == "BAD_STRING":
        owner = _value_owner(toks[:-1])
        if owner is None:
            return None
        quote = last[1][0]
        rest = text[n:]
        m = re.match(r"[^\"'\s]*", rest)
        word_end = n + m.end()
        closed = word_end < len(text) and text[word_end] == quote
        return Context("string", last[1][1:], at(last[2] + 1), at(word_end if closed else n), owner,
                       quote, not closed)
    if last is not None and last[3] == n and last[0] in ("IDENT", "NEG_IDENT", "NUMBER"):
        owner = _value_owner(toks[:-1])
        if owner is not None:
            return Context("value", last[1], at(last[2]), pos, owner)
        if last[0] != "IDENT":
            return None
        return Context("field", last[1], at(last[2]), pos, rest=text[_WORD.match(text, n).end():])
    if last is not None and last[3] == n and last[0] in ("STRING", "BAD_CHAR"):
        return None
    owner = _value_owner(toks)
    if owner is not None:
        return Context("value", "", pos, pos, owner)
    if last is not None and last[0] == "IDENT" and _value_owner(toks[:-1]) is None:
        return None  # `layer |`: a field name waiting for its ':' or '{'
    if last is not None and last[0] == "COLON":
        return None
    return Context("field", "", pos, pos, rest=text[n:])


# ---------------------------------------------------------------- items

def _doc(md: str | None) -> lsp.MarkupContent | None:
    return lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=md) if md else None


def _edit(ctx: Context, lines: LineIndex, new_text: str) -> lsp.TextEdit:
    if ctx.kind == "value" and not ctx.prefix and ctx.start.column > 0 \
            and lines.line_text(ctx.start.line)[ctx.start.column - 1] == ":":
        new_text = " " + new_text  # `pool:|` -> `pool: MAX`
    return lsp.TextEdit(range=to_lsp_range(Range(ctx.start, ctx.end), lines), new_text=new_text)


def _rank_field(mdef: MessageDef, fd: FieldDef, index: int, spec_params: tuple[str, ...],
                deprecated: bool) -> str:
    """sort_text: group digit, then order within the group."""
    name = fd.name
    if deprecated:
        return f"9{index:04d}"
    if mdef.name in LAYER_MESSAGES:
        if name in LAYER_HEAD:
            return f"0{LAYER_HEAD.index(name):04d}"
        if name in spec_params:
            return f"1{spec_params.index(name):04d}"
        if name in LAYER_COMMON:
            return f"2{LAYER_COMMON.index(name):04d}"
        if name == "blobs":
            return f"8{index:04d}"  # filled in .caffemodel files, not by hand
        return f"3{index:04d}"
    if mdef.name == "NetParameter" and name in NET_HEAD:
        return f"0{NET_HEAD.index(name):04d}"
    if fd.label == "required":
        return f"1{index:04d}"
    return f"3{index:04d}"


def _type_params(layer: LayerView | None) -> tuple[str, ...]:
    """The `*_param` blocks the layer's type reads, most specific first."""
    spec = layer.spec if layer is not None else None
    if spec is None:
        return ()
    out = [spec.param] if spec.param else []
    if spec.is_data:
        out.append("transform_param")
    if spec.is_loss:
        out.append("loss_param")
    return tuple(out)


def field_items(result: CheckResult, scope: Scope, ctx: Context, lines: LineIndex,
                layer: LayerView | None) -> list[lsp.CompletionItem]:
    mdef = scope.mdef
    schema = result.schema
    if mdef is None:
        return []
    cur = ctx.start.offset
    present = {}
    for f in scope.message.fields:
        t = f.name_token
        if not (start_of(t) <= cur <= end_of(t)):  # the word being typed does not count
            present[f.name] = f
    oneofs_set = {mdef.fields[n].oneof for n in present if n in mdef.fields and mdef.fields[n].oneof}
    spec_params = _type_params(layer) if mdef.name in LAYER_MESSAGES else ()
    # Only add ": " or " {" when the line does not already have them after the word.
    bare = bool(re.match(r"\s*[:{<]", ctx.rest))
    items = []
    for index, fd in enumerate(mdef.fields.values()):
        if fd.name in present and not fd.repeated:
            continue
        if fd.oneof and fd.oneof in oneofs_set and fd.name not in present:
            continue
        note = deprecation(schema, mdef, fd)
        if note and note.startswith("**V0/V1") and mdef.name == "LayerParameter":
            continue  # never offered in a V2 layer (a fork's schema might carry them)
        typ = short_type(schema, fd.type_name)
        detail = f"{fd.label} {typ}" + (f" = {fd.default}" if fd.default is not None else "")
        if bare:
            new_text, fmt_ = fd.name, lsp.InsertTextFormat.PlainText
        elif fd.kind == "message":
            new_text, fmt_ = f"{fd.name} {{\n\t$0\n}}", lsp.InsertTextFormat.Snippet
        elif fd.kind == "scalar" and fd.type_name in ("string", "bytes"):
            new_text, fmt_ = f'{fd.name}: "$0"', lsp.InsertTextFormat.Snippet
        else:
            new_text, fmt_ = f"{fd.name}: ", lsp.InsertTextFormat.PlainText
        doc = "\n\n".join(p for p in (fd.doc, note) if p)
        items.append(lsp.CompletionItem(
            label=fd.name, kind=lsp.CompletionItemKind.Field, detail=detail, documentation=_doc(doc),
            sort_text=_rank_field(mdef, fd, index, spec_params, note is not None), filter_text=fd.name,
            tags=[lsp.CompletionItemTag.Deprecated] if note else None,
            insert_text_format=fmt_, text_edit=_edit(ctx, lines, new_text),
            insert_text_mode=lsp.InsertTextMode.AdjustIndentation if fmt_ == lsp.InsertTextFormat.Snippet
            else None))
    return items


def _string_items(ctx: Context, lines: LineIndex, values: list[tuple[str, lsp.CompletionItemKind, str,
                                                                       str | None, bool]]):
    """(value, kind, detail, doc, deprecated) -> items, quoted as the context needs."""
    items = []
    for i, (value, kind, detail, doc, dep) in enumerate(values):
        if ctx.kind == "string":
            new_text = value + (ctx.quote if ctx.close_quote else "")
            filter_text = value
        else:
            new_text = f'"{value}"'
            filter_text = new_text if ctx.prefix.startswith('"') else value
        items.append(lsp.CompletionItem(
            label=value, kind=kind, detail=detail, documentation=_doc(doc), sort_text=f"{i:05d}",
            filter_text=filter_text, tags=[lsp.CompletionItemTag.Deprecated] if dep else None,
            text_edit=_edit(ctx, lines, new_text)))
    return items


def layer_types(schema: Schema | None) -> list[tuple[str, lsp.CompletionItemKind, str, str | None, bool]]:
    """Caffe's types (popular first), the forks' types under a fork's schema, and
    types only the loaded schema knows (a ``foo_bar_param`` with no registered type)."""
    fork_schema = schema is not None and schema is not bundled_schema()
    layer_mdef = schema.message("LayerParameter") if schema is not None else None
    bvlc, forks = [], []
    for t in all_types():
        spec = lookup(t)
        if spec.fork:
            if fork_schema and (spec.param is None or (layer_mdef is not None and spec.param in layer_mdef.fields)):
                forks.append(spec)
        else:
            bvlc.append(spec)
    order = {t: i for i, t in enumerate(POPULAR_TYPES)}
    bvlc.sort(key=lambda s: (order.get(s.type, len(order)), s.type))
    out = []
    for spec in bvlc + forks:
        doc = spec.doc + (f"\n\nParameters: `{spec.param}`" if spec.param else "")
        out.append((spec.type, lsp.CompletionItemKind.Class, spec.fork or "BVLC Caffe", doc, False))
    if fork_schema and layer_mdef is not None:
        base = bundled_schema().message("LayerParameter")
        known = {lookup(t).param for t in all_types()}
        for name, fd in layer_mdef.fields.items():
            if not name.endswith("_param") or name in known or (base is not None and name in base.fields):
                continue
            # The type is named like its message (ROIPoolingParameter -> "ROIPooling"), else like the field.
            msg = short_type(schema, fd.type_name).rpartition(".")[2]
            if fd.kind == "message" and msg.endswith("Parameter") and len(msg) > len("Parameter"):
                type_name = msg[:-len("Parameter")]
            else:
                type_name = "".join(w[:1].upper() + w[1:] for w in name[:-len("_param")].split("_"))
            if lookup(type_name) is None:
                out.append((type_name, lsp.CompletionItemKind.Class, "the loaded schema",
                            f"A layer type of the loaded caffe.proto (its parameters: `{name}`).", False))
    return out


def _earlier_blobs(result: CheckResult, layer: LayerView | None):
    """(name, detail) of blobs produced before ``layer``, closest producer first."""
    layers = net_layers(result)
    idx = layer.index if layer is not None else len(layers)
    phases = phase_results(result, layer) if layer is not None else []
    kept: set[int] | None = None
    shapes: dict[str, list[tuple[str, str]]] = {}
    if phases:
        kept = set()
        for ph, i, res in phases:
            latest: dict[str, str] = {}
            for lr in res.layers[:i]:
                kept.add(id(lr.layer))
                for t, s in zip(lr.layer.tops, lr.tops):
                    latest[t.name] = fmt(s)
            for name, s in latest.items():
                shapes.setdefault(name, []).append((ph, s))
    out, seen = [], set()
    for lv in reversed(layers[:idx]):
        if kept is not None and id(lv) not in kept:
            continue
        for t in lv.tops:
            if t.name in seen:
                continue
            seen.add(t.name)
            per = shapes.get(t.name, [])
            shape = per[0][1] if len({s for _, s in per}) == 1 else ", ".join(f"{s} ({p})" for p, s in per)
            detail = (f"{shape} · " if shape else "") + f"from {lv.name or '?'} ({lv.type or lv.type_written or '?'})"
            out.append((t.name, detail))
    return out


def value_items(result: CheckResult, scope: Scope, ctx: Context, lines: LineIndex,
                layer: LayerView | None) -> list[lsp.CompletionItem]:
    mdef = scope.mdef
    schema = result.schema
    fd = mdef.fields.get(ctx.owner) if (mdef is not None and ctx.owner) else None
    if fd is None or schema is None:
        return []
    in_layer = mdef.name in LAYER_MESSAGES
    if fd.kind == "enum":
        if ctx.kind == "string":
            return []
        enum = schema.field_enum(fd)
        items = []
        for i, ev in enumerate(enum.values.values()):
            doc = ev.doc
            if mdef.name == "V1LayerParameter" and fd.name == "type":
                spec = lookup(by_v1(ev.name) or "")
                if spec is not None and spec.doc:
                    doc = f"{doc}\n\n{spec.doc}" if doc else spec.doc
            detail = f"= {ev.number}" + (" (default)" if fd.default == ev.name else "")
            items.append(lsp.CompletionItem(
                label=ev.name, kind=lsp.CompletionItemKind.EnumMember, detail=detail, documentation=_doc(doc),
                sort_text=f"{i:05d}", tags=[lsp.CompletionItemTag.Deprecated] if ev.deprecated else None,
                text_edit=_edit(ctx, lines, ev.name)))
        return items
    if fd.kind == "scalar" and fd.type_name == "bool":
        if ctx.kind == "string":
            return []
        return [lsp.CompletionItem(
            label=v, kind=lsp.CompletionItemKind.Keyword, sort_text=f"{i}",
            detail="(default)" if (fd.default or "false") == v else None, text_edit=_edit(ctx, lines, v))
            for i, v in enumerate(("true", "false"))]
    if not (fd.kind == "scalar" and fd.type_name == "string"):
        return []
    if in_layer and fd.name == "type" and mdef.name == "LayerParameter":
        return _string_items(ctx, lines, layer_types(schema))
    if in_layer and fd.name == "type" and mdef.name == "V0LayerParameter":
        values = []
        for t in all_types():
            spec = lookup(t)
            values.extend((n, lsp.CompletionItemKind.Class, f"V0 name of {spec.type}", spec.doc, False)
                          for n in spec.v0_names)
        return _string_items(ctx, lines, values)
    if layer is None or mdef.name not in ("LayerParameter", "V1LayerParameter"):
        return []
    if fd.name == "bottom":
        return _string_items(ctx, lines, [(name, lsp.CompletionItemKind.Variable, detail, None, False)
                                          for name, detail in _earlier_blobs(result, layer)])
    if fd.name == "top":
        values, seen = [], set()
        for name, why in [(layer.name, "the layer's name")] + [(b.name, "in place") for b in layer.bottoms]:
            if name and name not in seen:
                seen.add(name)
                values.append((name, lsp.CompletionItemKind.Variable, why, None, False))
        return _string_items(ctx, lines, values)
    if fd.name == "name":
        names = [t.name for t in layer.tops if t.name]
        return _string_items(ctx, lines, [(n, lsp.CompletionItemKind.Value, "a top of this layer", None, False)
                                          for n in dict.fromkeys(names)])
    return []


def complete(result: CheckResult, lines: LineIndex, pos: Position,
             trigger: str | None = None) -> list[lsp.CompletionItem]:
    """Items at ``pos``; ``trigger`` is the character that opened the list, if any."""
    if result is None or result.document is None:
        return []
    ctx = context_at(lines, pos)
    if ctx is None:
        return []
    if trigger is not None:
        wanted = {":": ("value",), " ": ("value",), '"': ("string",), "{": ("field",)}.get(trigger)
        if wanted is not None and (ctx.kind not in wanted or ctx.prefix):
            return []
    scope = scope_at(result, pos)
    if scope is None:
        return []
    layer = layer_at(result, pos)
    if ctx.kind == "field":
        return field_items(result, scope, ctx, lines, layer)
    return value_items(result, scope, ctx, lines, layer)


def register(server: PrototxtServer) -> None:
    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=TRIGGERS))
    @safe(lambda: lsp.CompletionList(is_incomplete=False, items=[]))
    def completion(ls: PrototxtServer, params: lsp.CompletionParams) -> lsp.CompletionList:
        empty = lsp.CompletionList(is_incomplete=False, items=[])
        uri = params.text_document.uri
        if uri not in ls.workspace.text_documents:
            return empty  # never opened
        a = ls.analysis(uri)
        if a is None:
            return empty
        pos = cursor(params.position, a.lines)
        if pos is None:
            return empty
        trigger = None
        c = params.context
        if c is not None and c.trigger_kind == lsp.CompletionTriggerKind.TriggerCharacter:
            trigger = c.trigger_character
        return lsp.CompletionList(is_incomplete=False, items=complete(a.result, a.lines, pos, trigger))
