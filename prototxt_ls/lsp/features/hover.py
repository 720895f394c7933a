"""Hover: what the token under the cursor means, in Markdown.

* a field name (or a plain value): its proto declaration (type, number,
  default), its doc from the loaded caffe.proto, deprecation, enum values;
* a layer's ``name`` value: its type, input/output shapes, parameter count,
  MACs and FLOPs, per phase when the phases differ;
* a layer's ``type``: the registry's doc, BVLC or which fork, its parameter block;
* a ``bottom``/``top`` blob name: its shape and the layer that produces it;
* an enum value: its doc (and for a V1 ``type: CONVOLUTION``, the layer type).

The hover's range is the hovered token.
"""

from __future__ import annotations

import re

from lsprotocol import types as lsp

from ...analysis.check import CheckResult
from ...analysis.legacy_fields import REPLACEMENTS, V0_MESSAGE, V1_MESSAGE
from ...analysis.netcheck import param_field_name, schema_knows
from ...layers.registry import by_v0, by_v1, lookup
from ...layers.shapes import count, fmt
from ...layers.spec import LayerSpec
from ...model.net import LayerView
from ...positions import Position, Range
from ...schema.loader import bundled_schema
from ...schema.model import EnumDef, FieldDef, MessageDef, Schema
from ..convert import to_lsp_range
from ..locate import Hit, cursor, layer_at, net_layers, node_at
from ..server import PrototxtServer, safe

#: Docs that say a field is on its way out ("DEPRECATED: use ...", "Legacy 4-D shape ...").
_DEPRECATED_DOC = re.compile(r"\bdeprecated\b|^\s*legacy\b|\bsuperseded by\b", re.IGNORECASE)
_REPLACED_DOC = re.compile(r"(?:^|\.\s+)Replaced by\b")  # a sentence, not "values are replaced by it"


# ---------------------------------------------------------------- schema helpers

def short_type(schema: Schema | None, type_name: str) -> str:
    """``caffe.PoolingParameter.PoolMethod`` -> ``PoolingParameter.PoolMethod``."""
    if schema is not None and schema.package and type_name.startswith(schema.package + "."):
        return type_name[len(schema.package) + 1:]
    return type_name


def legacy_only(mdef: MessageDef | None, name: str, schema: Schema | None) -> str | None:
    """When ``name`` is a field only V0/V1 nets have, what replaced it; else None."""
    if mdef is None:
        return None
    if mdef.name == "NetParameter" and name == "layers":
        return "`layer` blocks with string types (Caffe upgrades V1 `layers` on load)"
    if _legacy_message(mdef):
        v2 = schema.message("LayerParameter") if schema is not None else None
        if v2 is not None and name in v2.fields:
            return None
        return REPLACEMENTS.get(name, "the field moves into the layer's `*_param` block "
                                         "(`prototxt-ls upgrade` converts the net)")
    return None


def _legacy_message(mdef: MessageDef | None) -> bool:
    return mdef is not None and (mdef.full_name in (V1_MESSAGE, V0_MESSAGE)
                                 or mdef.name in ("V1LayerParameter", "V0LayerParameter"))


def deprecation(schema: Schema | None, mdef: MessageDef | None, fd: FieldDef) -> str | None:
    """Why ``fd`` should not be written in a new file (Markdown), or None.

    A V0/V1-only field (one LayerParameter lacks, or NetParameter's
    ``layers``) says what replaced it; otherwise ``[deprecated = true]`` or a
    doc saying deprecated/legacy/superseded (inside V0/V1 messages every doc
    says "Legacy", so only the first rule applies there).
    """
    legacy = legacy_only(mdef, fd.name, schema)
    if legacy:
        return f"**V0/V1 only.** In a V2 net: {legacy}."
    doc = fd.doc or ""
    if fd.deprecated or (not _legacy_message(mdef) and (_DEPRECATED_DOC.search(doc) or _REPLACED_DOC.search(doc))):
        return "**Deprecated.**"
    return None


