"""Element-wise activation ("neuron") layers.

Caffe's NeuronLayer takes exactly one bottom, gives exactly one top of the
same shape and may run in place (top named like its bottom).  AbsVal is the
one exception that refuses in-place use (its LayerSetUp checks top != bottom).
Running Log, Power, BNLL or Clip in place is accepted by Caffe but their
backward pass then reads the overwritten input; PReLU keeps a copy of its
input for exactly that reason.
"""

from __future__ import annotations

import math

from .registry import register
from .shapes import Shape, ShapeError
from .spec import LayerContext, LayerSpec, same_as_bottom


def _prelu_channels(ctx: LayerContext) -> int | None:
    b = ctx.bottoms[0] if ctx.bottoms else None
    if b is None:
        return None
    if len(b) < 2:
        raise ShapeError(f"PReLU needs a bottom with at least 2 axes (N, C, ...); got {len(b)}",
                         "bottom", 0, code="H401")
    if len(b) > 4:
        # channels() is a legacy accessor: Blob::LegacyShape refuses more than 4 axes.
        raise ShapeError(f"PReLU reads the channel count with Caffe's legacy accessor, which refuses blobs "
                         f"with more than 4 axes; got {len(b)}", "bottom", 0, code="H401")
    return b[1]


def _prelu_shape(ctx: LayerContext) -> list[Shape]:
    _prelu_channels(ctx)
    return same_as_bottom(ctx)


def _prelu_weights(ctx: LayerContext) -> list[Shape]:
    """One slope per channel, or a single slope (a 0-axis blob) if channel_shared."""
    if ctx.p.get("channel_shared"):
        return [()]
    return [(_prelu_channels(ctx),)]


def _check_base(ctx: LayerContext, log: bool) -> None:
    base = ctx.p.get("base")
    if base is None or base == -1.0:
        return  # -1 means e
    if not base > 0:
        raise ShapeError(f"base must be strictly positive, or -1 for e (got {base:g})", "base")
    if log and math.log(base) == 0.0:
        raise ShapeError("base 1 has log(base) = 0: the layer would divide by zero", "base")


def _exp_shape(ctx: LayerContext) -> list[Shape]:
    _check_base(ctx, log=False)
    return same_as_bottom(ctx)


def _log_shape(ctx: LayerContext) -> list[Shape]:
    _check_base(ctx, log=True)
    return same_as_bottom(ctx)


def _neuron(type_name: str, param: str | None, doc: str, *, v1: str | None = None,
            v0: tuple[str, ...] = (), in_place: bool = True, torch: str | None = None, **kw) -> None:
    register(LayerSpec(type_name, param, (1, 1), (1, 1), in_place=in_place, category="neuron",
                       v1_name=v1, v0_names=v0, doc=doc, torch=torch, **kw))


_neuron("ReLU", "relu_param", "max(0, x), or negative_slope * x for x < 0 (leaky ReLU).",
        v1="RELU", v0=("relu",), torch="neuron:relu")
_neuron("PReLU", "prelu_param", "Leaky ReLU whose negative slopes are learned: one per channel, "
        "or one in all if channel_shared.", shape=_prelu_shape, weights=_prelu_weights,
        torch="neuron:prelu")
_neuron("ELU", "elu_param", "x for x > 0, alpha * (exp(x) - 1) otherwise.", torch="neuron:elu")
_neuron("Sigmoid", "sigmoid_param", "Logistic function 1 / (1 + exp(-x)).", v1="SIGMOID", v0=("sigmoid",),
        torch="neuron:sigmoid")
_neuron("TanH", "tanh_param", "Hyperbolic tangent.", v1="TANH", v0=("tanh",), torch="neuron:tanh")
_neuron("AbsVal", None, "Absolute value |x|; cannot run in place.", v1="ABSVAL", in_place=False,
        torch="neuron:absval")
_neuron("BNLL", None, "Binomial normal log likelihood: log(1 + exp(x)) (a smooth ReLU).",
        v1="BNLL", v0=("bnll",), torch="neuron:bnll")
_neuron("Power", "power_param", "(shift + scale * x) ^ power.", v1="POWER", torch="neuron:power")
_neuron("Exp", "exp_param", "base ^ (shift + scale * x); base -1 means e.", v1="EXP", shape=_exp_shape,
        torch="neuron:exp")
_neuron("Log", "log_param", "log_base(shift + scale * x); base -1 means e.", shape=_log_shape,
        torch="neuron:log")
_neuron("Threshold", "threshold_param", "1 where x > threshold, else 0.", v1="THRESHOLD",
        torch="neuron:threshold")
_neuron("Dropout", "dropout_param", "In TRAIN zeroes a dropout_ratio fraction of values and scales the "
        "rest by 1 / (1 - ratio); in TEST passes values through.", v1="DROPOUT", v0=("dropout",),
        torch="neuron:dropout")
_neuron("Clip", "clip_param", "Clamps every value into [min, max].", torch="neuron:clip")
_neuron("Swish", "swish_param", "x * sigmoid(beta * x).", torch="neuron:swish")
