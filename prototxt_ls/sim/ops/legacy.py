"""Torch ops for the layer types only old (V0) nets have (mirrors ``prototxt_ls.layers.legacy``)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .base import CaffeOp, OpContext, Unsupported


class Padding(CaffeOp):
    """V0's PaddingLayer: ``pad`` zeros on each side of height and width."""

    def __init__(self, ctx: OpContext, pad: int) -> None:
        super().__init__(ctx)
        self.pad = pad

    def extra_repr(self) -> str:
        return f"pad={self.pad}"

    def forward(self, *bottoms: torch.Tensor) -> tuple[torch.Tensor, ...]:
        x = bottoms[0]
        if x.dim() != 4:
            raise ValueError(f"Padding needs a 4-D (N x C x H x W) bottom, got {x.dim()} axes")
        return (F.pad(x, (self.pad,) * 4),)


def padding(ctx: OpContext) -> CaffeOp:
    """V0 ``padding`` layer; Caffe's upgrade folds it into the next conv/pool's ``pad``,
    which computes the same thing."""
    pad = int(ctx.p.get("pad") or 0)
    if pad < 0:
        raise Unsupported(f"Padding pad must not be negative (got {pad})")
    return Padding(ctx, pad)
