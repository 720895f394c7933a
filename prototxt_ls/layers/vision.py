"""Vision layers: Convolution, Deconvolution, Im2col, Pooling, SPP, LRN, Crop.

The window geometry follows Caffe's BaseConvolutionLayer::LayerSetUp and
compute_output_shape, PoolingLayer::LayerSetUp/Reshape, SPPLayer, LRNLayer and
CropLayer exactly, including their checks, so a net Caffe would refuse is
refused here with the field to fix.  Convolution divides like C (truncating
toward zero); Pooling rounds up (or down with round_mode FLOOR) and then
drops a last window that would start in the padding.
"""

from __future__ import annotations

from dataclasses import dataclass

from .common import Unknown, c_div, dims_equal, need, shape_fn
from .registry import register
from .shapes import Dim, Shape, ShapeError, canonical_axis, count, fmt
from .spec import LayerContext, LayerSpec


@dataclass
class ConvGeometry:
    channel_axis: int
    kernel: list[int]
    stride: list[int]
    pad: list[int]
    dilation: list[int]


def _per_axis(ctx: LayerContext, name: str, h: str, w: str, n: int, default: int | None,
              positive: bool) -> list[int]:
    """Read kernel/stride/pad as BaseConvolutionLayer::LayerSetUp does: `name`
    once or once per spatial axis, or `h`/`w` for 2-D.  With `h`/`w` an unset
    one reads as its proto default (0), so a lone stride_h leaves stride_w 0,
    which Caffe refuses."""
    p = ctx.p
    if p.has(h) or p.has(w):
        if n != 2:
            raise ShapeError(f"{h} & {w} can only be used for 2-D convolution", h if p.has(h) else w)
        if p.all(name):
            raise ShapeError(f"either {name} or {h}/{w} should be specified, not both", name)
        if name == "kernel_size" and not (p.has(h) and p.has(w)):
            present, missing = (h, w) if p.has(h) else (w, h)
            raise ShapeError(f"{present} needs {missing} too (or use {name})", present, code="G308")
        values = [p.get(h), p.get(w)]
        fields = [h, w]
    else:
        given = p.all(name)
        fields = [name] * n
        if not given:
            if default is None:
                if n == 0:  # Caffe accepts no kernel_size when there are no spatial axes
                    return []
                raise ShapeError(f"{ctx.type} needs a kernel size: kernel_size, or kernel_h and kernel_w",
                                 None, code="G308")
            values = [default] * n
        elif len(given) == 1:
            values = given * n
        elif len(given) == n:
            values = list(given)
        else:
            raise ShapeError(f"{name} must be given once, or once per spatial axis ({n}); got {len(given)}",
                             name, index=n if n < len(given) else None)
    if positive:
        for i, v in enumerate(values):
            if v <= 0:
                raise ShapeError(f"{fields[i]} must be positive (got {v})", fields[i],
                                 index=i if fields[i] == name and len(p.all(name)) > 1 else None)
    return values


def conv_geometry(ctx: LayerContext, min_spatial: int = 0) -> ConvGeometry:
    bottom = need(ctx)
    axis = canonical_axis(ctx.p.get("axis"), len(bottom))
    n = len(bottom) - axis - 1
    if n < min_spatial:
        raise ShapeError(f"{ctx.type} needs at least {min_spatial} spatial axis after the channel axis "
                         f"{axis}; the input {fmt(bottom)} has none", "axis", code="H406")
    kernel = _per_axis(ctx, "kernel_size", "kernel_h", "kernel_w", n, None, True)
    stride = _per_axis(ctx, "stride", "stride_h", "stride_w", n, 1, True)
    pad = _per_axis(ctx, "pad", "pad_h", "pad_w", n, 0, False)
    dil = ctx.p.all("dilation")
    if not dil:
        dil = [1] * n
    elif len(dil) == 1:
        dil = dil * n
    elif len(dil) != n:
        raise ShapeError(f"dilation must be given once, or once per spatial axis ({n})", "dilation")
    return ConvGeometry(axis, kernel, stride, pad, dil)


