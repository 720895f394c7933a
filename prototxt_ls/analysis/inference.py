"""Build the net per phase the way Caffe's Net::Init does, and infer every shape.

For each phase (TRAIN, TEST; level and stages from the net's ``state``), in
file order: drop layers whose include/exclude rules reject the phase, check
bottoms exist and tops are not produced twice (in place only at the same
index), check bottom/top counts against the registry, then call the type's
shape function on the bottoms' shapes.  Findings are reported once even
when both phases produce them; a finding seen in only one phase says which.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from ..layers.shapes import Shape, ShapeError, fmt
from ..layers.spec import LayerContext, LayerSpec
from ..positions import LineIndex, Range
from ..schema.model import Schema
from ..syntax.tree import Field
from ..model.net import LayerView, NetView
from ..model.phase import PHASES, NetStateView, included
from .memo import Memo, moved_fixes, moved_range, moved_related
from .report import Sink, replace_fix


@dataclass
class LayerResult:
    layer: LayerView
    spec: LayerSpec | None
    bottoms: list[Shape]
    tops: list[Shape]
    weights: list[Shape] = field(default_factory=list)
    macs: int | None = None


@dataclass
class PhaseResult:
    phase: str
    layers: list[LayerResult] = field(default_factory=list)
    #: Final shape of every blob (after in-place layers), in creation order.
    blobs: dict[str, Shape] = field(default_factory=dict)
    producers: dict[str, list[LayerView]] = field(default_factory=dict)
    consumers: dict[str, list[LayerView]] = field(default_factory=dict)


@dataclass
class _Finding:
    code: str
    rng: Range
    message: str
    fixes: list = field(default_factory=list)
    related: list = field(default_factory=list)


class _PhaseRun:
    def __init__(self, net: NetView, schema: Schema, state: NetStateView, inputs: dict[str, Shape],
                 memo: Memo | None = None, lines: LineIndex | None = None) -> None:
        self.net = net
        self.schema = schema
        self.state = state
        self.inputs = inputs
        self.findings: list[_Finding] = []
        self.result = PhaseResult(state.phase)
        #: The server's per-block memo (memo.py): a layer whose block and
        #: input shapes are as last time gets its shapes, weights and
        #: findings back instead of recomputing them.
        self.memo = memo
        self.lines = lines
        self._state_key = (state.phase, state.level, state.stages)  # hashed per layer: a plain tuple
        self._last_context: tuple | None = None

    def add(self, code: str, where: Field | Range | None, message: str, fixes=None, related=None) -> None:
        rng = where_range(where)
        if rng is None:
            return
        self.findings.append(_Finding(code, rng, message, fixes or [], related or []))

    def run(self) -> PhaseResult:
        shapes: dict[str, Shape] = {}
        res = self.result
        memo = self.memo
        for layer in self.net.layers:
            if memo is not None and layer.block is not None:
                if not self._included_memo(layer, memo):
                    continue
            elif not included(layer, self.state, self.schema):
                continue
            spec = layer.spec
            bottoms = self._bottoms(layer, shapes)
            self._reuse(layer, spec)
            if memo is not None and layer.block is not None and spec is not None and not layer.fixed_shapes:
                lr = self._memoised(layer, spec, bottoms, memo)
            else:
                lr = LayerResult(layer, spec, bottoms, self._tops(layer, spec, bottoms))
                if spec is not None and not layer.fixed_shapes:
                    lr.weights, lr.macs = self._weights(layer, spec, bottoms, lr.tops)
            tops = lr.tops
            res.layers.append(lr)
            for b in layer.bottoms:
                res.consumers.setdefault(b.name, []).append(layer)
            for t, shape in zip(layer.tops, tops):
                shapes[t.name] = shape
                res.blobs[t.name] = shape
                res.producers.setdefault(t.name, []).append(layer)
        return res

    def _included_memo(self, layer: LayerView, memo: Memo) -> bool:
        hit = memo.get("included", layer.block, self._state_key)
        if hit is not None:
            return hit[0]
        answer = included(layer, self.state, self.schema)
        memo.put("included", layer.block, self._state_key, answer)
        return answer

    def _memoised(self, layer: LayerView, spec: LayerSpec, bottoms: list[Shape], memo: Memo) -> LayerResult:
        """The LayerResult and findings of one layer, from the memo when its
        block and its input shapes are as last time (the result object itself
        is shared: nothing changes a LayerResult once made)."""
        key = (self._state_key, tuple(bottoms), tuple(self.inputs.get(t.name) for t in layer.tops) if self.inputs else ())
        hit = memo.get("infer", layer.block, key)
        if hit is not None:
            (lr, found), delta = hit
            if lr.layer is layer:
                if found:
                    lines = self.lines
                    self.findings.extend(_Finding(f.code, moved_range(f.rng, delta, lines), f.message,
                                                  moved_fixes(f.fixes, delta, lines),
                                                  moved_related(f.related, delta, lines)) for f in found)
                return lr
        n = len(self.findings)
        tops = self._shaped_tops(layer, spec, bottoms)
        weights, macs = self._weights(layer, spec, bottoms, tops)
        lr = LayerResult(layer, spec, bottoms, tops, weights, macs)
        memo.put("infer", layer.block, key, (lr, self.findings[n:]))
        return lr

    # ------------------------------------------------------------------ graph
    def _bottoms(self, layer: LayerView, shapes: dict[str, Shape]) -> list[Shape]:
        out: list[Shape] = []
        for i, b in enumerate(layer.bottoms):
            if b.name in shapes:
                out.append(shapes[b.name])
                continue
            close = difflib.get_close_matches(b.name, list(shapes), n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            fixes = [replace_fix(f"Use bottom '{close[0]}'", b.field.value.range, f'"{close[0]}"', safe=False)] \
                if close and b.field is not None else None
            self.add("G301", b.field, f"Unknown bottom blob '{b.name}' (layer '{layer.name}', bottom index {i}): "
                     f"no earlier layer produces it{hint}", fixes)
            out.append(None)
        return out

    def _reuse(self, layer: LayerView, spec: LayerSpec | None) -> None:
        """G303/G306: a top name already produced, other than in place by a type that can."""
        produced = self.result.producers
        for i, t in enumerate(layer.tops):
            if t.name in produced:
                in_place = i < len(layer.bottoms) and layer.bottoms[i].name == t.name
                if not in_place:
                    first = produced[t.name][0]
                    self.add("G303", t.field, f"Top blob '{t.name}' is produced by multiple sources (first by "
                             f"layer '{first.name}'); only an in-place layer (top i == bottom i) may reuse a name",
                             related=[(first.anchor().name_range, "first produced here")] if first.anchor() else None)
                elif spec is not None and not spec.in_place:
                    self.add("G306", t.field, f"{layer.type} cannot compute in place: give layer '{layer.name}' "
                             f"a top of its own instead of '{t.name}'")

    def _tops(self, layer: LayerView, spec: LayerSpec | None, bottoms: list[Shape]) -> list[Shape]:
        if layer.fixed_shapes is not None:
            shapes = list(layer.fixed_shapes)
            return [self.inputs.get(t.name, s) for t, s in zip(layer.tops, shapes)]
        if spec is None:
            return [self.inputs.get(t.name) for t in layer.tops]
        return self._shaped_tops(layer, spec, bottoms)

    def _shaped_tops(self, layer: LayerView, spec: LayerSpec, bottoms: list[Shape]) -> list[Shape]:
        return [self.inputs.get(t.name, s) if t.name in self.inputs else s
                for t, s in zip(layer.tops, self._shape(layer, spec, bottoms))]

    # ------------------------------------------------------------------ shapes
    def _context(self, layer: LayerView, spec: LayerSpec, bottoms: list[Shape]) -> LayerContext:
        """The shape/weights/MACs functions' view of a layer.  Made once per
        layer and bottoms (shapes, then weights and MACs, use the same), its
        parameter views once per block while the server's memo keeps them."""
        last = self._last_context
        if last is not None and last[0] is layer and last[1] is bottoms:
            return last[2]
        memo = self.memo
        hit = memo.get("params", layer.block, spec.type) if memo is not None and layer.block is not None else None
        if hit is not None:
            p, whole = hit[0]
        else:
            p, whole = layer.type_params(self.schema, spec), layer.layer_params(self.schema)
            if memo is not None and layer.block is not None:
                memo.put("params", layer.block, spec.type, (p, whole))
        ctx = LayerContext(layer.name, layer.type, p, whole, bottoms, len(layer.tops), self.state.phase,
                           [t.name for t in layer.tops])
        self._last_context = (layer, bottoms, ctx)
        return ctx

    def _shape(self, layer: LayerView, spec: LayerSpec, bottoms: list[Shape]) -> list[Shape]:
        n = len(layer.tops)
        if not self._counts(layer, spec):
            return [None] * n
        ctx = self._context(layer, spec, bottoms)
        try:
            shapes = spec.shape(ctx)
        except ShapeError as exc:
            self._shape_error(layer, spec, ctx, exc)
            return [None] * n
        except (ArithmeticError, IndexError, TypeError, ValueError):
            return [None] * n  # a case the shape function does not model: unknown, not fatal
        if len(shapes) < n:
            shapes = list(shapes) + [None] * (n - len(shapes))
        return list(shapes[:n])

    def _counts(self, layer: LayerView, spec: LayerSpec) -> bool:
        ok = True
        nb, nt = len(layer.bottoms), len(layer.tops)
        lo, hi = spec.bottoms
        if nb < lo or (hi is not None and nb > hi):
            self.add("G304", layer.anchor(), f"{layer.type} layer '{layer.name}' takes {_count_text(lo, hi)} "
                     f"bottom blob(s), got {nb}")
            ok = False
        lo, hi = spec.tops
        if spec.is_loss and nt == 0:
            pass  # Caffe adds the loss top itself
        elif nt < lo or (hi is not None and nt > hi):
            self.add("G305", layer.anchor(), f"{layer.type} layer '{layer.name}' produces {_count_text(lo, hi)} "
                     f"top blob(s), got {nt}")
            ok = False
        if spec.same_count and nb != nt and ok:
            self.add("G305", layer.anchor(), f"{layer.type} layer '{layer.name}' needs as many tops as bottoms "
                     f"({nb} bottoms, {nt} tops)")
            ok = False
        return ok

    def _shape_error(self, layer: LayerView, spec: LayerSpec, ctx: LayerContext, exc: ShapeError) -> None:
        target: Field | Range | None = None
        if exc.field in ("bottom", "top"):
            refs = layer.bottoms if exc.field == "bottom" else layer.tops
            idx = exc.index or 0
            target = refs[idx].field if idx < len(refs) else None
        elif exc.field:
            fields = ctx.p.fields(exc.field) or ctx.layer.fields(exc.field)
            if fields:
                values = [(f, v) for f in fields for v in f.values()]
                idx = exc.index if exc.index is not None and exc.index < len(values) else 0
                target = values[idx][1].range if values else fields[0].name_range
        if target is None:
            param_block = layer.body.first(spec.param) if layer.body is not None and spec.param else None
            target = param_block or layer.type_field() or layer.anchor()
        self.add(exc.code, target, f"layer '{layer.name}' ({layer.type}): {exc.message}")

    def _weights(self, layer, spec, bottoms, tops):
        """Weight shapes and MACs; a type with no MACs function costs 0 MACs."""
        if spec.weights is None and spec.macs is None:
            return [], 0
        ctx = self._context(layer, spec, bottoms)
        try:
            weights = spec.weights(ctx) if spec.weights is not None else []
            macs = spec.macs(ctx, tops) if spec.macs is not None else 0
        except (ShapeError, ArithmeticError, IndexError, TypeError, ValueError):
            return [], None
        return weights, macs


