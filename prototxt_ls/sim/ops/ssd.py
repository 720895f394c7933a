"""Torch ops for the SSD fork's layers (mirrors ``prototxt_ls.layers.ssd``).

The fork's parameter messages are missing from BVLC's schema, so every
``get`` here names the fork's default (caffe.proto of weiliu89/caffe,
branch ssd) explicitly: under BVLC's schema the schema has none to offer.
Normalize, Permute and PriorBox follow the fork's Forward_cpu;
DetectionOutput (NMS, a data-dependent number of rows) and MultiBoxLoss
(prior matching and hard-negative mining) are not simulated.
"""

from __future__ import annotations

import math

import torch

from ...layers.shapes import legacy_dim
from ...layers.ssd import _f32
from .base import CaffeOp, OpContext, Unsupported


# ---------------------------------------------------------------- Normalize
class Normalize(CaffeOp):
    """NormalizeLayer: x / sqrt(sum x^2 + eps), the sum over C x H x W per example
    (across_spatial) or over C per position, then times the learned scale
    (one value if channel_shared, else one per channel)."""

    def __init__(self, ctx: OpContext, across_spatial: bool, channel_shared: bool, eps: float) -> None:
        super().__init__(ctx)
        self.across_spatial, self.channel_shared, self.eps = across_spatial, channel_shared, eps

    def extra_repr(self) -> str:
        return f"across_spatial={self.across_spatial}, channel_shared={self.channel_shared}, eps={self.eps:g}"

    def forward(self, *bottoms: torch.Tensor) -> tuple[torch.Tensor, ...]:
        x = bottoms[0]
        n, c = x.shape[0], x.shape[1]
        flat = x.reshape(n, c, -1)  # num x channels x (height * width), the legacy view
        sq = flat * flat
        if self.across_spatial:
            norm = torch.sqrt(sq.sum(dim=(1, 2), keepdim=True) + self.eps)
        else:
            norm = torch.sqrt(sq.sum(dim=1, keepdim=True) + self.eps)
        scale = self.blobs[0]
        y = flat / norm
        y = y * (scale.reshape(()) if self.channel_shared else scale.reshape(1, c, 1))
        return (y.reshape(x.shape),)


def normalize(ctx: OpContext) -> CaffeOp:
    """NormalizeLayer (fork defaults: across_spatial true, channel_shared true, eps 1e-10)."""
    p = ctx.p
    across = bool(p.get("across_spatial", True))
    shared = bool(p.get("channel_shared", True))
    eps = float(p.get("eps", 1e-10))
    if len(ctx.blobs) != 1:
        raise Unsupported(f"Normalize needs its scale blob; got {len(ctx.blobs)} blobs")
    return Normalize(ctx, across, shared, eps)


# ---------------------------------------------------------------- Permute
class Permute(CaffeOp):
    """PermuteLayer: top axis i is bottom axis order[i]."""

    def __init__(self, ctx: OpContext, order: list[int]) -> None:
        super().__init__(ctx)
        self.order = order

    def extra_repr(self) -> str:
        return f"order={self.order}"

    def forward(self, *bottoms: torch.Tensor) -> tuple[torch.Tensor, ...]:
        x = bottoms[0]
        order = self.order + [i for i in range(x.dim()) if i not in self.order]
        return (x.permute(order).contiguous(),)


def permute(ctx: OpContext) -> CaffeOp:
    """PermuteLayer: the axes listed in ``order``, then the unlisted ones in their order."""
    order = [int(o) for o in ctx.p.all("order")]
    if len(set(order)) != len(order) or any(o < 0 for o in order):
        raise Unsupported(f"Permute order {order} repeats or has negative axes")
    return Permute(ctx, order)


# ---------------------------------------------------------------- PriorBox
def _pair(p, one: str, h: str, w: str, cast) -> tuple[float, float]:
    """(h, w) from ``h``/``w`` or a single ``one``; (0, 0) when neither (compute at run time)."""
    if p.has(h) or p.has(w):
        return cast(p.get(h, 0)), cast(p.get(w, 0))
    if p.has(one):
        v = cast(p.get(one, 0))
        return v, v
    return cast(0), cast(0)


def _aspect_ratios(values, flip: bool) -> list[float]:
    """PriorBoxLayer::LayerSetUp: [1], then each new ratio (1e-6 apart) and, with flip,
    its inverse; stored as C floats."""
    ratios = [1.0]
    for ar in (_f32(float(v)) for v in values):
        if any(abs(ar - r) < 1e-6 for r in ratios):
            continue
        ratios.append(ar)
        if flip:
            ratios.append(_f32(1.0 / ar))
    return ratios


def _box_sizes(mins: list[int], maxs: list[int], ratios: list[float]) -> list[tuple[float, float]]:
    """(width, height) of each prior of a cell, in the fork's order: per min_size the
    square min box, the square sqrt(min * max) box, then one per ratio other than 1
    (min * sqrt(ar) by min / sqrt(ar)).  The fork reads min/max sizes into ints."""
    sizes = []
    for s, lo in enumerate(mins):
        sizes.append((_f32(lo), _f32(lo)))
        if maxs:
            side = _f32(math.sqrt(lo * maxs[s]))
            sizes.append((side, side))
        for ar in ratios:
            if abs(ar - 1.0) < 1e-6:
                continue
            root = math.sqrt(ar)
            sizes.append((_f32(lo * root), _f32(lo / root)))
    return sizes


