"""Torch ops for the element-wise ("neuron") layers (mirrors ``prototxt_ls.layers.neuron``).

A neuron layer may run in place in Caffe (top named like its bottom).  Every
op here returns a new tensor and never writes into its input, so the net
builder can hand the same tensor to later consumers whatever the prototxt
says about in-place use.  Parameters are read once, at build time, with
caffe.proto's defaults; each forward follows the type's Forward_cpu, and
autograd gives what its Backward_cpu computes (the few places where they
could differ are noted on the builder).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from .base import CaffeOp, OpContext, Unsupported


class Elementwise(CaffeOp):
    """One bottom, one top: ``fn(x)`` applied value by value (blobs, if any, in ``self.blobs``)."""

    def __init__(self, ctx: OpContext, fn: Callable[[Elementwise, torch.Tensor], torch.Tensor],
                 describe: str = "") -> None:
        super().__init__(ctx)
        self.fn = fn
        self.describe = describe

    def forward(self, *bottoms: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return (self.fn(self, bottoms[0]),)

    def extra_repr(self) -> str:
        return self.describe


def _base_log(base: float) -> float:
    """ln(base); Caffe's Exp and Log layers read base -1 as e."""
    return 1.0 if base == -1.0 else math.log(base)


# ---------------------------------------------------------------- ReLU family
def relu(ctx: OpContext) -> CaffeOp:
    """ReLULayer: max(x, 0) + negative_slope * min(x, 0).

    Caffe's gradient at exactly 0 is negative_slope (it tests ``x > 0``);
    torch's relu and leaky_relu do the same."""
    slope = float(ctx.p.get("negative_slope") or 0.0)
    if slope == 0.0:
        return Elementwise(ctx, lambda op, x: torch.relu(x))
    return Elementwise(ctx, lambda op, x: F.leaky_relu(x, slope), f"negative_slope={slope:g}")


