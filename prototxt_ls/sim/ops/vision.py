"""Torch ops for the vision layers (mirrors ``prototxt_ls.layers.vision``).

The window geometry is read with the shape functions' own helpers
(``conv_geometry``, ``pool_window``, ``spp_level``, ``pooled_size``,
``conv_out``), and every op pads its input explicitly to exactly the extent
Caffe's windows cover, so the output size is the static one by construction
and never torch's own rounding:

* Convolution/Im2col divide like C, so a window up to stride-1 past the
  padded input still yields an output, reading zeros (Caffe's im2col
  treats every out-of-image position as 0);
* Pooling rounds up (down with round_mode FLOOR) and drops a last window that
  would start in the padding; AVE divides by the window clipped to the
  padded input (padding counts, positions past it do not).
"""

from __future__ import annotations

import dataclasses
import math

import torch
import torch.nn.functional as F

from ...layers.shapes import canonical_axis
from ...layers.vision import (
    PoolWindow,
    conv_geometry,
    conv_out,
    pool_window,
    pooled_size,
    spp_level,
)
from .base import CaffeOp, OpContext, Unsupported

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
#: Caffe's stochastic pooling (TEST) starts its window sum at FLT_MIN to avoid 0/0.
_FLT_MIN = torch.finfo(torch.float32).tiny

# ---------------------------------------------------------------- padding helpers


def _pad_axes(x: torch.Tensor, before: list[int], after: list[int], value: float = 0.0) -> torch.Tensor:
    """Pad (or, for a negative amount, crop) the trailing len(before) axes of ``x``."""
    if not any(before) and not any(after):
        return x
    pads: list[int] = []
    for b, a in zip(reversed(before), reversed(after)):
        pads += [b, a]
    return F.pad(x, pads, value=value)


def _fold_leading(x: torch.Tensor, axis: int) -> tuple[torch.Tensor, tuple[int, ...]]:
    """Caffe treats every axis before the channel axis as "num": fold them into one
    batch axis for torch, and return them to unfold the result."""
    lead = tuple(x.shape[:axis])
    return x.reshape((-1,) + tuple(x.shape[axis:])), lead


# ---------------------------------------------------------------- Convolution / Deconvolution