def where_range(where: Field | Range | None) -> Range | None:
    """Range to report at: a Range as is; a ``bottom``/``top``/``name``/``type``
    field at its value (the blob or layer name), any other field at its name."""
    if where is None or isinstance(where, Range):
        return where
    if where.name in ("bottom", "top", "name", "type"):
        return where.value.range
    return where.name_range


def _count_text(lo: int, hi: int | None) -> str:
    if hi == lo:
        return f"exactly {lo}"
    if hi is None:
        return f"at least {lo}"
    return f"{lo} to {hi}"


def judged_phase(phase: str, named: set[str], result: PhaseResult) -> bool:
    """Is the file meant to be built for ``phase``?

    Yes when no rule names any phase (a deploy net), when a rule names this
    one, or when the phase has its own data/input layer.  A train-only file
    (its data layer `include { phase: TRAIN }`, no rule naming TEST) is not:
    building it for TEST would report a missing data blob nobody will see.
    """
    if not named or phase in named:
        return True
    return any(lr.spec is not None and lr.spec.is_data or lr.layer.style == "header" for lr in result.layers)


def run_phases(net: NetView, schema: Schema, inputs: dict[str, Shape] | None = None,
               phases: tuple[str, ...] = PHASES, memo: Memo | None = None, lines: LineIndex | None = None,
               ) -> tuple[dict[str, PhaseResult], list[tuple[_Finding, tuple[str, ...]]]]:
    """Every phase's result, and the findings merged across the judged phases."""
    results: dict[str, PhaseResult] = {}
    merged: dict[tuple, tuple[_Finding, list[str]]] = {}
    named = net.phases_named()
    for phase in phases:
        run = _PhaseRun(net, schema, NetStateView(phase, net.level, tuple(net.stages)), inputs or {},
                        memo if lines is not None else None, lines)
        results[phase] = run.run()
        if not judged_phase(phase, named, results[phase]):
            continue  # the file never builds this phase: its shapes are computed, not judged
        for f in run.findings:
            key = (f.code, f.rng.start.offset, f.rng.end.offset, f.message)
            if key in merged:
                merged[key][1].append(phase)
            else:
                merged[key] = (f, [phase])
    return results, [(f, tuple(ps)) for f, ps in merged.values()]


def report_findings(findings, phases: tuple[str, ...], sink: Sink, judged: int | None = None) -> None:
    for f, seen in findings:
        message = f.message
        if len(seen) < (judged or len(phases)):
            message += f" (in the {' and '.join(seen)} phase)"
        sink.add(f.code, f.rng, message, f.fixes, f.related)


__all__ = ["LayerResult", "PhaseResult", "fmt", "report_findings", "run_phases"]
