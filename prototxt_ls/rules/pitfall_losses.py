"""Loss design: P604 loss inputs, P605 implicit weights, P606 loss_weight off a loss, P607 weight counts.

What Caffe does with ``loss_weight`` (Layer::SetUp -> SetLossWeights, BVLC
master): a layer with loss_weight entries must have exactly one per top
(CHECK "loss_weight must be unspecified or specified once per top blob");
each non-zero weight makes that top part of the objective, which gains
``weight * sum(top)``, and that weight is the gradient every value of the top
receives.  This holds for every layer, not only losses.  LossLayer::LayerSetUp
adds a single weight 1 when none is given, so loss layers count by default.
"""

from __future__ import annotations

from ..analysis.inference import where_range
from ..diagnostics import Severity
from ..layers.shapes import count, fmt
from ..model.net import LayerView, NetView
from ..schema.loader import bundled_schema
from ..schema.model import Schema
from ..syntax.tree import Scalar
from .pitfall_graph import Findings, PhaseGraph, layer_range

#: Layers a loss input is traced through (they keep probabilities probabilities).
_PROB_THROUGH = frozenset({"Split", "Reshape", "Flatten", "Permute", "Crop", "Slice", "Squeeze", "Identity"})
#: Types whose Backward is NOT_IMPLEMENTED for their first input.
_NO_GRADIENT = frozenset({"Accuracy", "ArgMax"})


def is_loss(layer: LayerView) -> bool:
    spec = layer.spec
    if spec is not None:
        return spec.is_loss
    return (layer.type or layer.type_written).endswith("Loss")


def _infogain_has_softmax(schema: Schema) -> bool:
    """BVLC added InfogainLossParameter.axis together with InfogainLoss's internal softmax."""
    msg = schema.message("InfogainLossParameter")
    return msg is not None and "axis" in msg.fields


# ---------------------------------------------------------------------- P604
def check_loss_inputs(g: PhaseGraph, schema: Schema, out: Findings) -> None:
    internal = _infogain_has_softmax(schema)
    for node in g.nodes:
        kind = node.type
        if kind not in ("MultinomialLogisticLoss", "InfogainLoss", "SoftmaxWithLoss", "SigmoidCrossEntropyLoss"):
            continue
        origin = g.origin(node, 0, _PROB_THROUGH)
        if origin is None or origin.is_data or origin.result.spec is None or origin.type == "Python":
            continue
        layer = node.result.layer
        rng = where_range(layer.bottoms[0].field) if layer.bottoms else layer_range(node)
        src = f"'{layer.bottoms[0].name}' comes from {origin.type} '{origin.name}'" if layer.bottoms else ""
        if kind == "MultinomialLogisticLoss" or (kind == "InfogainLoss" and not internal):
            if origin.type != "Softmax":
                why = (" (this schema's InfogainLossParameter has no `axis`: its InfogainLoss predates the "
                       "internal softmax)" if kind == "InfogainLoss" else "")
                out.add("P604", rng, f"{kind} '{node.name}' takes probabilities{why}, but {src}, which is not "
                        f"a Softmax: it computes -log of the raw value, clamped at 1e-20, and learns nothing "
                        f"useful; put a Softmax layer before it, or use SoftmaxWithLoss")
            continue
        twice = {"InfogainLoss": "Softmax", "SoftmaxWithLoss": "Softmax",
                 "SigmoidCrossEntropyLoss": "Sigmoid"}[kind]
        if origin.type == twice:
            out.add("P604", rng, f"{kind} '{node.name}' applies a {twice.lower()} itself, but {src}: the "
                    f"{twice.lower()} is applied twice, which squashes the predictions and the gradients; "
                    f"feed it the scores before the {twice}")


# ---------------------------------------------------------------------- P605
def check_implicit_weights(g: PhaseGraph, out: Findings) -> None:
    """Run on the TRAIN phase only: that is the objective the solver minimizes."""
    losses = [n for n in g.nodes if is_loss(n.result.layer)]
    if len(losses) < 2:
        return
    if any(n.result.layer.loss_weights for n in g.nodes):
        return  # some weight is written down: the balance was chosen
    terms = " + ".join(f"1 x '{n.name}'" for n in losses)
    first = losses[0]
    related = [(layer_range(n), f"loss layer '{n.name}' (loss_weight 1 by default)") for n in losses[1:]]
    out.add("P605", layer_range(first), f"{len(losses)} loss layers are summed with Caffe's default "
            f"loss_weight 1 each: loss = {terms}; set loss_weight on each to choose their balance", related=related)


