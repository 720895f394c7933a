"""Layer types of common deployment forks (not BVLC Caffe).

ReLU6 and ShuffleChannel (MobileNet/ShuffleNet ports), Upsample (SegNet and
YOLO ports), Interp (DeepLab/PSPNet).  Their parameter messages exist only in
those forks' caffe.proto; under BVLC's schema the types are reported as
unknown to Caffe (G307), as BVLC Caffe would refuse them.
"""

from __future__ import annotations

from .registry import register
from .shapes import Shape, ShapeError, add, mul
from .spec import LayerContext, LayerSpec, same_as_bottom


def _upsample_shape(ctx: LayerContext) -> list[Shape]:
    """SegNet's Upsample: explicit upsample_h/w, else H*scale (minus 1 with pad_out)."""
    b = ctx.bottoms[0]
    if b is None:
        return [None]
    if len(b) != 4:
        raise ShapeError(f"Upsample needs a 4-D input, got {len(b)} axes", "bottom")
    p = ctx.p
    if p.has("upsample_h") and p.has("upsample_w"):
        return [(b[0], b[1], p.get("upsample_h"), p.get("upsample_w"))]
    scale = p.get("scale", 2) or 2
    sh = p.get("scale_h", scale) if p.has("scale_h") else scale
    sw = p.get("scale_w", scale) if p.has("scale_w") else scale
    h = mul(b[2], sh)
    w = mul(b[3], sw)
    if p.get("pad_out_h", False):
        h = add(h, -1)
    if p.get("pad_out_w", False):
        w = add(w, -1)
    return [(b[0], b[1], h, w)]


def _interp_size(size, p, ctx: LayerContext, axis: int):
    if size is None:
        return None
    eff = size + (p.get("pad_beg", 0) or 0) + (p.get("pad_end", 0) or 0)
    shrink, zoom = p.get("shrink_factor", 1) or 1, p.get("zoom_factor", 1) or 1
    if p.has("shrink_factor") or p.has("zoom_factor"):
        out = (eff - 1) // shrink + 1 if p.has("shrink_factor") else eff
        return out + (out - 1) * (zoom - 1) if p.has("zoom_factor") else out
    name = "height" if axis == 2 else "width"
    if p.has(name):
        return p.get(name)
    if len(ctx.bottoms) == 2 and ctx.bottoms[1] is not None:
        return ctx.bottoms[1][axis]
    raise ShapeError("Interp needs height/width, zoom_factor, shrink_factor or a second bottom", None,
                     code="G308")


def _interp_shape(ctx: LayerContext) -> list[Shape]:
    b = ctx.bottoms[0]
    if b is None:
        return [None]
    if len(b) != 4:
        raise ShapeError(f"Interp needs a 4-D input, got {len(b)} axes", "bottom")
    return [(b[0], b[1], _interp_size(b[2], ctx.p, ctx, 2), _interp_size(b[3], ctx.p, ctx, 3))]


_FORK = "a deployment fork"
register(LayerSpec("ReLU6", "relu6_param", (1, 1), (1, 1), in_place=True, category="neuron", fork=_FORK,
                   doc="min(max(x, 0), 6), as MobileNet exports use.", torch="deploy_forks:relu6"))
register(LayerSpec("ShuffleChannel", "shuffle_channel_param", (1, 1), (1, 1), shape=same_as_bottom,
                   category="common", fork=_FORK,
                   doc="ShuffleNet's channel shuffle: regroups channels, shape unchanged.",
                   torch="deploy_forks:shuffle_channel"))
register(LayerSpec("Upsample", "upsample_param", (1, 2), (1, 1), shape=_upsample_shape, category="vision",
                   fork=_FORK, doc="Nearest/unpooling upsampling by `scale` (SegNet uses the pooling mask).",
                   torch="deploy_forks:upsample"))
register(LayerSpec("Interp", "interp_param", (1, 2), (1, 1), shape=_interp_shape, category="vision", fork=_FORK,
                   doc="Bilinear resize (DeepLab/PSPNet) to a size, a zoom or shrink factor, or a reference blob.",
                   torch="deploy_forks:interp"))
