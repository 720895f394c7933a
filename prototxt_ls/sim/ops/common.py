"""Torch ops for the general-purpose layers (mirrors ``prototxt_ls.layers.common``).

Each builder reads the layer's parameters through the same helpers the
shape functions use (at build time, or per call where the answer depends on
the input's rank) and returns a :class:`CaffeOp` whose forward follows the
layer's Forward_cpu in BVLC Caffe.  Where a top's shape
depends on the actual input (Reshape, Slice), the op asks the registry's
shape function about the actual shapes, so the simulator and static
inference can never disagree.
"""

from __future__ import annotations

import dataclasses
import math

import torch
import torch.nn.functional as F

from ...layers.common import legacy_axis
from ...layers.shapes import Shape, canonical_axis, legacy_dim
from .base import CaffeOp, OpContext

# ---------------------------------------------------------------- shared helpers


def runtime_tops(ctx: OpContext, bottoms: tuple[torch.Tensor, ...]) -> list[Shape]:
    """The top shapes the registry's shape function gives for these actual bottoms.

    Static inference may have had unknown dims (a Data layer's batch); the
    op computes on the real ones, with the very function lint uses."""
    shapes = [tuple(b.shape) for b in bottoms]
    if shapes == [tuple(s) if s is not None else None for s in ctx.layer.bottoms]:
        return ctx.tops
    layer = dataclasses.replace(ctx.layer, bottoms=shapes)
    return ctx.spec.shape(layer)


def broadcast_at(t: torch.Tensor, x: torch.Tensor, axis: int) -> torch.Tensor:
    """View ``t`` so that its axes line up with ``x``'s from ``axis`` on (Scale/Bias:
    outer_dim x t.count() x inner_dim, as Caffe lays the multiplication out)."""
    return t.reshape((1,) * axis + tuple(t.shape) + (1,) * (x.dim() - axis - t.dim()))


