"""What every torch op receives and what it must look like."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from ...layers.params import Params
from ...layers.shapes import Shape
from ...layers.spec import LayerContext, LayerSpec


class Unsupported(Exception):
    """The simulator cannot run this layer as configured (said on the layer, not a crash)."""


@dataclass
class OpContext:
    """One layer, as static inference saw it, plus its learnable blobs.

    ``layer`` is the same LayerContext the shape functions get (``p`` the
    type's param block with schema defaults, ``bottoms`` the static bottom
    shapes, ``phase``); ``tops`` the static top shapes; ``blobs`` the layer's
    blobs in Caffe's order and shapes (``spec.weights``), already filled
    from a .caffemodel or from the layer's fillers.
    """

    layer: LayerContext
    spec: LayerSpec
    tops: list[Shape]
    blobs: list[torch.Tensor] = field(default_factory=list)

    @property
    def p(self) -> Params:
        return self.layer.p

    def param(self, name: str) -> Params:
        return self.layer.param(name)

    @property
    def phase(self) -> str:
        return self.layer.phase

    @property
    def train(self) -> bool:
        return self.layer.phase == "TRAIN"


class CaffeOp(nn.Module):
    """Base of every op: keeps the layer's blobs in Caffe order as ``self.blobs``.

    Blobs are Parameters so that backward fills their diffs (debug info
    reports each one's data and diff norms, as Caffe's ``debug_info`` does).
    ``learnable=False`` (BatchNorm's running statistics) keeps them out of
    autograd.  ``forward(*bottoms)`` returns a tuple, one tensor per top.
    """

    def __init__(self, ctx: OpContext, learnable: bool = True) -> None:
        super().__init__()
        self.name = ctx.layer.name
        self.type = ctx.layer.type
        self.blobs = nn.ParameterList(nn.Parameter(b, requires_grad=learnable) for b in ctx.blobs)

    def forward(self, *bottoms: torch.Tensor) -> tuple[torch.Tensor, ...]:  # pragma: no cover - abstract
        raise NotImplementedError
