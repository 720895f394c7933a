"""General-purpose layers: InnerProduct, Embed, Concat, Slice, Split, Eltwise,
Flatten, Reshape, Softmax, ArgMax, Tile, Reduction, BatchNorm, Scale, Bias,
MVN, Filter, BatchReindex, Silence, Parameter.

Each shape function follows the layer's LayerSetUp/Reshape in BVLC Caffe
master, including the CHECKs that make Caffe abort (raised as ShapeError).
Unknown dims stay unknown: a check that needs one is skipped.

MACs: InnerProduct counts M*K*N; Scale one multiply per output element;
Eltwise SUM with coeff one per element and bottom, PROD one per element per
bottom after the first.  Layers that only move or index data (Concat,
Slice, Split, Flatten, Reshape, Embed, Tile, Filter, BatchReindex, ArgMax,
Silence, Parameter), Bias and Eltwise MAX/plain SUM count 0.  Normalisations
and reductions (Softmax, BatchNorm, MVN, Reduction) report None: their cost
is not multiply-accumulates.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from functools import wraps

from .registry import register
from .shapes import Dim, Shape, ShapeError, canonical_axis, count, fmt, legacy_dim, mul
from .spec import LayerContext, LayerSpec

# ---------------------------------------------------------------- helpers


class Unknown(Exception):
    """An input the answer depends on is unknown: every top is unknown too."""


def need(ctx: LayerContext, index: int = 0) -> tuple[Dim, ...]:
    """Bottom ``index``'s shape, or raise Unknown when it is missing or of unknown rank."""
    if index >= len(ctx.bottoms) or ctx.bottoms[index] is None:
        raise Unknown
    return ctx.bottoms[index]  # type: ignore[return-value]


def shape_fn(fn: Callable[..., list[Shape]]) -> Callable[..., list[Shape]]:
    """Wrap a shape function ``fn(ctx, ...)``: an Unknown input makes every top unknown."""

    @wraps(fn)
    def wrapper(ctx: LayerContext, *args) -> list[Shape]:
        try:
            return fn(ctx, *args)
        except Unknown:
            return [None] * ctx.n_tops

    return wrapper


