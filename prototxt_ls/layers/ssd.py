"""Layers of the SSD fork (weiliu89/caffe, branch ssd): Normalize, Permute,
PriorBox, DetectionOutput and MultiBoxLoss.

Their parameter blocks exist only in SSD's caffe.proto; with the BVLC schema
Caffe itself would not know these types.  Checks follow the fork's
LayerSetUp/Reshape, including its use of the legacy num/channels/height/
width accessors (which refuse blobs of more than 4 axes).
"""

from __future__ import annotations

import struct

from .registry import register
from .shapes import Shape, ShapeError, fmt, legacy_dim, mul
from .spec import LayerContext, LayerSpec, same_as_bottom


def _f32(v: float) -> float:
    """Round to a C float, as the fork stores its parameters."""
    return struct.unpack("f", struct.pack("f", v))[0]


def _legacy(ctx: LayerContext, i: int, index: int):
    s = ctx.bottoms[i] if i < len(ctx.bottoms) else None
    if s is not None and len(s) > 4:
        raise ShapeError(f"{ctx.type} reads bottom {i} with Caffe's legacy num/channels/height/width "
                         f"accessors, which refuse blobs with more than 4 axes (got {fmt(s)})",
                         "bottom", i, code="H401")
    return legacy_dim(s, index)


# ------------------------------------------------------------------ Normalize
def _normalize_check(ctx: LayerContext):
    b = ctx.bottoms[0]
    if b is not None and len(b) < 2:
        raise ShapeError(f"Normalize needs a bottom with at least 2 axes; got {fmt(b)}", "bottom", 0, code="H401")
    return _legacy(ctx, 0, 1)


def _normalize_shape(ctx: LayerContext) -> list[Shape]:
    _normalize_check(ctx)
    return same_as_bottom(ctx)


def _normalize_weights(ctx: LayerContext) -> list[Shape]:
    """The learned scale: one per channel, or a single one (a 0-axis blob) if channel_shared."""
    channels = _normalize_check(ctx)
    return [()] if ctx.p.get("channel_shared", True) else [(channels,)]


# ------------------------------------------------------------------ Permute
def _permute_shape(ctx: LayerContext) -> list[Shape]:
    b = ctx.bottoms[0]
    if b is None:
        return [None]
    orders: list[int] = []
    for i, o in enumerate(ctx.p.all("order")):
        if o >= len(b):
            raise ShapeError(f"order {o} is not an axis of the {len(b)}-axis bottom {fmt(b)}", "order", i,
                             code="H406")
        if o in orders:
            raise ShapeError(f"order {o} is given twice", "order", i)
        orders.append(o)
    orders += [i for i in range(len(b)) if i not in orders]
    return [tuple(b[o] for o in orders)]


# ------------------------------------------------------------------ PriorBox
def num_priors(ctx: LayerContext) -> int:
    """PriorBoxLayer::LayerSetUp: boxes per feature-map cell.

    Aspect ratios start as [1]; each given ratio not already present (within
    1e-6) is added, and its inverse too if flip.  Each min_size gets one box
    per ratio, and each max_size one more box (size sqrt(min * max)).
    """
    p = ctx.p
    mins = [_f32(v) for v in p.all("min_size")]
    if not mins:
        raise ShapeError("PriorBox needs at least one min_size", None, code="G308")
    for i, m in enumerate(mins):
        if not m > 0:
            raise ShapeError(f"min_size must be positive (got {m:g})", "min_size", i)
    ratios = [1.0]
    flip = p.get("flip", True)
    for ar in (_f32(v) for v in p.all("aspect_ratio")):
        if any(abs(ar - r) < 1e-6 for r in ratios):
            continue
        ratios.append(ar)
        if flip:
            ratios.append(_f32(1.0 / ar) if ar else float("inf"))
    n = len(ratios) * len(mins)
    maxs = [_f32(v) for v in p.all("max_size")]
    if maxs:
        if len(maxs) != len(mins):
            raise ShapeError(f"give max_size as many times as min_size ({len(mins)}); got {len(maxs)}",
                             "max_size", min(len(maxs), len(mins)) if len(maxs) > len(mins) else None)
        for i, (lo, hi) in enumerate(zip(mins, maxs)):
            if not hi > lo:
                raise ShapeError(f"max_size ({hi:g}) must be greater than min_size ({lo:g})", "max_size", i)
        n += len(maxs)
    variance = p.all("variance")
    if len(variance) > 1 and len(variance) != 4:
        raise ShapeError(f"give variance once, or exactly 4 times (xmin, ymin, xmax, ymax); got {len(variance)}",
                         "variance", 4 if len(variance) > 4 else None)
    for i, v in enumerate(variance):
        if not v > 0:
            raise ShapeError(f"variance must be positive (got {v:g})", "variance", i)
    _pair_check(ctx, "img_size", "img_h", "img_w")
    _pair_check(ctx, "step", "step_h", "step_w")
    return n