def declaration(schema: Schema | None, fd: FieldDef) -> str:
    """``optional uint32 num_output = 1 [default = 0];``"""
    opts = []
    if fd.default is not None:
        opts.append(f"default = {fd.default}")
    if fd.packed:
        opts.append("packed = true")
    if fd.deprecated:
        opts.append("deprecated = true")
    tail = f" [{', '.join(opts)}]" if opts else ""
    return f"{fd.label} {short_type(schema, fd.type_name)} {fd.name} = {fd.number}{tail};"


def field_markdown(schema: Schema | None, mdef: MessageDef | None, fd: FieldDef) -> str:
    parts = [f"```proto\n{declaration(schema, fd)}\n```"]
    if fd.doc:
        parts.append(fd.doc)
    note = deprecation(schema, mdef, fd)
    if note:
        parts.append(note)
    enum = schema.field_enum(fd) if schema is not None else None
    if enum is not None:
        parts.append("Values: " + ", ".join(f"`{v}`" for v in enum.values))
    sub = schema.field_message(fd) if schema is not None else None
    if sub is not None and sub.doc:
        parts.append(f"`{short_type(schema, sub.full_name)}`: {sub.doc}")
    if mdef is not None:
        parts.append(f"Field of `{short_type(schema, mdef.full_name)}`"
                     + (f" (oneof `{fd.oneof}`)" if fd.oneof else ""))
    return "\n\n".join(parts)


def enum_value_markdown(schema: Schema | None, enum: EnumDef, name: str, fd: FieldDef | None) -> str | None:
    ev = enum.values.get(name)
    if ev is None:
        return None
    head = f"**{ev.name}** = {ev.number} · value of `{short_type(schema, enum.full_name)}`"
    if fd is not None and fd.default == ev.name:
        head += " (the default)"
    parts = [head]
    if ev.doc:
        parts.append(ev.doc)
    if ev.deprecated:
        parts.append("**Deprecated.**")
    return "\n\n".join(parts)


# ---------------------------------------------------------------- numbers and phases

def human(n: int | None) -> str:
    """Exact below a million (``288,000``), else 2 decimals and a suffix (``57.33G``)."""
    if n is None:
        return "?"
    if abs(n) < 1_000_000:
        return f"{n:,}"
    for div, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M")):
        if abs(n) >= div:
            return f"{n / div:.2f}{suffix}"
    return str(n)  # pragma: no cover


def per_phase(values: list[tuple[str, str]]) -> str:
    """One value when every phase agrees, else ``a (TRAIN), b (TEST)``."""
    if not values:
        return "?"
    if len({v for _, v in values}) == 1:
        return values[0][1]
    return ", ".join(f"{v} ({ph})" for ph, v in values)


def phase_results(result: CheckResult, layer: LayerView):
    """(phase, index in that phase's layers, PhaseResult) for each phase that keeps ``layer``."""
    out = []
    if result.net is None:
        return out
    for ph, res in result.net.phases.items():
        for i, lr in enumerate(res.layers):
            if lr.layer is layer:
                out.append((ph, i, res))
                break
    return out


def _count_range(rng: tuple[int, int | None]) -> str:
    lo, hi = rng
    if hi is None:
        return "any number" if lo == 0 else f"{lo} or more"
    return str(lo) if lo == hi else f"{lo} to {hi}"


# ---------------------------------------------------------------- layers, types, blobs