def c_div(a: int, b: int) -> int:
    """C/C++ integer division (truncates toward zero, unlike Python's //)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def dims_equal(a: Dim, b: Dim) -> bool:
    """False only when both dims are known and differ."""
    return a is None or b is None or a == b


def merge(a: Dim, b: Dim) -> Dim:
    return a if a is not None else b


def _macs_zero(ctx: LayerContext, tops: list[Shape]) -> int:
    return 0


# ---------------------------------------------------------------- InnerProduct


def _ip_axis(ctx: LayerContext, b: tuple[Dim, ...]) -> int:
    return canonical_axis(ctx.p.get("axis"), len(b))


def _ip_num_output(ctx: LayerContext) -> int:
    n = ctx.p.get("num_output")
    if not n:
        raise ShapeError("InnerProduct needs num_output (the number of outputs), a positive number",
                         "num_output" if ctx.p.has("num_output") else None, code="G308")
    return n


@shape_fn
def _ip_shape(ctx: LayerContext) -> list[Shape]:
    n = _ip_num_output(ctx)
    b = need(ctx)
    axis = _ip_axis(ctx, b)
    return [tuple(b[:axis]) + (n,)]


def _ip_weights(ctx: LayerContext) -> list[Shape]:
    n = _ip_num_output(ctx)
    if ctx.bottoms and ctx.bottoms[0] is not None:
        b = ctx.bottoms[0]
        k = count(b, _ip_axis(ctx, b))
    else:
        k = None
    weight = (k, n) if ctx.p.get("transpose") else (n, k)
    return [weight, (n,)] if ctx.p.get("bias_term") else [weight]


def _ip_macs(ctx: LayerContext, tops: list[Shape]) -> int | None:
    """M x K x N: every output is a K-long dot product."""
    try:
        b = need(ctx)
        axis = _ip_axis(ctx, b)
    except (Unknown, ShapeError):
        return None
    m, k = count(b, 0, axis), count(b, axis)
    n = ctx.p.get("num_output")
    return None if m is None or k is None else m * k * n


register(LayerSpec(
    "InnerProduct", "inner_product_param", (1, 1), (1, 1),
    shape=_ip_shape, weights=_ip_weights, macs=_ip_macs,
    v1_name="INNER_PRODUCT", v0_names=("innerproduct",),
    torch="common:inner_product",
    doc="Fully connected: flattens the axes from `axis` on into K inputs and computes num_output "
        "dot products; weight [num_output, K] ([K, num_output] with transpose). MACs M*K*N."))

# ---------------------------------------------------------------- Embed


def _embed_sizes(ctx: LayerContext) -> tuple[int, int]:
    n = ctx.p.get("num_output")
    if not n:
        raise ShapeError("Embed needs num_output (the size of each embedding vector), a positive number",
                         "num_output" if ctx.p.has("num_output") else None, code="G308")
    k = ctx.p.get("input_dim")
    if not k:
        raise ShapeError("Embed needs input_dim (the vocabulary size), a positive number",
                         "input_dim" if ctx.p.has("input_dim") else None, code="G308")
    return k, n


@shape_fn
def _embed_shape(ctx: LayerContext) -> list[Shape]:
    _, n = _embed_sizes(ctx)
    return [tuple(need(ctx)) + (n,)]


def _embed_weights(ctx: LayerContext) -> list[Shape]:
    k, n = _embed_sizes(ctx)
    return [(k, n), (n,)] if ctx.p.get("bias_term") else [(k, n)]


register(LayerSpec(
    "Embed", "embed_param", (1, 1), (1, 1),
    shape=_embed_shape, weights=_embed_weights, macs=_macs_zero,
    torch="common:embed",
    doc="Looks up a learned vector for each integer index: top = bottom shape + [num_output]; "
        "weight [input_dim, num_output]. A table lookup, so 0 MACs."))

# ---------------------------------------------------------------- Concat


def legacy_axis(ctx: LayerContext, legacy: str, num_axes: int) -> tuple[int, str]:
    """Concat/Slice: ``axis`` or the legacy uint ``concat_dim``/``slice_dim`` (never negative)."""
    p = ctx.p
    if p.has(legacy):
        value = p.get(legacy)
        if value >= num_axes:
            raise ShapeError(f"{legacy} {value} is out of range for a blob with {num_axes} axes "
                             f"(valid: 0 to {num_axes - 1})", legacy, code="H406")
        return value, legacy
    return canonical_axis(p.get("axis"), num_axes), "axis"


def _check_axis_or_legacy(ctx: LayerContext, legacy: str) -> None:
    if ctx.p.has("axis") and ctx.p.has(legacy):
        raise ShapeError(f"give either axis or the older {legacy}, not both", legacy)


@shape_fn
def _concat_shape(ctx: LayerContext) -> list[Shape]:
    _check_axis_or_legacy(ctx, "concat_dim")
    b0 = need(ctx)
    axis, _ = legacy_axis(ctx, "concat_dim", len(b0))
    top = list(b0)
    for i, b in enumerate(ctx.bottoms[1:], 1):
        if b is None:
            top[axis] = None
            continue
        if len(b) != len(b0):
            raise ShapeError(f"all Concat inputs must have the same number of axes: bottom 0 is {fmt(b0)}, "
                             f"bottom {i} is {fmt(b)}", "bottom", index=i, code="H401")
        for j in range(len(b0)):
            if j == axis:
                continue
            if not dims_equal(top[j], b[j]):
                raise ShapeError(f"Concat inputs must match on every axis but the concatenation axis {axis}: "
                                 f"bottom 0 is {fmt(b0)}, bottom {i} is {fmt(b)} (axis {j}: {top[j]} vs {b[j]})",
                                 "bottom", index=i, code="H401")
            top[j] = merge(top[j], b[j])
        top[axis] = None if top[axis] is None or b[axis] is None else top[axis] + b[axis]
    return [tuple(top)]


register(LayerSpec(
    "Concat", "concat_param", (1, None), (1, 1),
    shape=_concat_shape, macs=_macs_zero,
    v1_name="CONCAT", v0_names=("concat",),
    torch="common:concat",
    doc="Joins its inputs along `axis` (default 1, channels); all other axes must match. Copies only."))

# ---------------------------------------------------------------- Slice


@shape_fn
def _slice_shape(ctx: LayerContext) -> list[Shape]:
    _check_axis_or_legacy(ctx, "slice_dim")
    points = ctx.p.all("slice_point")
    n_tops = ctx.n_tops
    if points and len(points) != n_tops - 1:
        raise ShapeError(f"{len(points)} slice_point values make {len(points) + 1} pieces, "
                         f"but the layer has {n_tops} tops", "slice_point", code="H405")
    prev = 0
    for i, sp in enumerate(points):
        if sp <= prev:
            raise ShapeError(f"slice_point values must be increasing and positive: slice_point {sp} "
                             f"after {prev}", "slice_point", index=i, code="H405")
        prev = sp
    b = need(ctx)
    axis, _ = legacy_axis(ctx, "slice_dim", len(b))
    dim = b[axis]
    if points:
        if dim is not None and n_tops > dim:
            raise ShapeError(f"cannot cut axis {axis} of size {dim} into {n_tops} pieces",
                             "slice_point", index=len(points) - 1, code="H405")
        if dim is not None and points[-1] > dim:
            raise ShapeError(f"slice_point {points[-1]} is beyond the end of axis {axis} (size {dim}) "
                             f"of the input {fmt(b)}", "slice_point", index=len(points) - 1, code="H405")
        sizes: list[Dim] = [points[0]] + [points[i] - points[i - 1] for i in range(1, len(points))]
        sizes.append(None if dim is None else dim - points[-1])
    else:
        if dim is not None and dim % n_tops:
            raise ShapeError(f"axis {axis} of the input {fmt(b)} has size {dim}, which does not split evenly "
                             f"into {n_tops} tops (give slice_point for unequal pieces)", "top", code="H405")
        sizes = [None if dim is None else dim // n_tops] * n_tops
    return [tuple(b[:axis]) + (s,) + tuple(b[axis + 1:]) for s in sizes]


register(LayerSpec(
    "Slice", "slice_param", (1, 1), (1, None),
    shape=_slice_shape, macs=_macs_zero,
    v1_name="SLICE",
    torch="common:slice",
    doc="Cuts its input along `axis` at each slice_point (or into equal pieces, one per top). Copies only."))

# ---------------------------------------------------------------- Split


@shape_fn
def _split_shape(ctx: LayerContext) -> list[Shape]:
    return [need(ctx)] * ctx.n_tops


register(LayerSpec(
    "Split", None, (1, 1), (1, None),
    shape=_split_shape, macs=_macs_zero,
    v1_name="SPLIT", v0_names=("split",),
    torch="common:split",
    doc="Hands the same input to several consumers (Caffe inserts these itself); every top "
        "has the input's shape. No computation."))

# ---------------------------------------------------------------- Eltwise


def _same_shapes(ctx: LayerContext, what: str) -> Shape:
    """Every bottom must have bottom 0's shape; returns the merged shape (H401 otherwise)."""
    b0 = need(ctx)
    top = list(b0)
    for i, b in enumerate(ctx.bottoms[1:], 1):
        if b is None:
            continue
        if len(b) != len(b0) or not all(dims_equal(x, y) for x, y in zip(top, b)):
            raise ShapeError(f"all {what} inputs must have the same shape: bottom 0 is {fmt(b0)}, "
                             f"bottom {i} is {fmt(b)}", "bottom", index=i, code="H401")
        top = [merge(x, y) for x, y in zip(top, b)]
    return tuple(top)