def _check_channels(ctx: LayerContext, g: ConvGeometry) -> tuple[int, Dim]:
    num_output = ctx.p.get("num_output")
    if not num_output:
        raise ShapeError(f"{ctx.type} needs num_output (a positive number of output channels)",
                         "num_output" if ctx.p.has("num_output") else None, code="G308")
    group = ctx.p.get("group")
    if group <= 0:
        raise ShapeError("group must be positive", "group")
    channels = ctx.bottoms[0][g.channel_axis]
    if channels is not None and channels % group:
        raise ShapeError(f"the input has {channels} channels, which group {group} does not divide", "group")
    if num_output % group:
        raise ShapeError(f"num_output {num_output} is not a multiple of group {group}", "num_output")
    b0 = ctx.bottoms[0]
    for i, b in enumerate(ctx.bottoms[1:], 1):
        if b is None:
            continue
        if len(b) != len(b0) or not all(dims_equal(x, y) for x, y in zip(b0, b)):
            raise ShapeError(f"all bottoms must have the same shape: bottom 0 is {fmt(b0)}, "
                             f"bottom {i} is {fmt(b)}", "bottom", index=i, code="H401")
    return num_output, channels


def conv_out(size: Dim, k: int, s: int, p: int, d: int, field: str, i: int) -> Dim:
    """(size + 2*pad - dilated kernel) / stride + 1, dividing like C: a window up to
    stride-1 larger than the padded input still gives one output, as in Caffe."""
    if size is None:
        return None
    extent = d * (k - 1) + 1
    out = c_div(size + 2 * p - extent, s) + 1
    if out < 1:
        raise ShapeError(f"the window ({extent}) is larger than the padded input ({size} + 2x{p}): "
                         "the output would be empty", field, index=i, code="H402")
    return out


def _deconv_out(size: Dim, k: int, s: int, p: int, d: int, field: str, i: int) -> Dim:
    if size is None:
        return None
    out = s * (size - 1) + d * (k - 1) + 1 - 2 * p
    if out < 1:
        raise ShapeError(f"the padding ({p}) is too large for this deconvolution: the output would be empty",
                         field, index=i, code="H402")
    return out


def _kernel_field(ctx: LayerContext) -> str:
    return "kernel_size" if ctx.p.has("kernel_size") or not ctx.p.has("kernel_h") else "kernel_h"


@shape_fn
def _conv_shape(ctx: LayerContext, deconv: bool) -> list[Shape]:
    g = conv_geometry(ctx)
    num_output, _ = _check_channels(ctx, g)
    out_fn = _deconv_out if deconv else conv_out
    field = _kernel_field(ctx)
    b = ctx.bottoms[0]
    spatial = tuple(out_fn(b[g.channel_axis + 1 + i], g.kernel[i], g.stride[i], g.pad[i], g.dilation[i],
                           field, i) for i in range(len(g.kernel)))
    # Caffe shapes every top from bottom 0 (all bottoms must have its shape).
    return [tuple(b[: g.channel_axis]) + (num_output,) + spatial] * ctx.n_tops