def _pair_check(ctx: LayerContext, one: str, h: str, w: str) -> None:
    p = ctx.p
    if p.has(h) or p.has(w):
        if p.has(one):
            raise ShapeError(f"give either {one} or {h}/{w}, not both", one)
        for name in (h, w):
            if not (p.get(name) or 0) > 0:
                raise ShapeError(f"{name} must be larger than 0", name if p.has(name) else h if p.has(h) else w)
    elif p.has(one) and not (p.get(one) or 0) > 0:
        raise ShapeError(f"{one} must be larger than 0", one)


def _prior_box_shape(ctx: LayerContext) -> list[Shape]:
    n = num_priors(ctx)
    width, height = _legacy(ctx, 0, 3), _legacy(ctx, 0, 2)
    size = mul(width, height, n, 4)
    if size is not None and size <= 0:
        raise ShapeError(f"the feature map {fmt(ctx.bottoms[0])} has no cells: no prior boxes",
                         "bottom", 0, code="H401")
    # Axis 1 holds the boxes (channel 0) and their variances (channel 1).
    return [(1, 2, size)]


# ------------------------------------------------------------------ DetectionOutput
def _check_priors(ctx: LayerContext, num_classes: int, loc_classes: int) -> None:
    """Location and confidence predictions must cover every prior (priors: bottom 2, height / 4)."""
    if _legacy(ctx, 0, 0) is not None and _legacy(ctx, 1, 0) is not None and \
            _legacy(ctx, 0, 0) != _legacy(ctx, 1, 0):
        raise ShapeError(f"location {fmt(ctx.bottoms[0])} and confidence {fmt(ctx.bottoms[1])} predictions "
                         "must have the same batch size", "bottom", 1, code="H401")
    height = _legacy(ctx, 2, 2)
    if height is None:
        return
    priors = height // 4
    loc, conf = _legacy(ctx, 0, 1), _legacy(ctx, 1, 1)
    if loc is not None and priors * loc_classes * 4 != loc:
        raise ShapeError(f"the {priors} prior boxes need {priors * loc_classes * 4} location values per image "
                         f"({priors} x {loc_classes} x 4), but bottom 0 {fmt(ctx.bottoms[0])} has {loc}",
                         "bottom", 0, code="H401")
    if conf is not None and priors * num_classes != conf:
        raise ShapeError(f"the {priors} prior boxes need {priors * num_classes} confidences per image "
                         f"({priors} x {num_classes} classes), but bottom 1 {fmt(ctx.bottoms[1])} has {conf}",
                         "bottom", 1, code="H401")


def _detection_output_shape(ctx: LayerContext) -> list[Shape]:
    p = ctx.p
    if not p.has("num_classes"):
        raise ShapeError("DetectionOutput needs detection_output_param { num_classes }", None, code="G308")
    num_classes = p.get("num_classes")
    nms = p.message("nms_param")
    if not nms.get("nms_threshold", 0.3) >= 0:
        raise ShapeError("nms_threshold must not be negative", "nms_param")
    eta = nms.get("eta", 1.0)
    if not 0 < eta <= 1:
        raise ShapeError(f"nms_param eta must be in (0, 1] (got {eta:g})", "nms_param")
    _check_priors(ctx, num_classes, 1 if p.get("share_location", True) else num_classes)
    # (1, 1, kept detections, 7): each row is [image, label, score, xmin, ymin, xmax, ymax];
    # how many survive NMS is known only when it runs.
    return [(1, 1, None, 7)]