def _eltwise_checks(ctx: LayerContext) -> None:
    coeffs = ctx.p.all("coeff")
    if coeffs and len(coeffs) != len(ctx.bottoms):
        raise ShapeError(f"Eltwise takes one coeff per bottom: {len(coeffs)} coeff for {len(ctx.bottoms)} bottoms",
                         "coeff", code="H407")
    if coeffs and ctx.p.get("operation") == "PROD":
        raise ShapeError("coeff only applies to operation SUM, not PROD", "coeff", code="H407")


@shape_fn
def _eltwise_shape(ctx: LayerContext) -> list[Shape]:
    _eltwise_checks(ctx)
    return [_same_shapes(ctx, "Eltwise")]


def _eltwise_macs(ctx: LayerContext, tops: list[Shape]) -> int | None:
    """PROD: one multiply per element for every bottom after the first; SUM with
    coeff: one multiply-add per element and bottom; MAX and plain SUM: 0."""
    n = count(tops[0]) if tops else None
    op = ctx.p.get("operation")
    if op == "MAX" or (op == "SUM" and not ctx.p.all("coeff")):
        return 0
    if n is None:
        return None
    return n * (len(ctx.bottoms) - 1) if op == "PROD" else n * len(ctx.bottoms)


register(LayerSpec(
    "Eltwise", "eltwise_param", (2, None), (1, 1),
    shape=_eltwise_shape, macs=_eltwise_macs,
    v1_name="ELTWISE",
    torch="common:eltwise",
    doc="Element-wise SUM (optionally weighted by coeff), PROD or MAX of inputs that all have the same "
        "shape."))