class _Fn(CaffeOp):
    """An op whose forward is a plain function of its bottoms (and blobs)."""

    def __init__(self, ctx: OpContext, fn, learnable: bool = True) -> None:
        super().__init__(ctx, learnable)
        self.fn = fn

    def forward(self, *bottoms: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return tuple(self.fn(self, *bottoms))


# ---------------------------------------------------------------- InnerProduct


def inner_product(ctx: OpContext) -> CaffeOp:
    """InnerProductLayer: the axes from ``axis`` on are flattened into K; the
    weight is [N, K], or [K, N] with ``transpose`` (Caffe then skips the GEMM's
    transposition)."""
    axis_param = ctx.p.get("axis")
    transpose = ctx.p.get("transpose")
    bias = ctx.p.get("bias_term")

    def fn(op, x):
        axis = canonical_axis(axis_param, x.dim())
        flat = x.reshape(tuple(x.shape[:axis]) + (-1,))
        w = op.blobs[0]
        y = flat @ w if transpose else F.linear(flat, w)
        return (y + op.blobs[1] if bias else y,)

    return _Fn(ctx, fn)


# ---------------------------------------------------------------- Embed


def embed(ctx: OpContext) -> CaffeOp:
    """EmbedLayer: each input value, cast to int as Caffe does (truncation), picks a
    row of the [input_dim, num_output] table.  Out-of-range indices abort in
    Caffe (a DCHECK); here they raise.  No gradient reaches the input."""
    input_dim = ctx.p.get("input_dim")
    bias = ctx.p.get("bias_term")

    def fn(op, x):
        idx = x.detach().to(torch.int64)  # float -> int truncates toward zero, like static_cast<int>
        if idx.numel() and (idx.min() < 0 or idx.max() >= input_dim):
            raise ValueError(f"{op.name}: Embed index out of range [0, {input_dim}): "
                             f"{int(idx.min())}..{int(idx.max())}")
        y = F.embedding(idx, op.blobs[0])
        return (y + op.blobs[1] if bias else y,)

    return _Fn(ctx, fn)


# ---------------------------------------------------------------- Concat, Slice, Split


def concat(ctx: OpContext) -> CaffeOp:
    """ConcatLayer along ``axis`` or the legacy ``concat_dim``."""

    def fn(op, *xs):
        return (torch.cat(xs, dim=legacy_axis(ctx.layer, "concat_dim", xs[0].dim())[0]),)

    return _Fn(ctx, fn)


def slice(ctx: OpContext) -> CaffeOp:
    """SliceLayer: cut at each slice_point, or into equal pieces, along ``axis`` or the
    legacy ``slice_dim``; the piece sizes come from the shape function."""

    def fn(op, x):
        axis = legacy_axis(ctx.layer, "slice_dim", x.dim())[0]
        sizes = [t[axis] for t in runtime_tops(ctx, (x,))]
        return torch.split(x, sizes, dim=axis)

    return _Fn(ctx, fn)


def split(ctx: OpContext) -> CaffeOp:
    """SplitLayer: every top is the input (backward sums the tops' diffs, which
    autograd does when one tensor feeds several consumers)."""
    n = max(ctx.layer.n_tops, 1)
    return _Fn(ctx, lambda op, x: (x,) * n)


# ---------------------------------------------------------------- Eltwise


def _eltwise_max(xs: tuple[torch.Tensor, ...]) -> torch.Tensor:
    """EltwiseLayer MAX, with Caffe's choice on ties (which decides where the
    gradient goes): between bottoms 0 and 1 a tie picks bottom 1 (``a > b ? a : b``);
    every later bottom must be strictly larger to win."""
    top = torch.where(xs[0] > xs[1], xs[0], xs[1])
    for x in xs[2:]:
        top = torch.where(x > top, x, top)
    return top


def eltwise(ctx: OpContext) -> CaffeOp:
    """EltwiseLayer: SUM (weighted by ``coeff``, default 1 each), PROD or MAX."""
    operation = ctx.p.get("operation")
    coeffs = ctx.p.all("coeff")

    def fn(op, *xs):
        if operation == "PROD":
            top = xs[0]
            for x in xs[1:]:
                top = top * x
        elif operation == "MAX":
            top = _eltwise_max(xs)
        else:
            c = coeffs or [1.0] * len(xs)
            top = xs[0] * c[0] if c[0] != 1 else xs[0]
            for ci, x in zip(c[1:], xs[1:]):
                top = top + (x * ci if ci != 1 else x)
        return (top,)

    return _Fn(ctx, fn)


# ---------------------------------------------------------------- Flatten, Reshape


def flatten(ctx: OpContext) -> CaffeOp:
    """FlattenLayer: axes ``axis``..``end_axis`` merged (an empty span inserts a 1, as
    Blob::count over no axes is 1)."""
    axis, end_axis = ctx.p.get("axis"), ctx.p.get("end_axis")

    def fn(op, x):
        n = x.dim()
        start, end = canonical_axis(axis, n), canonical_axis(end_axis, n, "end_axis")
        shape = tuple(x.shape)
        return (x.reshape(shape[:start] + (math.prod(shape[start:end + 1]),) + shape[end + 1:]),)

    return _Fn(ctx, fn)


def reshape(ctx: OpContext) -> CaffeOp:
    """ReshapeLayer: the top shape is the shape function's (0 copies, -1 infers,
    axis/num_axes), computed on the actual input so a changed batch follows."""
    return _Fn(ctx, lambda op, x: (x.reshape(runtime_tops(ctx, (x,))[0]),))


# ---------------------------------------------------------------- Softmax, ArgMax


def softmax(ctx: OpContext) -> CaffeOp:
    """SoftmaxLayer along ``axis`` (Caffe subtracts the max first, as torch does)."""
    axis = ctx.p.get("axis")
    return _Fn(ctx, lambda op, x: (F.softmax(x, dim=canonical_axis(axis, x.dim())),))


def _top_k_caffe(x: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The k largest entries along the last axis, ordered as Caffe's partial_sort
    with std::greater on (value, index) pairs: equal values put the larger index first."""
    d = x.shape[-1]
    values, order = torch.sort(x.flip(-1), dim=-1, descending=True, stable=True)
    return values[..., :k], (d - 1 - order[..., :k])


def argmax(ctx: OpContext) -> CaffeOp:
    """ArgMaxLayer.  With ``axis``: top_k indices (or, with out_max_val, the values
    only) along it.  Without: over each item's count(1) values, giving
    [N, 1, top_k] indices or, with out_max_val, [N, 2, top_k] (indices then
    values), padded with 1s to the input's rank.  Indices are floats, as Caffe's
    tops.  Caffe has no backward: the top is detached."""
    top_k = ctx.p.get("top_k")
    out_max_val = ctx.p.get("out_max_val")
    axis_param = ctx.p.get("axis") if ctx.p.has("axis") else None

    def fn(op, x):
        x = x.detach()
        if axis_param is not None:
            axis = canonical_axis(axis_param, x.dim())
            values, index = _top_k_caffe(x.movedim(axis, -1), top_k)
            out = values if out_max_val else index.to(x.dtype)
            return (out.movedim(-1, axis).contiguous(),)
        values, index = _top_k_caffe(x.reshape(x.shape[0], -1), top_k)
        rows = [index.to(x.dtype)] + ([values] if out_max_val else [])
        shape = [1] * max(x.dim(), 3)
        shape[0], shape[1], shape[2] = x.shape[0], len(rows), top_k
        return (torch.stack(rows, dim=1).reshape(shape),)

    return _Fn(ctx, fn, learnable=False)


# ---------------------------------------------------------------- Tile, Reduction


def tile(ctx: OpContext) -> CaffeOp:
    """TileLayer: the whole block from ``axis`` on is copied ``tiles`` times (so axis
    values come out a0..an, a0..an, ..., not each value repeated)."""
    axis, tiles = ctx.p.get("axis"), ctx.p.get("tiles")

    def fn(op, x):
        reps = [1] * x.dim()
        reps[canonical_axis(axis, x.dim())] = tiles
        return (x.repeat(*reps),)

    return _Fn(ctx, fn)


def reduction(ctx: OpContext) -> CaffeOp:
    """ReductionLayer: SUM, ASUM, SUMSQ or MEAN over every axis from ``axis`` on, times
    ``coeff`` (MEAN: coeff / count, as Caffe folds the mean into the coefficient)."""
    axis_param, coeff, operation = ctx.p.get("axis"), ctx.p.get("coeff"), ctx.p.get("operation")

    def fn(op, x):
        axis = canonical_axis(axis_param, x.dim())
        flat = x.reshape(tuple(x.shape[:axis]) + (-1,))
        if operation == "ASUM":
            top = flat.abs().sum(-1)
        elif operation == "SUMSQ":
            top = (flat * flat).sum(-1)
        else:
            top = flat.sum(-1)
        c = coeff / flat.shape[-1] if operation == "MEAN" else coeff
        return (top * c if c != 1 else top,)

    return _Fn(ctx, fn)


# ---------------------------------------------------------------- BatchNorm


class BatchNorm(CaffeOp):
    """BatchNormLayer (no learned scale/shift: Caffe puts those in a Scale layer).

    Blobs: running mean sum, running variance sum, and their scale factor
    [1]; the statistics are blob / factor (a factor of 0 gives 0, as Caffe).
    ``use_global_stats`` defaults to phase TEST.  Without it, the batch mean and
    biased variance over N and the spatial axes normalise, and the blobs are
    updated as Caffe's forward does: factor = factor * maf + 1, mean = mean *
    maf + batch mean, var = var * maf + m/(m-1) * batch var."""

    def __init__(self, ctx: OpContext) -> None:
        super().__init__(ctx, learnable=False)
        p = ctx.p
        self.use_global = p.get("use_global_stats") if p.has("use_global_stats") else not ctx.train
        self.eps = p.get("eps")
        self.maf = p.get("moving_average_fraction")

    def _global_stats(self) -> tuple[torch.Tensor, torch.Tensor]:
        # Caffe: a scale factor of 0 means "no statistics yet" and scales by 0.
        # Kept as a tensor (no .item()), so the op also runs on the meta device.
        factor = self.blobs[2].reshape(-1)[:1]
        scale = torch.where(factor == 0, torch.zeros_like(factor), 1.0 / factor)
        return self.blobs[0] * scale, self.blobs[1] * scale

    def _update_running(self, mean: torch.Tensor, var: torch.Tensor, m: int) -> None:
        correction = m / (m - 1) if m > 1 else 1.0
        with torch.no_grad():
            self.blobs[2].mul_(self.maf).add_(1)
            self.blobs[0].mul_(self.maf).add_(mean)
            self.blobs[1].mul_(self.maf).add_(var * correction)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        stat_dims = [0] + list(range(2, x.dim()))
        if self.use_global:
            mean, var = self._global_stats()
        else:
            mean = x.mean(dim=stat_dims)
            var = ((x - broadcast_at(mean, x, 1)) ** 2).mean(dim=stat_dims)
            self._update_running(mean.detach(), var.detach(), x.numel() // x.shape[1])
        centred = x - broadcast_at(mean, x, 1)
        return (centred / broadcast_at(torch.sqrt(var + self.eps), x, 1),)


def batch_norm(ctx: OpContext) -> CaffeOp:
    return BatchNorm(ctx)


# ---------------------------------------------------------------- Scale, Bias


def _operand_axis(ctx: OpContext, x: torch.Tensor, other: torch.Tensor) -> int:
    """Scale/Bias: where bottom 1 (or the blob) lines up with bottom 0; a scalar
    second bottom applies from axis 0, as Caffe special-cases it."""
    return 0 if other.dim() == 0 else canonical_axis(ctx.p.get("axis"), x.dim())


def scale(ctx: OpContext) -> CaffeOp:
    """ScaleLayer: multiply by bottom 1, or by blob 0 spanning ``num_axes`` axes from
    ``axis``; with ``bias_term`` the last blob is added (a Bias over the same axes)."""
    has_bias = bool(ctx.p.get("bias_term"))
    axis = ctx.p.get("axis")

    def fn(op, x, *rest):
        factor = rest[0] if rest else op.blobs[0]
        top = x * broadcast_at(factor, x, _operand_axis(ctx, x, factor))
        if has_bias:
            top = top + broadcast_at(op.blobs[-1], x, canonical_axis(axis, x.dim()))
        return (top,)

    return _Fn(ctx, fn)


def bias(ctx: OpContext) -> CaffeOp:
    """BiasLayer: add bottom 1, or blob 0, broadcast as in Scale."""

    def fn(op, x, *rest):
        b = rest[0] if rest else op.blobs[0]
        return (x + broadcast_at(b, x, _operand_axis(ctx, x, b)),)

    return _Fn(ctx, fn)


# ---------------------------------------------------------------- MVN


def mvn(ctx: OpContext) -> CaffeOp:
    """MVNLayer on the legacy 4-D view (num, channels, height, width): per item and
    channel, or per item with ``across_channels``, subtract the mean and, with
    ``normalize_variance``, divide by sqrt(biased variance) + eps (eps added to
    the standard deviation, as Caffe does).  The top is always 4-D."""
    across, normalize, eps = ctx.p.get("across_channels"), ctx.p.get("normalize_variance"), ctx.p.get("eps")

    def fn(op, x):
        shape4 = tuple(legacy_dim(tuple(x.shape), i) for i in range(4))
        rows = shape4[0] if across else shape4[0] * shape4[1]
        flat = x.reshape(rows, -1)
        centred = flat - flat.mean(dim=1, keepdim=True)
        if normalize:
            std = torch.sqrt((centred * centred).mean(dim=1, keepdim=True))
            centred = centred / (std + eps)
        return (centred.reshape(shape4),)

    return _Fn(ctx, fn)


# ---------------------------------------------------------------- Filter, BatchReindex


def filter(ctx: OpContext) -> CaffeOp:
    """FilterLayer: keep the items whose selector (the last bottom) is non-zero, in
    order; the selector gets no gradient (Caffe refuses to backpropagate to it)."""

    def fn(op, *xs):
        keep = torch.nonzero(xs[-1].detach().reshape(xs[-1].shape[0], -1)[:, 0] != 0).reshape(-1)
        return tuple(x.index_select(0, keep) for x in xs[:-1])

    return _Fn(ctx, fn)


def batch_reindex(ctx: OpContext) -> CaffeOp:
    """BatchReindexLayer: top[i] = bottom 0[int(bottom 1[i])]; Caffe CHECKs the range."""

    def fn(op, x, index):
        idx = index.detach().to(torch.int64)
        if idx.numel() and (idx.min() < 0 or idx.max() >= x.shape[0]):
            raise ValueError(f"{op.name}: BatchReindex index out of range [0, {x.shape[0]})")
        return (x.index_select(0, idx),)

    return _Fn(ctx, fn)


# ---------------------------------------------------------------- Silence, Parameter


def silence(ctx: OpContext) -> CaffeOp:
    """SilenceLayer: consumes its bottoms, no tops."""
    return _Fn(ctx, lambda op, *xs: ())


def parameter(ctx: OpContext) -> CaffeOp:
    """ParameterLayer: its one blob is its top (shared, so the top's diff is the blob's)."""
    return _Fn(ctx, lambda op: (op.blobs[0],))