class PriorBox(CaffeOp):
    """PriorBoxLayer: 1 x 2 x (H * W * priors * 4); channel 0 holds the boxes
    [xmin, ymin, xmax, ymax] / image size, cell by cell (row-major) then prior
    by prior; channel 1 the variances.  Depends only on the bottoms' shapes."""

    def __init__(self, ctx: OpContext, sizes, img_hw, step_hw, offset: float, clip: bool,
                 variance: list[float]) -> None:
        super().__init__(ctx)
        self.sizes, self.img_hw, self.step_hw = sizes, img_hw, step_hw
        self.offset, self.clip, self.variance = offset, clip, variance

    def extra_repr(self) -> str:
        return f"priors={len(self.sizes)}, img={self.img_hw}, step={self.step_hw}, offset={self.offset:g}, " \
               f"clip={self.clip}"

    def forward(self, *bottoms: torch.Tensor) -> tuple[torch.Tensor, ...]:
        feat, image = bottoms[0], bottoms[1]
        fh, fw = legacy_dim(tuple(feat.shape), 2), legacy_dim(tuple(feat.shape), 3)
        img_h, img_w = self.img_hw
        if img_h == 0 or img_w == 0:
            img_h, img_w = legacy_dim(tuple(image.shape), 2), legacy_dim(tuple(image.shape), 3)
        step_h, step_w = self.step_hw
        if step_h == 0 or step_w == 0:  # float(img) / layer, in C float
            step_h, step_w = _f32(_f32(img_h) / fh), _f32(_f32(img_w) / fw)
        boxes = self._boxes(fh, fw, img_h, img_w, step_h, step_w)
        if self.clip:
            boxes = boxes.clamp(0.0, 1.0)
        # One variance for every coordinate, or one per coordinate (xmin, ymin, xmax, ymax).
        variances = torch.tensor(self.variance, dtype=torch.float32).expand(boxes.shape[0], 4)
        out = torch.stack([boxes.reshape(-1), variances.reshape(-1)]).unsqueeze(0)
        return (out.to(device=feat.device, dtype=feat.dtype if feat.is_floating_point() else torch.float32),)

    def _boxes(self, fh: int, fw: int, img_h: int, img_w: int, step_h: float, step_w: float) -> torch.Tensor:
        """(H * W * priors, 4): centres in C float as the fork computes them, corners in double."""
        off = torch.tensor(self.offset, dtype=torch.float32)
        cx = ((torch.arange(fw, dtype=torch.float32) + off) * torch.tensor(step_w, dtype=torch.float32)).double()
        cy = ((torch.arange(fh, dtype=torch.float32) + off) * torch.tensor(step_h, dtype=torch.float32)).double()
        bw = torch.tensor([s[0] for s in self.sizes], dtype=torch.float64)
        bh = torch.tensor([s[1] for s in self.sizes], dtype=torch.float64)
        cx, cy = cx[None, :, None], cy[:, None, None]
        corners = [(cx - bw / 2.0) / img_w, (cy - bh / 2.0) / img_h, (cx + bw / 2.0) / img_w, (cy + bh / 2.0) / img_h]
        corners = [c.expand(fh, fw, len(self.sizes)) for c in corners]
        return torch.stack(corners, dim=-1).reshape(-1, 4).float()


def prior_box(ctx: OpContext) -> CaffeOp:
    """PriorBoxLayer (fork defaults: flip true, clip false, offset 0.5, variance 0.1)."""
    p = ctx.p
    mins = [int(_f32(float(v))) for v in p.all("min_size")]
    maxs = [int(_f32(float(v))) for v in p.all("max_size")]
    if not mins or (maxs and len(maxs) != len(mins)):
        raise Unsupported("PriorBox needs min_size, and max_size as many times if given")
    ratios = _aspect_ratios(p.all("aspect_ratio"), bool(p.get("flip", True)))
    variance = [_f32(float(v)) for v in p.all("variance")] or [_f32(0.1)]
    if len(variance) not in (1, 4):
        raise Unsupported(f"PriorBox needs 1 or 4 variances, got {len(variance)}")
    img_hw = _pair(p, "img_size", "img_h", "img_w", int)
    step_hw = _pair(p, "step", "step_h", "step_w", lambda v: _f32(float(v)))
    offset = _f32(float(p.get("offset", 0.5)))
    return PriorBox(ctx, _box_sizes(mins, maxs, ratios), img_hw, step_hw, offset, bool(p.get("clip", False)),
                    variance)


# ---------------------------------------------------------------- not simulated
def detection_output(ctx: OpContext) -> CaffeOp:
    """DetectionOutputLayer: not simulated."""
    raise Unsupported("DetectionOutput (box decoding, per-class NMS, keep_top_k) is not simulated: its number "
                      "of detections depends on the data")


def multibox_loss(ctx: OpContext) -> CaffeOp:
    """MultiBoxLossLayer: not simulated."""
    raise Unsupported("MultiBoxLoss (prior matching, hard-negative mining, smooth L1 + confidence loss) is not "
                      "simulated")