# ---------------------------------------------------------------- Flatten


@shape_fn
def _flatten_shape(ctx: LayerContext) -> list[Shape]:
    b = need(ctx)
    n = len(b)
    start = canonical_axis(ctx.p.get("axis"), n)
    end = canonical_axis(ctx.p.get("end_axis"), n, "end_axis")
    if end + 1 < start:
        raise ShapeError(f"end_axis {ctx.p.get('end_axis')} (axis {end}) comes before axis "
                         f"{ctx.p.get('axis')} (axis {start})", "end_axis", code="H406")
    return [tuple(b[:start]) + (count(b, start, end + 1),) + tuple(b[end + 1:])]


register(LayerSpec(
    "Flatten", "flatten_param", (1, 1), (1, 1),
    shape=_flatten_shape, macs=_macs_zero,
    v1_name="FLATTEN", v0_names=("flatten",),
    torch="common:flatten",
    doc="Merges the axes from `axis` to `end_axis` (default 1 to the last) into one. No computation."))

# ---------------------------------------------------------------- Reshape


@shape_fn
def _reshape_shape(ctx: LayerContext) -> list[Shape]:
    p = ctx.p
    dims = list(p.message("shape").all("dim"))
    inferred = -1
    for i, d in enumerate(dims):
        if d == -1:
            if inferred >= 0:
                raise ShapeError("shape may contain at most one -1 (the dimension to infer); "
                                 f"dims {inferred} and {i} are both -1", "shape", index=i, code="H404")
            inferred = i
        elif d < -1:
            raise ShapeError(f"shape dim {d} is invalid: use a positive size, 0 to copy the input's "
                             "dimension, or -1 to infer it", "shape", index=i, code="H407")
    b = need(ctx)
    nb = len(b)
    axis_in = p.get("axis")
    start = axis_in if axis_in >= 0 else nb + axis_in + 1
    if not 0 <= start <= nb:
        raise ShapeError(f"axis {axis_in} is out of range for a blob with {nb} axes "
                         f"(valid: {-nb - 1} to {nb})", "axis", code="H406")
    num_axes = p.get("num_axes")
    if num_axes < -1:
        raise ShapeError(f"num_axes must be -1 (all remaining axes) or at least 0, not {num_axes}",
                         "num_axes", code="H407")
    end = nb if num_axes == -1 else start + num_axes
    if end > nb:
        raise ShapeError(f"axis {start} + num_axes {num_axes} goes past the {nb} axes of the input {fmt(b)}",
                         "num_axes", code="H406")
    top: list[Dim] = list(b[:start]) + list(dims) + list(b[end:])
    for i, d in enumerate(dims):
        if d == 0:
            if start + i >= nb:
                raise ShapeError(f"shape dim {i} is 0 (copy), but the input {fmt(b)} has no axis "
                                 f"{start + i} to copy", "shape", index=i, code="H407")
            top[start + i] = b[start + i]
    total = count(b)
    if inferred >= 0:
        # Caffe: count(bottom) / (explicit dims x kept and copied input dims).  The
        # input dims that appear on both sides cancel, so an unknown batch size
        # copied with 0 (or kept before `axis`) does not hide the inferred dim.
        constant = 1
        for d in dims:
            if d > 0:
                constant *= d
        num = Counter(range(nb))
        den = Counter(range(start)) + Counter(range(end, nb)) + Counter(start + i for i, d in enumerate(dims)
                                                                         if d == 0)
        common = num & den
        num_rest = mul(*(b[j] for j in (num - common).elements()))
        den_rest = mul(constant, *(b[j] for j in (den - common).elements()))
        if num_rest is None or den_rest is None:
            top[start + inferred] = None
        elif den_rest == 0 or num_rest % den_rest:
            raise ShapeError(f"the input {fmt(b)} has {total if total is not None else '?'} elements, which "
                             f"the other dims of the new shape do not divide: -1 cannot be inferred",
                             "shape", index=inferred, code="H404")
        else:
            top[start + inferred] = num_rest // den_rest
    new_total = count(tuple(top))
    if total is not None and new_total is not None and new_total != total:
        raise ShapeError(f"the new shape {fmt(tuple(top))} has {new_total} elements but the input {fmt(b)} "
                         f"has {total}", "shape", code="H404")
    return [tuple(top)]