def layer_markdown(result: CheckResult, layer: LayerView) -> str:
    type_text = layer.type or layer.type_written or "?"
    head = f"**{layer.name}** · `{type_text}` layer"
    if layer.style in ("V1", "V0") and layer.type_written and layer.type_written != layer.type:
        head += f" (written `{layer.type_written}`)"
    lines = []
    phases = phase_results(result, layer)
    if result.net is not None:
        names = list(result.net.phases)
        kept = [ph for ph, _, _ in phases]
        if not kept:
            lines.append(f"- not built in any phase ({', '.join(names)}): its include/exclude rules drop it")
        elif len(kept) < len(names):
            lines.append(f"- phase: {', '.join(kept)} only")
    lrs = [(ph, res.layers[i]) for ph, i, res in phases]
    for i, b in enumerate(layer.bottoms):
        shape = per_phase([(ph, f"`{fmt(lr.bottoms[i])}`") for ph, lr in lrs if i < len(lr.bottoms)])
        lines.append(f"- input `{b.name}`: {shape}")
    for i, t in enumerate(layer.tops):
        shape = per_phase([(ph, f"`{fmt(lr.tops[i])}`") for ph, lr in lrs if i < len(lr.tops)])
        lines.append(f"- output `{t.name}`: {shape}")
    if lrs:
        if all(lr.spec is not None for _, lr in lrs):
            params = []
            for ph, lr in lrs:
                counts = [count(w) for w in lr.weights]
                total = None if any(c is None for c in counts) else sum(counts)
                blobs = ", ".join(f"`{fmt(w)}`" for w in lr.weights)
                params.append((ph, human(total) + (f" ({blobs})" if blobs else "")))
            lines.append(f"- parameters: {per_phase(params)}")
            macs = per_phase([(ph, human(lr.macs)) for ph, lr in lrs])
            flops = per_phase([(ph, human(None if lr.macs is None else 2 * lr.macs)) for ph, lr in lrs])
            lines.append(f"- MACs: {macs} · FLOPs: {flops}")
        else:
            lines.append("- parameters and MACs: unknown (the layer type is not known)")
    parts = [head]
    if lines:
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def type_markdown(schema: Schema | None, type_name: str, written: str | None = None) -> str:
    spec: LayerSpec | None = lookup(type_name) if type_name else None
    fork_schema = schema is not None and schema is not bundled_schema()
    name = type_name or written or "?"
    if spec is None:
        param = param_field_name(name)
        if fork_schema and schema_knows(name, schema):
            return (f"**{name}** · layer type of the loaded schema (not a BVLC Caffe type)\n\n"
                    f"- parameters: `{param}`")
        return f"**{name}** · unknown layer type: neither BVLC Caffe nor a known fork has it"
    if spec.fork:
        head = f"**{spec.type}** · layer type from {spec.fork}, not BVLC Caffe"
    else:
        head = f"**{spec.type}** · BVLC Caffe layer type"
    parts = [head]
    if spec.doc:
        parts.append(spec.doc)
    facts = []
    if spec.param:
        layer_mdef = schema.message("LayerParameter") if schema is not None else None
        fd = layer_mdef.fields.get(spec.param) if layer_mdef is not None else None
        facts.append(f"- parameters: `{spec.param}`"
                     + (f" (`{short_type(schema, fd.type_name)}`)" if fd is not None else ""))
    facts.append(f"- bottoms: {_count_range(spec.bottoms)} · tops: {_count_range(spec.tops)}")
    if spec.in_place:
        facts.append("- can compute in place (top = bottom)")
    if spec.v1_name or spec.v0_names:
        old = ([f"V1 `{spec.v1_name}`"] if spec.v1_name else []) + [f"V0 `\"{n}\"`" for n in spec.v0_names]
        facts.append(f"- old names: {', '.join(old)}")
    parts.append("\n".join(facts))
    if spec.fork and not fork_schema:
        parts.append("BVLC Caffe refuses this type: check the net against the fork's caffe.proto "
                     "(`# proto-file:` header or the `proto` setting).")
    return "\n\n".join(parts)


def blob_sources(result: CheckResult, layer: LayerView, name: str, as_top: bool):
    """Per phase keeping ``layer``: (phase, shape, producer) of blob ``name`` as
    ``layer`` sees it: for a bottom, the last earlier layer writing it; for a
    top, ``layer`` itself."""
    out = []
    for ph, idx, res in phase_results(result, layer):
        candidates = res.layers[idx:idx + 1] if as_top else res.layers[:idx]
        found = None
        for lr in reversed(candidates):
            hits = [j for j, t in enumerate(lr.layer.tops) if t.name == name]
            if hits:
                j = hits[-1]
                found = (ph, lr.tops[j] if j < len(lr.tops) else None, lr.layer)
                break
        out.append(found or (ph, None, None))
    return out


