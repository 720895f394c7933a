"""A Caffe net as a ``torch.nn.Module``: one op per layer, run in Caffe's order on named blobs.

:func:`build_net` takes a checked net (``check_text(...)``) and one phase of
its static analysis, and for each layer that phase includes makes the op its
registry entry names (``LayerSpec.torch``), with the layer's blobs from a
.caffemodel or from its fillers.  The module's ``forward`` runs the layers in
file order on a dict of blobs, as Caffe's Net::Forward does, so in-place
layers simply replace a blob and every intermediate blob can be inspected.

Not every layer gets an op:

- data layers (Input, Data, ImageData, HDF5Data, MemoryData, WindowData, the
  old ``input:`` header) are fed: :func:`make_inputs` makes their tops;
- ``type: "Python"`` layers are skipped (T005) unless ``allow_python``;
- a type with no op, or a configuration its op refuses (``Unsupported``),
  is skipped (T006);
- a layer whose bottoms were not produced (a skipped layer of unknown
  shape before it) is skipped at run time (T006).

A skipped layer still writes its tops, as synthetic tensors of their static
shapes when those are known, so the layers after it run.

Caffe semantics kept here rather than in the ops: loss weights (a loss
layer's first top weighs 1 unless ``loss_weight`` says otherwise; other
tops 0), the automatic top Caffe gives a loss layer declared without one
(named ``"(automatic) <layer>"`` here), parameter sharing by ``param { name }``
(the first layer with the name owns the blob, later ones use it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..analysis.inference import LayerResult, PhaseResult
from ..layers.shapes import Shape
from ..layers.spec import LayerContext
from ..schema.model import Schema
from .blobs import blob_seed, initial_blobs, known
from .inputs import SIGNAL, InputShapeError, Role, blob_roles, input_shape, synthetic
from .ops import builder_for
from .ops.base import CaffeOp, OpContext, Unsupported
from .weights import CaffemodelWeights, WeightsError

AUTOMATIC = "(automatic)"


class SimError(RuntimeError):
    """The net cannot be simulated as asked (a missing input, an op that failed)."""


class LayerRunError(SimError):
    """A layer's op failed while running; names the layer and its bottoms' shapes."""

    def __init__(self, layer: SimLayer, message: str) -> None:
        super().__init__(message)
        self.layer = layer


@dataclass
class SimLayer:
    """One included layer of the phase and how the simulator treats it."""

    index: int
    result: LayerResult
    op: CaffeOp | None
    bottoms: list[str]
    tops: list[str]
    loss_weights: list[float]
    #: Why the layer is not run (its tops are synthetic), or None.
    skipped: str | None = None
    #: The rule reporting the skip: "T005" (Python layer) or "T006" (not simulated).
    skip_code: str | None = None
    #: A data layer whose tops are fed from outside (:func:`make_inputs`).
    is_input: bool = False

    @property
    def name(self) -> str:
        return self.result.layer.name

    @property
    def type(self) -> str:
        return self.result.layer.type

    def static_top(self, i: int) -> Shape:
        """Static inference's shape of top ``i``; a loss's automatic top is a scalar."""
        tops = self.result.tops
        if i < len(tops):
            return tops[i]
        return () if self.tops[i].startswith(AUTOMATIC) else None

    def skip(self, code: str, reason: str) -> None:
        self.skipped, self.skip_code = reason, code


class SimNet(nn.Module):
    """The net of one phase; ``forward(inputs)`` returns every blob after the whole net."""

    def __init__(self, layers: list[SimLayer], static: PhaseResult, schema: Schema | None, device: str,
                 seed: int) -> None:
        super().__init__()
        self.layers = layers
        self.static = static
        self.phase = static.phase
        self.device = device
        self.seed = seed
        self.schema = schema
        self.ops = nn.ModuleList(layer.op for layer in layers if layer.op is not None)
        #: What each blob's values must look like (labels, targets, indices).
        self.roles: dict[str, Role] = blob_roles([layer.result for layer in layers], schema)
        #: Real top shapes of each layer that ran (by SimLayer.index), from the last forward.
        self.observed: dict[int, list[tuple[int, ...]]] = {}
        #: Turn an op's failure into a T006 skip instead of raising LayerRunError.
        self.keep_going = False
        self.train(self.phase == "TRAIN")

    # ------------------------------------------------------------------ running
    def forward(self, inputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        self.observed = {}
        blobs = dict(inputs)
        for layer in self.layers:
            self.run_layer(layer, blobs)
        return blobs

    def run_layer(self, layer: SimLayer, blobs: dict[str, torch.Tensor]) -> list[torch.Tensor]:
        """Run one layer on ``blobs`` (read its bottoms, write its tops); returns its tops."""
        if layer.is_input:
            missing = [t for t in layer.tops if t not in blobs]
            if missing:
                raise SimError(f"no value for input blob(s) {', '.join(missing)} of layer '{layer.name}': "
                               "pass them to forward (make_inputs(net) makes them)")
            return [blobs[t] for t in layer.tops]
        if layer.skipped is None:
            absent = [b for b in layer.bottoms if b not in blobs]
            if absent:
                layer.skip("T006", f"its bottom '{absent[0]}' was not produced: the layer making it was not "
                                   "simulated and its shape is unknown")
        if layer.skipped is not None:
            outs = self._synthetic_tops(layer)
        else:
            outs = self._run_op(layer, blobs)
            if outs is None:
                outs = self._synthetic_tops(layer)
        for name, value in zip(layer.tops, outs):
            if value is not None:
                blobs[name] = value
        return [v for v in outs if v is not None]

    def _run_op(self, layer: SimLayer, blobs: dict[str, torch.Tensor]) -> list[torch.Tensor] | None:
        xs = [blobs[b] for b in layer.bottoms]
        try:
            outs = layer.op(*xs)
            if isinstance(outs, torch.Tensor):
                outs = (outs,)
            if len(outs) < len(layer.tops):
                raise SimError(f"the op returned {len(outs)} tensor(s) for {len(layer.tops)} top(s)")
        except Unsupported as exc:
            layer.skip("T006", str(exc))
            return None
        except Exception as exc:
            shapes = ", ".join(f"{b} {'x'.join(map(str, x.shape)) or 'scalar'}" for b, x in zip(layer.bottoms, xs))
            message = (f"layer '{layer.name}' ({layer.type}) failed in PyTorch: {type(exc).__name__}: {exc}"
                       + (f" (bottoms: {shapes})" if shapes else ""))
            if not self.keep_going:
                raise LayerRunError(layer, message) from exc
            layer.skip("T006", message)
            return None
        outs = list(outs[: len(layer.tops)])
        self.observed[layer.index] = [tuple(t.shape) for t in outs]
        return outs

    def _synthetic_tops(self, layer: SimLayer) -> list[torch.Tensor | None]:
        """Tensors of the static top shapes (None where unknown), for a layer that did not run."""
        gen = torch.Generator().manual_seed(blob_seed(self.seed, layer.index, 1 << 20))
        out: list[torch.Tensor | None] = []
        for i, name in enumerate(layer.tops):
            shape = layer.static_top(i)
            if not known(shape):
                out.append(None)
                continue
            out.append(synthetic(tuple(shape), self.roles.get(name, SIGNAL), gen).to(self.device))
        return out

    # ------------------------------------------------------------------ objective
    def loss(self, blobs: dict[str, torch.Tensor]) -> torch.Tensor:
        """Caffe's objective: the sum over tops of loss_weight * sum(top), a 0-D tensor."""
        total: torch.Tensor | None = None
        for layer in self.layers:
            for name, weight in zip(layer.tops, layer.loss_weights):
                if weight and name in blobs:
                    term = weight * blobs[name].sum()
                    total = term if total is None else total + term
        return total if total is not None else torch.zeros((), device=self.device)

    def input_layers(self) -> list[SimLayer]:
        return [layer for layer in self.layers if layer.is_input]

    def skipped(self) -> list[SimLayer]:
        return [layer for layer in self.layers if layer.skipped is not None]