register(LayerSpec(
    "Reshape", "reshape_param", (1, 1), (1, 1),
    shape=_reshape_shape, macs=_macs_zero,
    torch="common:reshape",
    doc="Changes the shape without touching the data: in `shape`, 0 copies the input's dim and -1 "
        "infers one; axis/num_axes pick the span of input axes replaced."))

# ---------------------------------------------------------------- Softmax


@shape_fn
def _softmax_shape(ctx: LayerContext) -> list[Shape]:
    b = need(ctx)
    canonical_axis(ctx.p.get("axis"), len(b))
    return [b]


register(LayerSpec(
    "Softmax", "softmax_param", (1, 1), (1, 1),
    shape=_softmax_shape, in_place=True,
    v1_name="SOFTMAX", v0_names=("softmax",),
    torch="common:softmax",
    doc="Normalises exp(x) to sum to 1 along `axis` (default 1). Same shape out; MACs not counted."))

# ---------------------------------------------------------------- ArgMax


@shape_fn
def _argmax_shape(ctx: LayerContext) -> list[Shape]:
    p = ctx.p
    top_k = p.get("top_k")
    if top_k < 1:
        raise ShapeError(f"top_k must be at least 1, not {top_k}", "top_k", code="H407")
    b = need(ctx)
    if not b:
        raise ShapeError("ArgMax needs an input with at least 1 axis; got a scalar", "bottom", index=0,
                         code="H406")
    if p.has("axis"):
        axis = canonical_axis(p.get("axis"), len(b))
        if b[axis] is not None and top_k > b[axis]:
            raise ShapeError(f"top_k {top_k} is larger than axis {axis} of the input {fmt(b)} "
                             f"(size {b[axis]})", "top_k", code="H407")
        return [tuple(b[:axis]) + (top_k,) + tuple(b[axis + 1:])]
    per_item = count(b, 1)
    if per_item is not None and top_k > per_item:
        raise ShapeError(f"top_k {top_k} is larger than the {per_item} values per item of the input {fmt(b)}",
                         "top_k", code="H407")
    shape: list[Dim] = [1] * max(len(b), 3)
    shape[0] = b[0]  # Blob::shape(0) aborts for a 0-axis blob
    shape[2] = top_k
    if p.get("out_max_val"):
        shape[1] = 2
    return [tuple(shape)]


register(LayerSpec(
    "ArgMax", "argmax_param", (1, 1), (1, 1),
    shape=_argmax_shape, macs=_macs_zero,
    v1_name="ARGMAX",
    torch="common:argmax",
    doc="Indices (and with out_max_val the values) of the top_k largest entries: along `axis` if set, "
        "else over each item, giving [N, 1 or 2, top_k, 1...]."))