# ---------------------------------------------------------------------- P606
def _weight_values(layer: LayerView) -> list[Scalar]:
    holder = layer.outer if layer.style != "V0" else layer.body
    if holder is None:
        return []
    return [v for f in holder.get("loss_weight") for v in f.values()
            if isinstance(v, Scalar) and v.kind == "number"]


def check_non_loss_weights(g: PhaseGraph, out: Findings) -> None:
    for node in g.nodes:
        layer = node.result.layer
        if not layer.loss_weights or layer.spec is None or is_loss(layer):
            continue
        values = _weight_values(layer)
        for i, w in enumerate(layer.loss_weights):
            if w == 0 or i >= len(layer.tops):
                continue
            shape = node.top_shape(i)
            n = count(shape)
            rng = values[i].range if i < len(values) else layer_range(node)
            top = layer.tops[i].name
            if node.type in _NO_GRADIENT and g.phase.phase == "TRAIN":
                out.add("P606", rng, f"loss_weight {w:g} makes '{top}' part of the training objective, but "
                        f"{node.type} '{node.name}' has no backward pass: Caffe stops with 'Not Implemented "
                        f"Yet' at the first iteration; remove loss_weight")
                continue
            if n is None or n <= 1:
                continue  # a single value (a Python loss, a Reduction): the intended use
            if node.type == "Softmax":
                out.add("P606", rng, f"loss_weight {w:g} on Softmax '{node.name}', which is not a loss layer: "
                        f"Caffe adds {w:g} x the sum of '{top}' to the loss, but softmax values sum to 1, so "
                        f"that is a constant: it changes the reported loss and not the training; remove it")
                continue
            out.add("P606", rng, f"loss_weight {w:g} on {node.type} '{node.name}', which is not a loss layer: "
                    f"Caffe still adds {w:g} x the sum of all {n} values of '{top}' ({fmt(shape)}) to the "
                    f"loss, so each of them gets the constant gradient {w:g}; remove loss_weight unless "
                    f"that is meant")


# ---------------------------------------------------------------------- P607
def check_weight_counts(net: NetView, schema: Schema, out: Findings) -> None:
    fork = schema is not bundled_schema()
    for layer in net.layers:
        if layer.style == "header":
            continue
        loss = is_loss(layer)
        n_tops = len(layer.tops)
        if loss and n_tops == 0:
            n_tops = 1  # Caffe adds the loss top itself
        weights = layer.loss_weights
        values = _weight_values(layer)
        if weights and n_tops and len(weights) != n_tops:
            rng = values[0].range if values else where_range(layer.anchor())
            out.add("P607", rng, f"layer '{layer.name}' has {len(weights)} loss_weight value(s) for {n_tops} "
                    f"top(s): Caffe refuses it (\"loss_weight must be unspecified or specified once per top "
                    f"blob\"); give one per top, or none")
            continue
        if not loss or layer.spec is None or len(layer.tops) < 2:
            continue
        second = where_range(layer.tops[1].field)
        if not weights:
            out.add("P607", second, f"{layer.type} '{layer.name}' has {len(layer.tops)} tops and no loss_weight: "
                    f"Caffe gives a loss layer a single loss_weight 1, for one top, and then refuses it "
                    f"(\"loss_weight must be unspecified or specified once per top blob\"); add "
                    f"`loss_weight: 1` and `loss_weight: 0`" +
                    ("" if layer.type != "SoftmaxWithLoss" else ", though BVLC's SoftmaxWithLoss refuses "
                     "a second top even then: compute the probabilities with a separate Softmax layer"))
        elif layer.type == "SoftmaxWithLoss":
            d = out.add("P607", second, f"SoftmaxWithLoss '{layer.name}' has a second top: BVLC Caffe passes "
                        f"its {len(weights)} loss_weight values to its internal Softmax, which has one top, and "
                        f"refuses the net (\"loss_weight must be unspecified or specified once per top blob\", "
                        f"BVLC/caffe#2968); compute the probabilities with a separate Softmax layer")
            if d is not None and fork:
                d.severity = Severity.WARNING
                d.message += " (some forks fixed this; check yours)"