# ---------------------------------------------------------------------- building
def _tops_of(lr: LayerResult) -> list[str]:
    """The layer's top names, plus Caffe's anonymous top for a loss layer declared without one."""
    tops = [t.name for t in lr.layer.tops]
    if not tops and lr.spec is not None and lr.spec.is_loss:
        tops.append(f"{AUTOMATIC} {lr.layer.name}")
    return tops


def _loss_weights(lr: LayerResult, n_tops: int) -> list[float]:
    """Layer::SetLossWeights: the written loss_weight per top, else 1 for a loss layer's first top."""
    written = list(lr.layer.loss_weights)
    if written:
        return (written + [0.0] * n_tops)[:n_tops]
    if lr.spec is not None and lr.spec.is_loss and n_tops:
        return [1.0] + [0.0] * (n_tops - 1)
    return [0.0] * n_tops


def _is_fed(lr: LayerResult) -> bool:
    """A data layer that reads from outside the net: its tops are inputs, it has no op."""
    if lr.layer.style == "header":
        return True
    return lr.spec is not None and lr.spec.is_data and not lr.spec.torch


def _op_context(lr: LayerResult, schema: Schema, phase: str, tops: list[str],
                blobs: list[torch.Tensor]) -> OpContext:
    """The same LayerContext static inference built for this layer (``_PhaseRun._context``)."""
    layer, spec = lr.layer, lr.spec
    ctx = LayerContext(layer.name, layer.type, layer.type_params(schema, spec), layer.layer_params(schema),
                       list(lr.bottoms), len(tops), phase, list(tops))
    static_tops = list(lr.tops) + [()] * (len(tops) - len(lr.tops))
    return OpContext(ctx, spec, static_tops, blobs)