def _conv_weights(ctx: LayerContext, deconv: bool) -> list[Shape]:
    try:
        g = conv_geometry(ctx)
    except Unknown:
        num_output = ctx.p.get("num_output")
        return [None, (num_output,)] if ctx.p.get("bias_term") else [None]
    num_output, channels = _check_channels(ctx, g)
    group = ctx.p.get("group")
    if deconv:
        weight = (channels, num_output // group, *g.kernel)
    else:
        weight = (num_output, None if channels is None else channels // group, *g.kernel)
    return [weight, (num_output,)] if ctx.p.get("bias_term") else [weight]


def _conv_macs(ctx: LayerContext, tops: list[Shape], deconv: bool) -> int | None:
    """Each output point of a convolution (each input point of a deconvolution)
    costs (channels/group) x kernel multiply-accumulates."""
    weights = _conv_weights(ctx, deconv)
    if not weights or weights[0] is None:
        return None
    per_point = count(weights[0], 1)
    points = [count(b) for b in ctx.bottoms] if deconv else [count(t) for t in tops]
    if per_point is None or None in points:
        return None
    return sum(points) * per_point  # type: ignore[arg-type]


register(LayerSpec(
    "Convolution", "convolution_param", (1, None), (1, None),
    shape=lambda ctx: _conv_shape(ctx, False),
    weights=lambda ctx: _conv_weights(ctx, False),
    macs=lambda ctx, tops: _conv_macs(ctx, tops, False),
    torch="vision:convolution",
    category="vision", v1_name="CONVOLUTION", v0_names=("conv",), same_count=True,
    doc="Learnable filters slid over the input: out = (in + 2*pad - dilated kernel) / stride + 1, rounded down."))

register(LayerSpec(
    "Deconvolution", "convolution_param", (1, None), (1, None),
    shape=lambda ctx: _conv_shape(ctx, True),
    weights=lambda ctx: _conv_weights(ctx, True),
    macs=lambda ctx, tops: _conv_macs(ctx, tops, True),
    torch="vision:deconvolution",
    category="vision", v1_name="DECONVOLUTION", same_count=True,
    doc="Transposed convolution (upsampling): out = stride * (in - 1) + dilated kernel - 2*pad; "
        "weights are [in, out/group, kh, kw]."))

# ---------------------------------------------------------------- Im2col


@shape_fn
def _im2col_shape(ctx: LayerContext) -> list[Shape]:
    g = conv_geometry(ctx, min_spatial=1)
    b = ctx.bottoms[0]
    top = list(b)
    kernel_dim = 1
    for k in g.kernel:
        kernel_dim *= k
    c = b[g.channel_axis]
    top[g.channel_axis] = None if c is None else c * kernel_dim
    field = _kernel_field(ctx)
    for i in range(len(g.kernel)):
        top[g.channel_axis + 1 + i] = conv_out(b[g.channel_axis + 1 + i], g.kernel[i], g.stride[i], g.pad[i],
                                               g.dilation[i], field, i)
    return [tuple(top)]


register(LayerSpec(
    "Im2col", "convolution_param", (1, 1), (1, 1),
    shape=_im2col_shape, macs=lambda ctx, tops: 0,
    torch="vision:im2col",
    category="vision", v1_name="IM2COL", v0_names=("im2col",),
    doc="Unrolls each convolution window into a column: channels become channels x kernel, spatial axes "
        "the convolution's output size. Copies only (0 MACs)."))

# ---------------------------------------------------------------- Pooling


@dataclass
class PoolWindow:
    kernel: tuple[Dim, Dim]
    stride: tuple[int, int]
    pad: tuple[int, int]
    ceil: bool


def pooled_size(size: Dim, k: Dim, s: int, p: int, ceil: bool, any_pad: bool, field: str | None,
                index: int | None = None) -> Dim:
    """One axis of PoolingLayer::Reshape: ceil (or floor) of (size + 2p - k) / s, plus
    one; then, when any pad is set, drop a last window that starts in the padding."""
    if size is None or k is None:
        return None
    a = size + 2 * p - k
    out = (-((-a) // s) if ceil else a // s) + 1
    if any_pad and out > 0 and (out - 1) * s >= size + p:
        out -= 1
    if out < 1:
        raise ShapeError(f"the {k}-wide window is larger than the padded input ({size} + 2x{p}): "
                         "the pooled output would be empty", field, index=index, code="H402")
    return out


def pool_window(ctx: LayerContext, b: tuple[Dim, ...] | None) -> PoolWindow:
    """PoolingLayer::LayerSetUp: which of kernel/pad/stride may be combined, and their checks."""
    p = ctx.p
    glob = p.get("global_pooling")
    if glob:
        for f in ("kernel_size", "kernel_h", "kernel_w"):
            if p.has(f):
                raise ShapeError("with global_pooling the window is the whole input: remove " + f, f)
    else:
        has_k = p.has("kernel_size")
        has_hw = p.has("kernel_h") and p.has("kernel_w")
        if has_k and has_hw:
            raise ShapeError("give kernel_size, or kernel_h and kernel_w, not both", "kernel_size")
        if not has_k and not has_hw:
            if p.has("kernel_h") or p.has("kernel_w"):
                present = "kernel_h" if p.has("kernel_h") else "kernel_w"
                missing = "kernel_w" if present == "kernel_h" else "kernel_h"
                raise ShapeError(f"{present} needs {missing} too (or use kernel_size)", present, code="G308")
            raise ShapeError("Pooling needs a window: kernel_size, kernel_h and kernel_w, or global_pooling: true",
                             None, code="G308")
    for name in ("pad", "stride"):
        h, w = name + "_h", name + "_w"
        if p.has(h) or p.has(w):
            if p.has(name):
                raise ShapeError(f"give {name}, or {h} and {w}, not both", name)
            if not (p.has(h) and p.has(w)):
                present = h if p.has(h) else w
                raise ShapeError(f"{h} and {w} must be given together", present)
    height = b[2] if b is not None and len(b) == 4 else None
    width = b[3] if b is not None and len(b) == 4 else None
    if glob:
        kernel: tuple[Dim, Dim] = (height, width)
        kfields = ("global_pooling", "global_pooling")
    elif p.has("kernel_size"):
        kernel = (p.get("kernel_size"),) * 2
        kfields = ("kernel_size", "kernel_size")
    else:
        kernel = (p.get("kernel_h"), p.get("kernel_w"))
        kfields = ("kernel_h", "kernel_w")
    for k, f in zip(kernel, kfields):
        if k is not None and k <= 0:
            raise ShapeError(f"the pooling window must be at least 1 wide (got {k})", f)
    pad = (p.get("pad_h"), p.get("pad_w")) if p.has("pad_h") else (p.get("pad"),) * 2
    pfields = ("pad_h", "pad_w") if p.has("pad_h") else ("pad", "pad")
    stride = (p.get("stride_h"), p.get("stride_w")) if p.has("stride_h") else (p.get("stride"),) * 2
    sfields = ("stride_h", "stride_w") if p.has("stride_h") else ("stride", "stride")
    for s, f in zip(stride, sfields):
        if s <= 0:
            raise ShapeError(f"{f} must be positive (got {s})", f)
    if glob and (any(pad) or any(s != 1 for s in stride)):
        field = pfields[0] if any(pad) else sfields[0]
        raise ShapeError("with global_pooling, pad must be 0 and stride 1", field)
    if any(pad):
        if p.get("pool") not in ("MAX", "AVE"):
            raise ShapeError(f"padding works only with MAX and AVE pooling, not {p.get('pool')}", pfields[0])
        for pv, k, f in zip(pad, kernel, pfields):
            if k is not None and pv >= k:
                raise ShapeError(f"{f} {pv} must be smaller than the window ({k})", f)
    return PoolWindow(kernel, stride, pad, p.get("round_mode") != "FLOOR")


def _pool_top(ctx: LayerContext, b: tuple[Dim, ...], win: PoolWindow, field: str | None) -> Shape:
    if field is None and ctx.p.get("global_pooling"):
        return (b[0], b[1], 1, 1)  # window = input, pad 0, stride 1: one output even if H, W are unknown
    any_pad = bool(win.pad[0] or win.pad[1])
    fields = (field, field) if field else (None, None)
    if field is None:
        p = ctx.p
        fields = (("kernel_size", "kernel_size") if p.has("kernel_size") else
                  ("kernel_h", "kernel_w") if p.has("kernel_h") else ("global_pooling", "global_pooling"))
    ph = pooled_size(b[2], win.kernel[0], win.stride[0], win.pad[0], win.ceil, any_pad, fields[0])
    pw = pooled_size(b[3], win.kernel[1], win.stride[1], win.pad[1], win.ceil, any_pad, fields[1])
    return (b[0], b[1], ph, pw)


def _require_4d(b: tuple[Dim, ...], what: str) -> None:
    if len(b) != 4:
        raise ShapeError(f"{what} needs a 4-axis input (num, channels, height, width); got {fmt(b)}",
                         "bottom", index=0, code="H406")


@shape_fn
def _pool_shape(ctx: LayerContext) -> list[Shape]:
    if ctx.n_tops > 1 and ctx.p.get("pool") != "MAX":
        raise ShapeError(f"only MAX pooling can output a second top (the argmax mask); "
                         f"this layer pools by {ctx.p.get('pool')}", "top", index=1)
    b = ctx.bottoms[0] if ctx.bottoms else None
    win = pool_window(ctx, b)
    b = need(ctx)
    _require_4d(b, "Pooling")
    top = _pool_top(ctx, b, win, None)
    return [top] * ctx.n_tops


register(LayerSpec(
    "Pooling", "pooling_param", (1, 1), (1, 2),
    shape=_pool_shape,
    torch="vision:pooling",
    category="vision", v1_name="POOLING", v0_names=("pool",),
    doc="MAX/AVE/STOCHASTIC over windows: out = ceil((in + 2*pad - kernel) / stride) + 1 (floor with "
        "round_mode FLOOR), minus one if the last window would start in the padding. MAX may output "
        "the argmax mask as a 2nd top. MACs not counted."))

# ---------------------------------------------------------------- SPP


def spp_level(h: int, w: int, level: int) -> PoolWindow:
    """SPPLayer::GetPoolingParam: 2^level bins per side, windows that tile the input."""
    bins = 2 ** level
    kh, kw = -(-h // bins), -(-w // bins)
    ph, pw = (kh * bins - h + 1) // 2, (kw * bins - w + 1) // 2
    return PoolWindow((kh, kw), (kh, kw), (ph, pw), True)


@shape_fn
def _spp_shape(ctx: LayerContext) -> list[Shape]:
    p = ctx.p
    height = p.get("pyramid_height")
    if height < 1:
        raise ShapeError("SPP needs pyramid_height (the number of pyramid levels), at least 1",
                         "pyramid_height" if p.has("pyramid_height") else None, code="G308")
    b = need(ctx)
    _require_4d(b, "SPP")
    n, c, h, w = b
    for d in (h, w):
        if d is not None and d <= 0:
            raise ShapeError(f"SPP needs a non-empty input; got {fmt(b)}", "bottom", index=0, code="H402")
    if h is None or w is None:
        if height == 1:  # one bin: the window is the whole input
            return [(n, c, 1, 1)]
        return [(n, None)]
    total: Dim = 0
    for level in range(height):
        win = spp_level(h, w, level)
        if any(win.pad) and p.get("pool") == "STOCHASTIC":
            raise ShapeError(f"pyramid level {level} needs padding for a {h}x{w} input, and padding works "
                             "only with MAX and AVE pooling", "pool")
        for pv, k, axis in zip(win.pad, win.kernel, ("height", "width")):
            if pv >= k:  # type: ignore[operator]
                raise ShapeError(f"the input's {axis} ({h}x{w}) is too small for pyramid level {level} "
                                 f"({2 ** level} bins): Caffe would need padding {pv} with a window of {k}",
                                 "pyramid_height")
        top = _pool_top(ctx, b, win, "pyramid_height")
        if height == 1:
            return [top]
        total = None if total is None or c is None else total + c * top[2] * top[3]  # type: ignore[operator]
    return [(n, total)]


register(LayerSpec(
    "SPP", "spp_param", (1, 1), (1, 1),
    shape=_spp_shape,
    torch="vision:spp",
    category="vision",
    doc="Spatial pyramid pooling: pools the input into 1, 2x2, 4x4, ... bins (pyramid_height levels), "
        "flattens and concatenates them into [N, C x bins]; with one level the top stays [N, C, 1, 1]."))

# ---------------------------------------------------------------- LRN


@shape_fn
def _lrn_shape(ctx: LayerContext) -> list[Shape]:
    size = ctx.p.get("local_size")
    if size % 2 != 1:
        raise ShapeError(f"local_size must be odd (got {size})", "local_size")
    b = need(ctx)
    _require_4d(b, "LRN")
    return [b]


register(LayerSpec(
    "LRN", "lrn_param", (1, 1), (1, 1),
    shape=_lrn_shape,
    torch="vision:lrn",
    category="vision", v1_name="LRN", v0_names=("lrn",),
    doc="Local response normalisation across neighbouring channels (or within a channel's local_size "
        "square); same shape out. MACs not counted."))

# ---------------------------------------------------------------- Crop


@shape_fn
def _crop_shape(ctx: LayerContext) -> list[Shape]:
    p = ctx.p
    b = need(ctx)
    n = len(b)
    start = canonical_axis(p.get("axis"), n)
    offsets = p.all("offset")
    if len(offsets) > 1 and start + len(offsets) != n:
        raise ShapeError(f"{len(offsets)} offsets given, but axes {start} to {n - 1} of {fmt(b)} are cropped "
                         f"({n - start}): give one offset, or one per cropped axis", "offset",
                         index=len(offsets) - 1 if len(offsets) > n - start else None)
    ref = ctx.bottoms[1] if len(ctx.bottoms) > 1 else None
    if ref is not None and len(ref) < n:
        raise ShapeError(f"the reference (bottom 1) {fmt(ref)} has fewer axes than the input {fmt(b)}",
                         "bottom", index=1, code="H401")
    top = list(b)
    for i in range(start, n):
        off = offsets[0] if len(offsets) == 1 else offsets[i - start] if offsets else 0
        size = None if ref is None else ref[i]
        if size is not None and b[i] is not None and b[i] - off < size:
            where = (("offset", 0 if len(offsets) == 1 else i - start) if offsets else ("bottom", 1))
            raise ShapeError(f"crop of axis {i} out of bounds: offset {off} + size {size} (from the reference "
                             f"{fmt(ref)}) exceeds the input's {b[i]} ({fmt(b)})", where[0], index=where[1],
                             code="H403")
        top[i] = size
    return [tuple(top)]


register(LayerSpec(
    "Crop", "crop_param", (2, 2), (1, 1),
    shape=_crop_shape, macs=lambda ctx, tops: 0,
    torch="vision:crop",
    category="vision",
    doc="Crops bottom 0 to bottom 1's size on every axis from `axis` (default 2) on, starting at "
        "`offset` (once for all, or once per cropped axis). Copies only."))