# ------------------------------------------------------------------ MultiBoxLoss
def _multibox_loss_shape(ctx: LayerContext) -> list[Shape]:
    p = ctx.p
    if not p.has("num_classes"):
        raise ShapeError("MultiBoxLoss needs multibox_loss_param { num_classes }", None, code="G308")
    num_classes = p.get("num_classes")
    if num_classes < 1:
        raise ShapeError("num_classes must be at least 1", "num_classes")
    share = p.get("share_location", True)
    mining = p.get("mining_type", "MAX_NEGATIVE")
    if p.has("do_neg_mining") and p.get("do_neg_mining") != (mining != "NONE"):
        raise ShapeError(f"do_neg_mining (deprecated) is {str(p.get('do_neg_mining')).lower()} but mining_type is "
                         f"{mining}: set mining_type only (NONE for no mining)", "do_neg_mining")
    if mining != "NONE" and not share:
        raise ShapeError("negative mining (mining_type other than NONE) needs share_location: true",
                         "share_location" if p.has("share_location") else "mining_type")
    if p.get("conf_loss_type", "SOFTMAX") == "SOFTMAX":
        bg = p.get("background_label_id", 0)
        if not 0 <= bg < num_classes:
            raise ShapeError(f"with the SOFTMAX confidence loss, background_label_id ({bg}) must be in "
                             f"[0, num_classes) = [0, {num_classes})", "background_label_id")
    a, b = ctx.bottoms[0], ctx.bottoms[1]
    if a is not None and b is not None and len(a) and len(b) and None not in (a[0], b[0]) and a[0] != b[0]:
        raise ShapeError(f"the data and label must have the same first dimension: bottom 0 is {fmt(a)}, "
                         f"bottom 1 is {fmt(b)}", "bottom", 1, code="H401")
    _legacy(ctx, 3, 2)  # the ground truth: 1 x 1 x boxes x 8
    _check_priors(ctx, num_classes, 1 if share else num_classes)
    return [()]


register(LayerSpec(
    "Normalize", "norm_param", (1, 1), (1, 1), shape=_normalize_shape, weights=_normalize_weights,
    category="ssd", fork="SSD (weiliu89/caffe)", torch="ssd:normalize",
    doc="SSD: L2-normalizes across channels (per position, or over the whole map if across_spatial), "
        "then multiplies by a learned scale."))

register(LayerSpec(
    "Permute", "permute_param", (1, 1), (1, 1), shape=_permute_shape, category="ssd", fork="SSD (weiliu89/caffe)",
    torch="ssd:permute",
    doc="SSD: reorders axes; top axis i is bottom axis order[i] (unlisted axes follow in their order)."))

register(LayerSpec(
    "PriorBox", "prior_box_param", (2, 2), (1, 1), shape=_prior_box_shape, category="ssd", fork="SSD (weiliu89/caffe)",
    torch="ssd:prior_box",
    doc="SSD: default boxes for every cell of a feature map (bottom 0) relative to the image (bottom 1): "
        "1 x 2 x H*W*priors*4."))

register(LayerSpec(
    "DetectionOutput", "detection_output_param", (3, 4), (1, 1), shape=_detection_output_shape,
    category="ssd", fork="SSD (weiliu89/caffe)", torch="ssd:detection_output",
    doc="SSD: decodes boxes, applies NMS and keeps keep_top_k: 1 x 1 x detections x 7 rows."))

register(LayerSpec(
    "MultiBoxLoss", "multibox_loss_param", (4, 4), (1, 1), shape=_multibox_loss_shape, is_loss=True,
    category="ssd", fork="SSD (weiliu89/caffe)", torch="ssd:multibox_loss",
    doc="SSD training loss: matches priors to ground truth, then localization + confidence loss."))