class _Builder:
    """Makes the SimLayers of one phase."""

    def __init__(self, schema: Schema, phase: str, model: CaffemodelWeights | None, allow_python: bool,
                 seed: int, net_dir: Path | None) -> None:
        self.schema = schema
        self.phase = phase
        self.model = model
        self.allow_python = allow_python
        self.seed = seed
        self.net_dir = net_dir

    def layer(self, index: int, lr: LayerResult) -> SimLayer:
        tops = _tops_of(lr)
        sim = SimLayer(index, lr, None, [b.name for b in lr.layer.bottoms], tops, _loss_weights(lr, len(tops)))
        if _is_fed(lr):
            sim.is_input = True
            return sim
        reason = self._refusal(lr)
        if reason is not None:
            sim.skip(*reason)
            return sim
        blobs = self._blobs(lr, sim)
        if blobs is None:
            return sim
        ctx = _op_context(lr, self.schema, self.phase, tops, blobs)
        try:
            sim.op = self._make_op(lr, ctx)
        except Unsupported as exc:
            sim.skip("T006", str(exc))
        except WeightsError:
            raise
        except Exception as exc:  # an op's builder bug must not stop the rest of the net
            sim.skip("T006", f"building the PyTorch op failed: {type(exc).__name__}: {exc}")
        return sim

    def _refusal(self, lr: LayerResult) -> tuple[str, str] | None:
        """(code, reason) when the layer cannot get an op at all."""
        if lr.spec is None:
            return "T006", f"unknown layer type '{lr.layer.type_written or lr.layer.type}'"
        if lr.layer.type == "Python":
            if not self.allow_python:
                return "T005", ("a Python layer runs code from its module; it is not imported unless "
                                "--allow-python-layers is given")
            return None
        if builder_for(lr.spec) is None:
            return "T006", f"the simulator has no PyTorch op for {lr.layer.type} layers"
        return None

    def _blobs(self, lr: LayerResult, sim: SimLayer) -> list[torch.Tensor] | None:
        if lr.spec.weights is None:
            return []
        if not all(known(s) for s in lr.weights) or (not lr.weights and lr.macs is None):
            sim.skip("T006", "its weight shapes are not known (an input size is missing: give it with "
                             "--input NAME=N,C,H,W)")
            return None
        return initial_blobs(lr, self.schema, self.seed, self.model)

    def _make_op(self, lr: LayerResult, ctx: OpContext) -> CaffeOp:
        if lr.layer.type == "Python":
            from .python_layer import build_python_op

            return build_python_op(ctx, lr.layer.layer_params(self.schema), self.net_dir)
        return builder_for(lr.spec)(ctx)