def _channel_view(slope: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """PReLU's slopes laid along axis 1 of ``x`` (Caffe: channels() x count(2) per example)."""
    if slope.dim() == 0:
        return slope
    return slope.reshape((1, -1) + (1,) * (x.dim() - 2))


def prelu(ctx: OpContext) -> CaffeOp:
    """PReLULayer: max(x, 0) + a_c * min(x, 0), one learned slope a_c per channel
    (axis 1), or a single one (a 0-axis blob) when channel_shared."""
    if len(ctx.blobs) != 1:
        raise Unsupported(f"PReLU needs its slope blob; got {len(ctx.blobs)} blobs")

    def fn(op, x):
        a = _channel_view(op.blobs[0], x)
        return torch.clamp(x, min=0) + a * torch.clamp(x, max=0)

    return Elementwise(ctx, fn, "channel_shared" if ctx.p.get("channel_shared") else "")


def elu(ctx: OpContext) -> CaffeOp:
    """ELULayer: x for x > 0, alpha * (exp(x) - 1) otherwise."""
    alpha = float(ctx.p.get("alpha"))
    return Elementwise(ctx, lambda op, x: F.elu(x, alpha), f"alpha={alpha:g}")


# ---------------------------------------------------------------- squashing
def sigmoid(ctx: OpContext) -> CaffeOp:
    """SigmoidLayer: 1 / (1 + exp(-x))."""
    return Elementwise(ctx, lambda op, x: torch.sigmoid(x))


def tanh(ctx: OpContext) -> CaffeOp:
    """TanHLayer."""
    return Elementwise(ctx, lambda op, x: torch.tanh(x))


def absval(ctx: OpContext) -> CaffeOp:
    """AbsValLayer: |x|; Caffe's gradient sign(x) is 0 at 0, as torch's is."""
    return Elementwise(ctx, lambda op, x: torch.abs(x))


def bnll(ctx: OpContext) -> CaffeOp:
    """BNLLLayer: log(1 + exp(x)), written as Caffe does to stay finite for large |x|:
    x + log(1 + exp(-x)) for x > 0, log(1 + exp(x)) otherwise."""
    return Elementwise(ctx, lambda op, x: torch.clamp(x, min=0) + torch.log1p(torch.exp(-torch.abs(x))))


def swish(ctx: OpContext) -> CaffeOp:
    """SwishLayer: x * sigmoid(beta * x)."""
    beta = float(ctx.p.get("beta"))
    return Elementwise(ctx, lambda op, x: x * torch.sigmoid(beta * x), f"beta={beta:g}")


# ---------------------------------------------------------------- affine + power / exp / log
def power(ctx: OpContext) -> CaffeOp:
    """PowerLayer: (shift + scale * x) ^ power.

    With power * scale == 0 Caffe fills a constant (1 if power is 0, else
    shift ^ power) and its gradient is 0; torch's pow gives the same values,
    and its gradient of a constant is 0 too."""
    pw, scale, shift = (float(ctx.p.get(k)) for k in ("power", "scale", "shift"))

    def fn(op, x):
        base = shift + scale * x
        return base if pw == 1.0 else torch.pow(base, pw)

    return Elementwise(ctx, fn, f"power={pw:g}, scale={scale:g}, shift={shift:g}")


def exp(ctx: OpContext) -> CaffeOp:
    """ExpLayer: base ^ (shift + scale * x) = exp(ln(base) * (shift + scale * x)); base -1 is e."""
    base, scale, shift = (float(ctx.p.get(k)) for k in ("base", "scale", "shift"))
    if base != -1.0 and not base > 0:
        raise Unsupported(f"Exp needs base > 0 or -1 (for e); got {base:g}")
    log_base = _base_log(base)
    return Elementwise(ctx, lambda op, x: torch.exp(log_base * (shift + scale * x)),
                       f"base={base:g}, scale={scale:g}, shift={shift:g}")


def log(ctx: OpContext) -> CaffeOp:
    """LogLayer: log_base(shift + scale * x) = ln(shift + scale * x) / ln(base); base -1 is e."""
    base, scale, shift = (float(ctx.p.get(k)) for k in ("base", "scale", "shift"))
    if base != -1.0 and not (base > 0 and base != 1.0):
        raise Unsupported(f"Log needs base > 0, not 1, or -1 (for e); got {base:g}")
    inv = 1.0 / _base_log(base)
    return Elementwise(ctx, lambda op, x: torch.log(shift + scale * x) * inv,
                       f"base={base:g}, scale={scale:g}, shift={shift:g}")


# ---------------------------------------------------------------- thresholds and clipping
def threshold(ctx: OpContext) -> CaffeOp:
    """ThresholdLayer: 1 where x > threshold, else 0.  Caffe has no backward for it;
    the result carries no gradient."""
    t = float(ctx.p.get("threshold"))
    return Elementwise(ctx, lambda op, x: (x > t).to(x.dtype), f"threshold={t:g}")


def clip(ctx: OpContext) -> CaffeOp:
    """ClipLayer: min(max(x, min), max); the gradient passes where min <= x <= max,
    both ends included, as in Caffe's Backward_cpu and torch.clamp."""
    lo, hi = ctx.p.get("min"), ctx.p.get("max")
    if not (ctx.p.has("min") and ctx.p.has("max")):
        raise Unsupported("Clip needs clip_param { min max } (both are required fields)")
    lo, hi = float(lo), float(hi)
    return Elementwise(ctx, lambda op, x: torch.clamp(x, lo, hi), f"min={lo:g}, max={hi:g}")


# ---------------------------------------------------------------- Dropout
def dropout(ctx: OpContext) -> CaffeOp:
    """DropoutLayer.

    TRAIN: each value is kept with probability 1 - dropout_ratio and the kept
    ones are multiplied by 1 / (1 - ratio) (Caffe's inverted dropout), so
    TEST is the identity.  Forks with ``scale_train: false`` (Fast R-CNN's)
    keep TRAIN values unscaled and multiply by 1 - ratio in TEST instead.
    The phase is the one the net was built for.
    """
    ratio = float(ctx.p.get("dropout_ratio"))
    if not 0.0 <= ratio < 1.0:
        raise Unsupported(f"dropout_ratio must be in [0, 1): Caffe's scale 1 / (1 - ratio) needs it; got {ratio:g}")
    scale = 1.0 / (1.0 - ratio)
    scale_train = ctx.p.get("scale_train", True)
    train = ctx.train
    describe = f"ratio={ratio:g}, phase={ctx.phase}" + ("" if scale_train else ", scale_train=false")

    def fn(op, x):
        if not train:
            return x.clone() if scale_train else x * (1.0 / scale)
        keep = torch.bernoulli(torch.full_like(x, 1.0 - ratio, dtype=torch.float32)).to(x.dtype)
        return x * keep * scale if scale_train else x * keep

    return Elementwise(ctx, fn, describe)