# ---------------------------------------------------------------- Tile


@shape_fn
def _tile_shape(ctx: LayerContext) -> list[Shape]:
    p = ctx.p
    if not p.has("tiles"):
        raise ShapeError("Tile needs tiles (how many copies to make)", None, code="G308")
    tiles = p.get("tiles")
    if tiles <= 0:
        raise ShapeError(f"tiles must be positive, not {tiles}", "tiles", code="H407")
    b = need(ctx)
    axis = canonical_axis(p.get("axis"), len(b))
    return [tuple(b[:axis]) + (mul(b[axis], tiles),) + tuple(b[axis + 1:])]


register(LayerSpec(
    "Tile", "tile_param", (1, 1), (1, 1),
    shape=_tile_shape, macs=_macs_zero,
    torch="common:tile",
    doc="Repeats the input `tiles` times along `axis`. Copies only."))

# ---------------------------------------------------------------- Reduction


@shape_fn
def _reduction_shape(ctx: LayerContext) -> list[Shape]:
    b = need(ctx)
    axis = canonical_axis(ctx.p.get("axis"), len(b))
    return [tuple(b[:axis])]


register(LayerSpec(
    "Reduction", "reduction_param", (1, 1), (1, 1),
    shape=_reduction_shape,
    torch="common:reduction",
    doc="SUM, ASUM, SUMSQ or MEAN over all axes from `axis` (default 0) on; the top keeps the "
        "axes before it (a scalar for axis 0)."))

# ---------------------------------------------------------------- BatchNorm


def _bn_channels(ctx: LayerContext) -> Dim:
    b = ctx.bottoms[0] if ctx.bottoms else None
    if b is None:
        return None
    if len(b) < 2:
        raise ShapeError(f"BatchNorm needs an input with at least 2 axes (N, C, ...); got {fmt(b)}",
                         "bottom", index=0, code="H406")
    return b[1]


def _bn_check_params(ctx: LayerContext) -> None:
    for i, spec in enumerate(ctx.layer.messages("param")[:3]):
        lr = spec.get("lr_mult")
        if lr != 0:
            raise ShapeError(f"BatchNorm's blobs are statistics, not learned: param {i} must have "
                             f"lr_mult: 0 (got {lr:g}; lr_mult is 1 when not written)", "param",
                             index=i, code="H407")


@shape_fn
def _bn_shape(ctx: LayerContext) -> list[Shape]:
    _bn_check_params(ctx)
    _bn_channels(ctx)
    return [need(ctx)]


def _bn_weights(ctx: LayerContext) -> list[Shape]:
    c = _bn_channels(ctx)
    return [(c,), (c,), (1,)]


register(LayerSpec(
    "BatchNorm", "batch_norm_param", (1, 1), (1, 1),
    shape=_bn_shape, weights=_bn_weights, in_place=True,
    torch="common:batch_norm",
    doc="Normalises each channel (axis 1) by its batch mean/variance, or the stored ones at TEST; "
        "blobs are mean [C], variance [C] and the scale factor [1], with lr_mult 0. Often run in "
        "place; MACs not counted."))

# ---------------------------------------------------------------- Scale and Bias


def _span(ctx: LayerContext, b: tuple[Dim, ...], what: str) -> tuple[int, int]:
    """Scale/Bias with one bottom: (axis, num_axes) of the learned blob within bottom 0."""
    axis = canonical_axis(ctx.p.get("axis"), len(b))
    num_axes = ctx.p.get("num_axes")
    if num_axes < -1:
        raise ShapeError(f"num_axes must be -1 (to the last axis) or at least 0, not {num_axes}",
                         "num_axes", code="H407")
    if num_axes >= 0 and axis + num_axes > len(b):
        raise ShapeError(f"the {what} blob would span axes {axis} to {axis + num_axes - 1}, past the "
                         f"{len(b)} axes of the input {fmt(b)}", "num_axes", code="H406")
    return axis, (len(b) - axis if num_axes == -1 else num_axes)


