"""Layer types that only old (V0) nets have.

V0's ``padding`` layer zero-pads the spatial axes; Caffe's upgrade folds it
into the following convolution or pooling layer, which gives the same shapes
as padding first.
"""

from __future__ import annotations

from .registry import register
from .shapes import Shape, add
from .spec import LayerContext, LayerSpec


def _padding_shape(ctx: LayerContext) -> list[Shape]:
    b = ctx.bottoms[0] if ctx.bottoms else None
    if b is None or len(b) != 4:
        return [None]
    pad = ctx.p.get("pad") or 0
    return [(b[0], b[1], add(b[2], 2 * pad), add(b[3], 2 * pad))]


register(LayerSpec("Padding", "padding", (1, 1), (1, 1), shape=_padding_shape, v0_names=("padding",),
                   category="vision", doc="V0 only: zero-pads height and width by `pad` on each side.",
                   torch="legacy:padding"))