class Convolution(CaffeOp):
    """ConvolutionLayer and DeconvolutionLayer, on 1, 2 or 3 spatial axes.

    Weights are Caffe's [num_output, C/group, k...] for convolution and
    [C, num_output/group, k...] for deconvolution, which are torch's own
    layouts for conv and conv_transpose.  Each bottom is convolved with the
    same weights into its own top."""

    def __init__(self, ctx: OpContext, transposed: bool) -> None:
        super().__init__(ctx)
        self.geom = conv_geometry(ctx.layer)
        n = len(self.geom.kernel)
        if n not in _CONV:
            raise Unsupported(f"{ctx.layer.type} with {n} spatial axes: torch convolves 1, 2 or 3")
        self.transposed = transposed
        self.group = ctx.p.get("group")
        self.bias_term = bool(ctx.p.get("bias_term"))

    def forward(self, *bottoms: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return tuple(self._one(x) for x in bottoms)

    def _one(self, x: torch.Tensor) -> torch.Tensor:
        g = self.geom
        x, lead = _fold_leading(x, g.channel_axis)
        bias = self.blobs[1] if self.bias_term else None
        if self.transposed:
            y = _CONV_T[len(g.kernel)](x, self.blobs[0], bias, g.stride, g.pad, 0, self.group, g.dilation)
        else:
            x, pad = _conv_input(x, g.kernel, g.stride, g.pad, g.dilation)
            y = _CONV[len(g.kernel)](x, self.blobs[0], bias, g.stride, pad, g.dilation, self.group)
        return y.reshape(lead + tuple(y.shape[1:]))


def _conv_input(x: torch.Tensor, kernel, stride, pad, dilation) -> tuple[torch.Tensor, list[int]]:
    """The input and padding to hand torch so that it produces Caffe's output size.

    Usually that is Caffe's symmetric pad.  But Caffe divides like C, so when the
    dilated window is larger than the padded input by less than a stride, Caffe
    still computes one output, reading zeros past the end: then pad explicitly,
    with the extra zeros on the far side."""
    n = len(kernel)
    sizes = x.shape[-n:]
    need = []
    for i in range(n):
        out = conv_out(sizes[i], kernel[i], stride[i], pad[i], dilation[i], "kernel_size", i)
        need.append((out - 1) * stride[i] + dilation[i] * (kernel[i] - 1) + 1 - sizes[i] - pad[i])
    if all(a <= p for a, p in zip(need, pad)):
        return x, list(pad)
    return _pad_axes(x, list(pad), [max(a, p) for a, p in zip(need, pad)]), [0] * n


def convolution(ctx: OpContext) -> CaffeOp:
    return Convolution(ctx, transposed=False)


def deconvolution(ctx: OpContext) -> CaffeOp:
    return Convolution(ctx, transposed=True)


# ---------------------------------------------------------------- Im2col


def _columns(x: torch.Tensor, kernel, stride, pad, dilation) -> torch.Tensor:
    """Caffe's im2col(_nd) on [N, C, spatial...]: [N, C x prod(kernel), out...], the
    row index running over (channel, kernel offsets) in row-major order."""
    n = len(kernel)
    x, pad_now = _conv_input(x, kernel, stride, pad, dilation)
    x = _pad_axes(x, pad_now, pad_now)
    for i in range(n):
        extent = dilation[i] * (kernel[i] - 1) + 1
        x = x.unfold(2 + i, extent, stride[i])[..., ::dilation[i]]
    # now [N, C, out_1..out_n, k_1..k_n]: bring the kernel offsets next to C
    order = [0, 1] + list(range(2 + n, 2 + 2 * n)) + list(range(2, 2 + n))
    x = x.permute(order)
    return x.reshape((x.shape[0], -1) + tuple(x.shape[2 + n:]))


class Im2col(CaffeOp):
    """Im2colLayer: the columns a convolution would multiply, on any number of
    spatial axes (the axes before the channel axis are items)."""

    def __init__(self, ctx: OpContext) -> None:
        super().__init__(ctx)
        self.geom = conv_geometry(ctx.layer, min_spatial=1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        g = self.geom
        flat, lead = _fold_leading(x, g.channel_axis)
        cols = _columns(flat, g.kernel, g.stride, g.pad, g.dilation)
        return (cols.reshape(lead + tuple(cols.shape[1:])),)


def im2col(ctx: OpContext) -> CaffeOp:
    return Im2col(ctx)


# ---------------------------------------------------------------- Pooling


@dataclasses.dataclass
class _PoolAxis:
    """One spatial axis of one pooling: the input size and Caffe's output size."""

    size: int
    kernel: int
    stride: int
    pad: int
    out: int

    @property
    def after(self) -> int:
        """Padding after the input so the last window fits exactly (negative: the
        input's tail no window reaches, cropped)."""
        return (self.out - 1) * self.stride + self.kernel - self.size - self.pad

    def divisors(self) -> list[int]:
        """PoolingLayer AVE: each window's size clipped to the padded input,
        ``min(start + kernel, size + pad) - start``, computed before clipping to
        the image, so padding counts and positions past it do not."""
        starts = [o * self.stride - self.pad for o in range(self.out)]
        return [min(s + self.kernel, self.size + self.pad) - s for s in starts]


def _pool_axes(x: torch.Tensor, win: PoolWindow) -> tuple[_PoolAxis, _PoolAxis]:
    any_pad = bool(win.pad[0] or win.pad[1])
    axes = []
    for i in range(2):
        size = x.shape[2 + i]
        k, s, p = win.kernel[i], win.stride[i], win.pad[i]
        axes.append(_PoolAxis(size, k, s, p, pooled_size(size, k, s, p, win.ceil, any_pad, "kernel_size", i)))
    return axes[0], axes[1]


def _window_sum(x: torch.Tensor, h: _PoolAxis, w: _PoolAxis) -> torch.Tensor:
    """Sum of every window over the zero-padded input."""
    xp = _pad_axes(x, [h.pad, w.pad], [h.after, w.after])
    return F.avg_pool2d(xp, (h.kernel, w.kernel), (h.stride, w.stride), divisor_override=1)


def _max_pool(x: torch.Tensor, h: _PoolAxis, w: _PoolAxis) -> tuple[torch.Tensor, torch.Tensor]:
    """MAX over windows clipped to the image (the padding is -inf, never chosen),
    and Caffe's mask: the argmax's flat index h * W + w in its channel plane.
    torch keeps the first maximum in row-major order, as Caffe's strict ``>``."""
    xp = _pad_axes(x, [h.pad, w.pad], [h.after, w.after], value=-math.inf)
    top, idx = F.max_pool2d(xp, (h.kernel, w.kernel), (h.stride, w.stride), return_indices=True)
    padded_w = xp.shape[-1]
    rows, cols = idx // padded_w - h.pad, idx % padded_w - w.pad
    return top, (rows * w.size + cols).to(x.dtype)


def pool2d(x: torch.Tensor, win: PoolWindow, method: str) -> tuple[torch.Tensor, torch.Tensor | None]:
    """One Caffe pooling of a [N, C, H, W] input: (top, MAX's mask or None).

    STOCHASTIC is its TEST-time form (Caffe's GPU kernel; the CPU one is not
    implemented): each window's sum(x^2) / (FLT_MIN + sum(x)), a
    probability-weighted average.  Stochastic pooling has no padding."""
    h, w = _pool_axes(x, win)
    if method == "MAX":
        return _max_pool(x, h, w)
    if method == "STOCHASTIC":
        return _window_sum(x * x, h, w) / (_window_sum(x, h, w) + _FLT_MIN), None
    rows = torch.tensor(h.divisors(), dtype=x.dtype, device=x.device)
    cols = torch.tensor(w.divisors(), dtype=x.dtype, device=x.device)
    return _window_sum(x, h, w) / (rows[:, None] * cols[None, :]), None


def _check_method(ctx: OpContext, method: str) -> None:
    if method == "STOCHASTIC" and ctx.train:
        raise Unsupported("STOCHASTIC pooling in TRAIN samples a random position per window; "
                          "the simulator runs it only in TEST (probability-weighted average)")


class Pooling(CaffeOp):
    """PoolingLayer: MAX (optionally with the argmax mask as a 2nd top, as floats),
    AVE, or STOCHASTIC in TEST; global_pooling takes the whole actual input."""

    def __init__(self, ctx: OpContext) -> None:
        super().__init__(ctx)
        b = ctx.layer.bottoms[0] if ctx.layer.bottoms else None
        self.win = pool_window(ctx.layer, b)
        self.method = ctx.p.get("pool")
        _check_method(ctx, self.method)
        self.global_pooling = bool(ctx.p.get("global_pooling"))
        self.with_mask = ctx.layer.n_tops > 1

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        win = self.win
        if self.global_pooling:
            win = dataclasses.replace(win, kernel=(x.shape[2], x.shape[3]))
        top, mask = pool2d(x, win, self.method)
        if self.with_mask:
            return top, mask.detach()
        return (top,)


def pooling(ctx: OpContext) -> CaffeOp:
    return Pooling(ctx)


# ---------------------------------------------------------------- SPP


class SPP(CaffeOp):
    """SPPLayer: one pooling per pyramid level (2^level bins a side, windows from
    SPPLayer::GetPoolingParam), each flattened, concatenated along axis 1; with
    one level the pooled [N, C, 1, 1] is the top itself."""

    def __init__(self, ctx: OpContext) -> None:
        super().__init__(ctx)
        self.height = ctx.p.get("pyramid_height")
        self.method = ctx.p.get("pool")
        _check_method(ctx, self.method)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        h, w = x.shape[2], x.shape[3]
        levels = [pool2d(x, spp_level(h, w, level), self.method)[0] for level in range(self.height)]
        if self.height == 1:
            return (levels[0],)
        return (torch.cat([t.flatten(1) for t in levels], dim=1),)


def spp(ctx: OpContext) -> CaffeOp:
    return SPP(ctx)


# ---------------------------------------------------------------- LRN


class LRN(CaffeOp):
    """LRNLayer.

    ACROSS_CHANNELS: scale = k + alpha / local_size * (sum of x^2 over the
    local_size channels centred on each one, zero beyond the ends), top =
    x * scale^-beta.  WITHIN_CHANNEL: Caffe's own composition, AVE pooling of
    x^2 over local_size x local_size with pad (local_size - 1) / 2, then a
    Power layer (1 + alpha * pooled)^-beta, times x; ``k`` is not used there."""

    def __init__(self, ctx: OpContext) -> None:
        super().__init__(ctx)
        p = ctx.p
        self.size, self.alpha, self.beta, self.k = p.get("local_size"), p.get("alpha"), p.get("beta"), p.get("k")
        self.across = p.get("norm_region") != "WITHIN_CHANNEL"

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        pre = (self.size - 1) // 2
        if self.across:
            sq = F.pad((x * x).unsqueeze(1), (0, 0, 0, 0, pre, pre))
            window_mean = F.avg_pool3d(sq, (self.size, 1, 1), stride=1).squeeze(1)
            scale = self.k + self.alpha * window_mean
        else:
            win = PoolWindow((self.size, self.size), (1, 1), (pre, pre), True)
            scale = 1 + self.alpha * pool2d(x * x, win, "AVE")[0]
        return (x * scale.pow(-self.beta),)


def lrn(ctx: OpContext) -> CaffeOp:
    return LRN(ctx)


# ---------------------------------------------------------------- Crop


class Crop(CaffeOp):
    """CropLayer: every axis from ``axis`` on is cut to bottom 1's size, starting at
    ``offset`` (one for all those axes, one per axis, or 0 when none is given);
    the axes before keep bottom 0's size.  Bottom 1 only gives the size."""

    def __init__(self, ctx: OpContext) -> None:
        super().__init__(ctx)
        self.axis, self.offsets = ctx.p.get("axis"), ctx.p.all("offset")

    def _offset(self, i: int) -> int:
        if not self.offsets:
            return 0
        return self.offsets[0] if len(self.offsets) == 1 else self.offsets[i]

    def forward(self, x: torch.Tensor, ref: torch.Tensor) -> tuple[torch.Tensor, ...]:
        start = canonical_axis(self.axis, x.dim())
        for i in range(start, x.dim()):
            x = x.narrow(i, self._offset(i - start), ref.shape[i])
        return (x,)


def crop(ctx: OpContext) -> CaffeOp:
    return Crop(ctx)