def _check_second(ctx: LayerContext, b: tuple[Dim, ...], what: str) -> None:
    """Scale/Bias with two bottoms: bottom 1 must match bottom 0 from `axis` on."""
    other = ctx.bottoms[1]
    if other is None:
        return
    axis = 0 if len(other) == 0 else canonical_axis(ctx.p.get("axis"), len(b))
    if axis + len(other) > len(b):
        raise ShapeError(f"the {what} input {fmt(other)} applied from axis {axis} goes past the "
                         f"{len(b)} axes of bottom 0 {fmt(b)}", "bottom", index=1, code="H401")
    for i, d in enumerate(other):
        if not dims_equal(b[axis + i], d):
            raise ShapeError(f"the {what} input {fmt(other)} must match bottom 0 {fmt(b)} from axis {axis} "
                             f"on (axis {axis + i}: {b[axis + i]} vs {d})", "bottom", index=1, code="H401")


@shape_fn
def _scale_shape(ctx: LayerContext) -> list[Shape]:
    b = need(ctx)
    if len(ctx.bottoms) > 1:
        _check_second(ctx, b, ctx.type.lower())
    else:
        _span(ctx, b, ctx.type.lower())
    if ctx.type == "Scale" and ctx.p.get("bias_term"):
        _bias_of_scale(ctx, b)
    return [b]


def _bias_of_scale(ctx: LayerContext, b: tuple[Dim, ...]) -> Shape:
    """Scale's bias_term: a Bias layer on bottom 0 with Scale's axis and, with two
    bottoms, num_axes = bottom 1's number of axes."""
    axis = canonical_axis(ctx.p.get("axis"), len(b))
    if len(ctx.bottoms) > 1:
        if ctx.bottoms[1] is None:
            return None
        n = len(ctx.bottoms[1])
        if axis + n > len(b):
            raise ShapeError(f"the bias would span axes {axis} to {axis + n - 1}, past the {len(b)} axes "
                             f"of the input {fmt(b)}", "bottom", index=1, code="H401")
        return tuple(b[axis:axis + n])
    a, n = _span(ctx, b, "bias")
    return tuple(b[a:a + n])


def _scale_weights(ctx: LayerContext) -> list[Shape]:
    two = len(ctx.bottoms) > 1
    b = ctx.bottoms[0] if ctx.bottoms else None
    bias = ctx.type == "Bias" or ctx.p.get("bias_term")
    if b is None:
        out: list[Shape] = [] if two else [None]
        return out + ([None] if ctx.type == "Scale" and bias else [])
    if ctx.type == "Bias":
        if two:
            return []
        a, n = _span(ctx, b, "bias")
        return [tuple(b[a:a + n])]
    out = []
    if not two:
        a, n = _span(ctx, b, "scale")
        out.append(tuple(b[a:a + n]))
    if bias:
        out.append(_bias_of_scale(ctx, b))
    return out


def _scale_macs(ctx: LayerContext, tops: list[Shape]) -> int | None:
    """One multiply per output element (the bias, if any, only adds)."""
    return count(tops[0]) if tops else None


register(LayerSpec(
    "Scale", "scale_param", (1, 2), (1, 1),
    shape=_scale_shape, weights=_scale_weights, macs=_scale_macs, in_place=True,
    torch="common:scale",
    doc="Multiplies by a learned blob (one bottom) or by bottom 1, broadcast over bottom 0 from `axis` "
        "(default 1) for num_axes axes; bias_term adds a learned bias of the same shape. MACs: one per "
        "element."))

register(LayerSpec(
    "Bias", "bias_param", (1, 2), (1, 1),
    shape=_scale_shape, weights=_scale_weights, macs=_macs_zero, in_place=True,
    torch="common:bias",
    doc="Adds a learned blob (one bottom) or bottom 1, broadcast over bottom 0 from `axis` (default 1) "
        "for num_axes axes. Additions only: 0 MACs."))

# ---------------------------------------------------------------- MVN