def _param_names(lr: LayerResult, schema: Schema) -> list[str]:
    """``param { name }`` of each blob (V2), or V1's repeated ``param`` strings; "" when unnamed."""
    if lr.layer.style == "V1":
        return [str(n) for n in lr.layer.layer_params(schema).all("param")]
    if lr.layer.style != "V2":
        return []
    return [p.get("name") or "" for p in lr.layer.layer_params(schema).messages("param")]


def _share_params(layers: list[SimLayer], schema: Schema) -> None:
    """Caffe's named parameter sharing: later layers use the first owner's Parameter (same shape only)."""
    owners: dict[str, nn.Parameter] = {}
    for layer in layers:
        if layer.op is None:
            continue
        for j, name in enumerate(_param_names(layer.result, schema)):
            if not name or j >= len(layer.op.blobs):
                continue
            mine = layer.op.blobs[j]
            owner = owners.setdefault(name, mine)
            if owner is not mine and owner.shape == mine.shape:
                layer.op.blobs[j] = owner


def build_net(result, phase: str = "TRAIN", *, weights: Path | None = None, device: str = "cpu",
              allow_python: bool = False, seed: int = 0, net_dir: Path | None = None) -> SimNet:
    """The SimNet of ``phase`` of a checked net (a ``check_text``/``check_source`` CheckResult).

    ``weights``: a .caffemodel whose layers are copied by name (WeightsError
    where Caffe's CopyTrainedLayersFrom would abort); other blobs come from
    the layers' fillers, drawn from ``seed``.  ``allow_python``: import and
    run Python layers (from ``net_dir``, the net's folder, and ``sys.path``).
    """
    analysis = getattr(result, "net", None)
    if analysis is None:
        raise SimError("the check result holds no analysed net (not a NetParameter, or a mixed-format net)")
    if phase not in analysis.phases:
        raise SimError(f"no phase {phase!r} in the net (phases: {', '.join(analysis.phases)})")
    static = analysis.phases[phase]
    schema = result.schema
    model = CaffemodelWeights(weights) if weights is not None else None
    builder = _Builder(schema, phase, model, allow_python, seed, net_dir)
    with torch.no_grad():
        layers = [builder.layer(i, lr) for i, lr in enumerate(static.layers)]
    _share_params(layers, schema)
    net = SimNet(layers, static, schema, device, seed)
    return net.to(device)


def make_inputs(net: SimNet, overrides: dict[str, Shape] | None = None, seed: int = 0) -> dict[str, torch.Tensor]:
    """A tensor for every top of the net's data layers: static shape (or override), values that fit their use.

    InputShapeError when a shape is not fully known.  An override changes
    only the tensor: check the net with the same ``inputs=`` so that static
    shapes agree with it.
    """
    gen = torch.Generator().manual_seed(seed)
    out: dict[str, torch.Tensor] = {}
    for layer in net.input_layers():
        for i, name in enumerate(layer.tops):
            shape = input_shape(name, layer.static_top(i), overrides)
            out[name] = synthetic(shape, net.roles.get(name, SIGNAL), gen).to(net.device)
    return out


__all__ = ["AUTOMATIC", "InputShapeError", "LayerRunError", "SimError", "SimLayer", "SimNet", "build_net",
           "make_inputs"]
