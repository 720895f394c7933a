"""Net-level checks: the layer model, static layer checks, and the per-phase run.

Called by :func:`~prototxt_ls.analysis.check.check_source` for nets; also the
entry point of ``prototxt-ls shapes``.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from ..diagnostics import Severity
from ..layers.registry import all_types, lookup
from ..schema.loader import bundled_schema
from ..layers.shapes import Shape
from ..model.net import LayerView, NetView, build_net
from ..model.phase import PHASES
from ..schema.model import Schema
from ..syntax.tree import Document
from .inference import PhaseResult, judged_phase, report_findings, run_phases, where_range
from .memo import Memo
from .report import Sink, replace_fix

_INPUT_DIRECTIVE = re.compile(r"prototxt-ls\s*:\s*input\s+(.+)")


@dataclass
class NetAnalysis:
    net: NetView
    phases: dict[str, PhaseResult] = field(default_factory=dict)


def parse_input_spec(text: str) -> dict[str, Shape]:
    """``data=1,3,224,224 label=1`` -> shapes by blob name (``?`` for unknown dims)."""
    out: dict[str, Shape] = {}
    for item in re.split(r"[\s;]+", text.strip()):
        if not item:
            continue
        name, sep, dims = item.partition("=")
        if not sep or not name:
            raise ValueError(f"expected NAME=N,C,H,W, got {item!r}")
        shape = []
        for d in re.split(r"[,x]", dims):
            d = d.strip()
            if d in ("?", ""):
                shape.append(None)
            elif d.isdigit():
                shape.append(int(d))
            else:
                raise ValueError(f"bad dimension {d!r} in {item!r}")
        out[name] = tuple(shape)
    return out


def inputs_from_comments(doc: Document, sink: Sink) -> dict[str, Shape]:
    """``# prototxt-ls: input data=1,3,224,224`` directives anywhere in the file."""
    out: dict[str, Shape] = {}
    for c in doc.comments:
        m = _INPUT_DIRECTIVE.search(c.text)
        if m:
            try:
                out.update(parse_input_spec(m.group(1)))
            except ValueError as exc:
                sink.add("C904", c.range, f"cannot read this input directive: {exc}")
    return out


def param_field_name(type_name: str) -> str:
    """Caffe's naming of a type's parameter block: ``ROIPooling`` -> ``roi_pooling_param``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", type_name).lower() + "_param"


def schema_knows(type_name: str, schema: Schema | None) -> bool:
    """A fork's layer: its ``<snake_case>_param`` is a LayerParameter field of the schema."""
    layer = schema.message("LayerParameter") if schema is not None else None
    return layer is not None and param_field_name(type_name) in layer.fields


def check_layers(net: NetView, schema: Schema, sink: Sink) -> None:
    """Findings that do not depend on the phase."""
    for p in net.problems:
        sink.add("G310", where_range(p.field), p.message)
    seen: dict[str, LayerView] = {}
    for layer in net.layers:
        if layer.style == "header":
            continue
        if layer.name and layer.name in seen:
            first = seen[layer.name]
            sink.add("G302", where_range(layer.name_field()),
                     f"another layer is already named '{layer.name}': Caffe accepts it, but it copies weights "
                     "and shares learning-rate settings by layer name", related=[
                         (where_range(first.name_field()), "first layer with this name")])
        elif layer.name:
            seen[layer.name] = layer
        if layer.outer is not None:
            holder = layer.outer
            if holder.first("include") is not None and holder.first("exclude") is not None:
                sink.add("G309", holder.first("exclude").name_range,
                         f"layer '{layer.name}' has both include and exclude rules: Caffe refuses this "
                         "(specify either include rules or exclude rules)")
        _check_type(layer, schema, sink)


def _check_type(layer: LayerView, schema: Schema, sink: Sink) -> None:
    """G307: an error under BVLC's schema; under a fork's schema only a warning,
    since a fork may add layer types that have no parameter message at all."""
    if layer.style == "V1":
        return  # enum values are checked against the schema (F103)
    written = layer.type_written
    tf = layer.type_field()
    if not written:
        if layer.style in ("V2", "V0") and layer.body is not None:
            sink.add("G307", where_range(layer.anchor() or layer.block),
                     f"layer '{layer.name}' has no type")
        return
    fork = schema is not bundled_schema()
    spec = lookup(layer.type)
    if spec is not None and spec.fork and not fork:
        sink.add("G307", where_range(tf or layer.anchor()),
                 f"Unknown layer type: {written} — BVLC Caffe has no such layer; it comes from {spec.fork}. "
                 "Check against that fork's caffe.proto (--proto or a `# proto-file:` header)")
        return
    if spec is not None or (fork and layer.style == "V2" and schema_knows(written, schema)):
        return
    known = all_types()
    close = difflib.get_close_matches(written, known, n=1, cutoff=0.6)
    if not close:
        lowered = {k.lower(): k for k in known}
        if written.lower() in lowered:
            close = [lowered[written.lower()]]
    hint = f"; did you mean '{close[0]}'?" if close else " (a fork's layer needs the fork's caffe.proto)"
    fixes = [replace_fix(f"Use type '{close[0]}'", tf.value.range, f'"{close[0]}"', safe=False)] \
        if close and tf is not None else None
    d = sink.add("G307", where_range(tf or layer.anchor()), f"Unknown layer type: {written}{hint}", fixes)
    if fork:
        d.severity = Severity.WARNING
        d.message += "; not a BVLC Caffe type, and the fork's schema has no parameters for it"


def analyse(doc: Document, schema: Schema, sink: Sink, inputs: dict[str, Shape] | None = None,
            phases: tuple[str, ...] = PHASES, memo: Memo | None = None) -> NetAnalysis:
    """Build the net, check it, and infer shapes for each phase (``memo``: see memo.py)."""
    net = build_net(doc, schema, memo)
    given = inputs_from_comments(doc, sink)
    if inputs:
        given.update(inputs)
    check_layers(net, schema, sink)
    results, findings = run_phases(net, schema, given, phases, memo, doc.lines)
    named = net.phases_named()
    judged = [p for p in phases if judged_phase(p, named, results[p])]
    report_findings(findings, phases, sink, len(judged) or len(phases))
    return NetAnalysis(net, results)
