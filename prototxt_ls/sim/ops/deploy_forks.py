"""Torch ops for deployment forks' layers (mirrors ``prototxt_ls.layers.deploy_forks``).

ReLU6 and ShuffleChannel (MobileNet/ShuffleNet ports), Upsample (SegNet's
max-unpooling with a mask bottom, or the nearest-neighbour upsampling of
one-bottom YOLO ports) and Interp (PSPNet/DeepLab bilinear resize).  Their
parameter messages are not in BVLC's schema, so every ``get`` names the
fork's default explicitly.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .base import CaffeOp, OpContext, Unsupported
from .neuron import Elementwise


# ---------------------------------------------------------------- ReLU6
def relu6(ctx: OpContext) -> CaffeOp:
    """ReLU6: min(max(x, 0), 6); like Clip, the gradient passes on [0, 6]."""
    return Elementwise(ctx, lambda op, x: torch.clamp(x, 0.0, 6.0))


# ---------------------------------------------------------------- ShuffleChannel
class ShuffleChannel(CaffeOp):
    """ShuffleChannelLayer: channels seen as a group x (C / group) matrix, transposed:
    output channel j * group + i is input channel i * (C / group) + j."""

    def __init__(self, ctx: OpContext, group: int) -> None:
        super().__init__(ctx)
        self.group = group

    def extra_repr(self) -> str:
        return f"group={self.group}"

    def forward(self, *bottoms: torch.Tensor) -> tuple[torch.Tensor, ...]:
        x = bottoms[0]
        n, c = x.shape[0], x.shape[1]
        if c % self.group:
            raise ValueError(f"ShuffleChannel: {c} channels do not split into {self.group} groups")
        rest = tuple(x.shape[2:])
        y = x.reshape(n, self.group, c // self.group, *rest).transpose(1, 2)
        return (y.reshape(x.shape),)


def shuffle_channel(ctx: OpContext) -> CaffeOp:
    """ShuffleChannelLayer (group default 1: the identity)."""
    group = int(ctx.p.get("group", 1))
    if group <= 0:
        raise Unsupported(f"ShuffleChannel group must be greater than 0 (got {group})")
    b = ctx.layer.bottoms[0] if ctx.layer.bottoms else None
    if b is not None and len(b) > 1 and b[1] is not None and b[1] % group:
        raise Unsupported(f"ShuffleChannel: {b[1]} channels do not split into {group} groups")
    return ShuffleChannel(ctx, group)


# ---------------------------------------------------------------- Upsample
class Upsample(CaffeOp):
    """Upsample to (out_h, out_w) computed like the shape function.

    Two bottoms (SegNet): max-unpooling, each value written at the flat
    position within its output plane given by the pooling mask (bottom 1),
    zeros elsewhere.  One bottom: nearest neighbour, output row y reading
    input row y // scale (YOLO ports)."""

    def __init__(self, ctx: OpContext, scale_hw: tuple[int, int], pad_out: tuple[bool, bool],
                 explicit: tuple[int, int] | None) -> None:
        super().__init__(ctx)
        self.scale_hw, self.pad_out, self.explicit = scale_hw, pad_out, explicit

    def extra_repr(self) -> str:
        return f"size={self.explicit}" if self.explicit else f"scale={self.scale_hw}, pad_out={self.pad_out}"

    def out_size(self, h: int, w: int) -> tuple[int, int]:
        if self.explicit:
            return self.explicit
        return h * self.scale_hw[0] - int(self.pad_out[0]), w * self.scale_hw[1] - int(self.pad_out[1])

    def forward(self, *bottoms: torch.Tensor) -> tuple[torch.Tensor, ...]:
        x = bottoms[0]
        h, w = x.shape[2], x.shape[3]
        oh, ow = self.out_size(h, w)
        if len(bottoms) > 1:
            return (self._unpool(x, bottoms[1], oh, ow),)
        if self.explicit:
            return (F.interpolate(x, size=(oh, ow), mode="nearest"),)
        rows = torch.clamp(torch.arange(oh, device=x.device) // self.scale_hw[0], max=h - 1)
        cols = torch.clamp(torch.arange(ow, device=x.device) // self.scale_hw[1], max=w - 1)
        return (x[:, :, rows][:, :, :, cols],)

    @staticmethod
    def _unpool(x: torch.Tensor, mask: torch.Tensor, oh: int, ow: int) -> torch.Tensor:
        """SegNet's UpsampleLayer::Forward_cpu (positions shared by two inputs, possible
        with overlapping pooling, keep one of them)."""
        n, c = x.shape[0], x.shape[1]
        idx = mask.detach().reshape(n, c, -1).to(torch.int64)
        if bool(((idx < 0) | (idx >= oh * ow)).any()):
            raise ValueError(f"Upsample: a mask index falls outside the {oh}x{ow} output: check that the scale "
                             "matches the pooling layer that made the mask")
        out = x.new_zeros(n, c, oh * ow)
        return out.scatter(2, idx, x.reshape(n, c, -1)).reshape(n, c, oh, ow)


def upsample(ctx: OpContext) -> CaffeOp:
    """SegNet's UpsampleLayer (scale default 2; scale_h/scale_w override it;
    upsample_h/upsample_w, both given, fix the output size)."""
    p = ctx.p
    scale = int(p.get("scale", 2) or 2)
    sh = int(p.get("scale_h", scale)) if p.has("scale_h") else scale
    sw = int(p.get("scale_w", scale)) if p.has("scale_w") else scale
    if sh <= 0 or sw <= 0:
        raise Unsupported(f"Upsample scale must be positive (got {sh}x{sw})")
    explicit = None
    if p.has("upsample_h") and p.has("upsample_w"):
        explicit = (int(p.get("upsample_h", 0)), int(p.get("upsample_w", 0)))
        if min(explicit) <= 1:
            raise Unsupported(f"Upsample upsample_h/upsample_w must be greater than 1 (got {explicit})")
    pad_out = (bool(p.get("pad_out_h", False)), bool(p.get("pad_out_w", False)))
    return Upsample(ctx, (sh, sw), pad_out, explicit)


# ---------------------------------------------------------------- Interp
class Interp(CaffeOp):
    """PSPNet's InterpLayer: crops -pad_beg / -pad_end off the input (padding must
    be <= 0), then resizes bilinearly with corners aligned (caffe_cpu_interp2:
    ratio (in - 1) / (out - 1)), which is torch's align_corners=True."""

    def __init__(self, ctx: OpContext, pad_beg: int, pad_end: int, shrink: int | None, zoom: int | None,
                 size: tuple[int | None, int | None]) -> None:
        super().__init__(ctx)
        self.pad_beg, self.pad_end, self.shrink, self.zoom, self.size = pad_beg, pad_end, shrink, zoom, size

    def extra_repr(self) -> str:
        return f"shrink={self.shrink}, zoom={self.zoom}, size={self.size}, pad=({self.pad_beg}, {self.pad_end})"

    def _out(self, eff: int, axis: int, ref: torch.Tensor | None) -> int:
        """InterpLayer::Reshape: factors first, then height/width, then the reference bottom."""
        if self.shrink is not None or self.zoom is not None:
            out = (eff - 1) // self.shrink + 1 if self.shrink is not None else eff
            return out + (out - 1) * (self.zoom - 1) if self.zoom is not None else out
        if self.size[axis - 2] is not None:
            return self.size[axis - 2]
        if ref is not None:
            return ref.shape[axis]
        raise ValueError("Interp needs height/width, zoom_factor, shrink_factor or a second bottom")

    def forward(self, *bottoms: torch.Tensor) -> tuple[torch.Tensor, ...]:
        x = bottoms[0]
        ref = bottoms[1] if len(bottoms) > 1 else None
        h, w = x.shape[2], x.shape[3]
        eff_h, eff_w = h + self.pad_beg + self.pad_end, w + self.pad_beg + self.pad_end
        if eff_h <= 0 or eff_w <= 0:
            raise ValueError(f"Interp: cropping {-self.pad_beg}/{-self.pad_end} leaves nothing of {h}x{w}")
        oh, ow = self._out(eff_h, 2, ref), self._out(eff_w, 3, ref)
        start = -self.pad_beg
        crop = x[:, :, start:start + eff_h, start:start + eff_w]
        if (oh, ow) == (eff_h, eff_w):
            return (crop.clone(),)
        return (F.interpolate(crop, size=(oh, ow), mode="bilinear", align_corners=True),)


def interp(ctx: OpContext) -> CaffeOp:
    """PSPNet's InterpLayer (factors default 1, pads default 0)."""
    p = ctx.p
    pad_beg, pad_end = int(p.get("pad_beg", 0) or 0), int(p.get("pad_end", 0) or 0)
    if pad_beg > 0 or pad_end > 0:
        raise Unsupported(f"Interp supports only cropping (pad_beg/pad_end <= 0), as PSPNet's layer checks; "
                          f"got {pad_beg}/{pad_end}")
    shrink = int(p.get("shrink_factor", 1) or 1) if p.has("shrink_factor") else None
    zoom = int(p.get("zoom_factor", 1) or 1) if p.has("zoom_factor") else None
    if (shrink is not None and shrink < 1) or (zoom is not None and zoom < 1):
        raise Unsupported("Interp shrink_factor and zoom_factor must be at least 1")
    size = (int(p.get("height", 0)) if p.has("height") else None,
            int(p.get("width", 0)) if p.has("width") else None)
    return Interp(ctx, pad_beg, pad_end, shrink, zoom, size)