def _layer_ref(layer: LayerView) -> str:
    anchor = layer.anchor()
    line = f", line {anchor.name_range.start.line + 1}" if anchor is not None else ""
    return f"layer `{layer.name}` ({layer.type or layer.type_written or '?'}{line})"


def blob_markdown(result: CheckResult, layer: LayerView, name: str, as_top: bool) -> str:
    sources = blob_sources(result, layer, name, as_top)
    head = f"**{name}** · blob ({'output' if as_top else 'input'} of `{layer.name}`)"
    lines = []
    if sources:
        known = [(ph, f"`{fmt(shape)}`") for ph, shape, p in sources if p is not None]
        lines.append(f"- shape: {per_phase(known) if known else '?'}")
        producers = [(ph, "none: no earlier layer produces it" if p is None else _layer_ref(p)) for ph, _, p in sources]
        lines.append(f"- produced by: {per_phase(producers)}")
        if as_top and any(b.name == name for b in layer.bottoms):
            lines.append("- computed in place (also a bottom of this layer)")
    else:
        # not analysed, or the layer is in no phase: the last earlier layer writing it
        earlier = [lv for lv in net_layers(result) if lv.index < layer.index] if not as_top else [layer]
        producer = next((lv for lv in reversed(earlier) if any(t.name == name for t in lv.tops)), None)
        lines.append(f"- produced by: {_layer_ref(producer) if producer else 'none: no earlier layer produces it'}")
    return head + "\n\n" + "\n".join(lines)


# ---------------------------------------------------------------- dispatch

def hover_at(result: CheckResult, pos: Position) -> tuple[str, Range] | None:
    """Markdown and the hovered token's range, or None when there is nothing to say."""
    hit: Hit | None = node_at(result, pos)
    if hit is None:
        return None
    schema = result.schema
    if hit.part == "name":
        if hit.fdef is None:
            return None
        return field_markdown(schema, hit.scope.mdef, hit.fdef), hit.range
    scalar = hit.scalar
    f = hit.field
    layer = layer_at(result, hit.range.start)
    if layer is not None:
        if f is layer.name_field() and scalar.kind == "string":
            return layer_markdown(result, layer), hit.range
        if f is layer.type_field() and scalar.kind in ("string", "ident"):
            written = scalar.string_value if scalar.kind == "string" else scalar.text
            canonical = written if layer.style == "V2" else (
                by_v1(written) if layer.style == "V1" else by_v0(written)) or ""
            md = type_markdown(schema, canonical, written)
            if scalar.kind == "ident" and hit.fdef is not None and schema is not None:
                enum = schema.field_enum(hit.fdef)
                ev = enum_value_markdown(schema, enum, written, hit.fdef) if enum is not None else None
                if ev:
                    md = ev + "\n\n---\n\n" + md
            return md, hit.range
        if scalar.kind == "string":
            blob = scalar.string_value
            if any(b.field is f for b in layer.bottoms):
                return blob_markdown(result, layer, blob, False), hit.range
            if any(t.field is f for t in layer.tops):
                return blob_markdown(result, layer, blob, True), hit.range
    if hit.fdef is None:
        return None
    if scalar.kind == "ident" and schema is not None:
        enum = schema.field_enum(hit.fdef)
        if enum is not None:
            md = enum_value_markdown(schema, enum, scalar.text, hit.fdef)
            if md:
                return md, hit.range
    return field_markdown(schema, hit.scope.mdef, hit.fdef), hit.range


def register(server: PrototxtServer) -> None:
    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    @safe(None)
    def hover(ls: PrototxtServer, params: lsp.HoverParams) -> lsp.Hover | None:
        uri = params.text_document.uri
        if uri not in ls.workspace.text_documents:
            return None  # never opened: nothing to read (and no file to fall back on)
        a = ls.analysis(uri)
        if a is None:
            return None
        pos = cursor(params.position, a.lines)
        if pos is None:
            return None
        found = hover_at(a.result, pos)
        if found is None:
            return None
        md, rng = found
        return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=md),
                         range=to_lsp_range(rng, a.lines))