@shape_fn
def _mvn_shape(ctx: LayerContext) -> list[Shape]:
    b = need(ctx)
    if len(b) > 4:
        raise ShapeError(f"MVN works on blobs of at most 4 axes (num, channels, height, width); got {fmt(b)}",
                         "bottom", index=0, code="H406")
    return [tuple(legacy_dim(b, i) for i in range(4))]


register(LayerSpec(
    "MVN", "mvn_param", (1, 1), (1, 1),
    shape=_mvn_shape,
    v1_name="MVN",
    torch="common:mvn",
    doc="Subtracts the mean (and divides by the standard deviation) per channel, or per item with "
        "across_channels. The top is always 4-D: (N, C, H, W) with missing axes as 1. MACs not counted."))

# ---------------------------------------------------------------- Filter


@shape_fn
def _filter_shape(ctx: LayerContext) -> list[Shape]:
    nb = len(ctx.bottoms)
    if ctx.n_tops != nb - 1:
        raise ShapeError(f"Filter needs one top per filtered bottom: {nb} bottoms (the last is the "
                         f"selector) give {nb - 1} tops, not {ctx.n_tops}", "top", code="H407")
    sel = ctx.bottoms[-1]
    if sel is not None:
        for i, d in enumerate(sel[1:], 1):
            if d is not None and d != 1:
                raise ShapeError(f"the selector (last bottom) {fmt(sel)} must have size 1 on every axis but "
                                 f"the first (axis {i} is {d})", "bottom", index=nb - 1, code="H401")
    tops: list[Shape] = []
    for i, b in enumerate(ctx.bottoms[:-1]):
        if b is not None and sel is not None and len(sel) and len(b) and not dims_equal(b[0], sel[0]):
            raise ShapeError(f"bottom {i} {fmt(b)} and the selector {fmt(sel)} must have the same first "
                             "dimension", "bottom", index=i, code="H401")
        tops.append(None if b is None else (None,) + tuple(b[1:]))
    return tops


register(LayerSpec(
    "Filter", None, (2, None), (1, None),
    shape=_filter_shape, macs=_macs_zero,
    torch="common:filter",
    doc="Keeps the items whose selector (the last bottom) is non-zero; the number kept is only known "
        "when running, so the first dim of each top is unknown."))

# ---------------------------------------------------------------- BatchReindex


@shape_fn
def _batch_reindex_shape(ctx: LayerContext) -> list[Shape]:
    idx = ctx.bottoms[1] if len(ctx.bottoms) > 1 else None
    if idx is not None and len(idx) != 1:
        raise ShapeError(f"the index input (bottom 1) must have exactly 1 axis; got {fmt(idx)}",
                         "bottom", index=1, code="H401")
    b = need(ctx)
    return [(None if idx is None else idx[0],) + tuple(b[1:])]


register(LayerSpec(
    "BatchReindex", None, (2, 2), (1, 1),
    shape=_batch_reindex_shape, macs=_macs_zero,
    torch="common:batch_reindex",
    doc="Picks items of bottom 0 by the indices in bottom 1 (1-D): top is [len(bottom 1)] + bottom 0's "
        "other dims."))

# ---------------------------------------------------------------- Silence


register(LayerSpec(
    "Silence", None, (1, None), (0, 0),
    shape=lambda ctx: [], macs=_macs_zero,
    v1_name="SILENCE",
    torch="common:silence",
    doc="Consumes blobs nobody else uses, so Caffe does not print them; no tops."))

# ---------------------------------------------------------------- Parameter


def _parameter_blob(ctx: LayerContext) -> tuple[int, ...]:
    dims = ctx.p.message("shape").all("dim")
    for i, d in enumerate(dims):
        if d < 0:
            raise ShapeError(f"shape dim {d} is negative", "shape", index=i, code="H407")
    return tuple(dims)


register(LayerSpec(
    "Parameter", "parameter_param", (0, 0), (1, 1),
    shape=lambda ctx: [_parameter_blob(ctx)],
    weights=lambda ctx: [_parameter_blob(ctx)],
    macs=_macs_zero,
    torch="common:parameter",
    doc="Exposes one learned blob of parameter_param.shape as its top."))
