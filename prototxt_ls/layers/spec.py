"""What the registry knows about one layer type, and what its functions receive."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from .params import Params
from .shapes import Shape


@dataclass
class LayerContext:
    """Everything a shape/weights/MACs function may look at for one layer.

    ``p`` is the layer's own parameter block (``convolution_param`` for a
    Convolution), already resolved for the net's format; ``param(name)``
    gives any other block of the layer (``transform_param``, ``loss_param``).
    ``bottoms`` are the input shapes in order; ``n_tops`` how many tops the
    layer declares (some types' outputs depend on it: Slice, Split, Input).
    """

    name: str
    type: str
    p: Params
    layer: Params
    bottoms: list[Shape]
    n_tops: int
    phase: str = "TEST"
    top_names: list[str] = field(default_factory=list)

    def param(self, name: str) -> Params:
        return self.layer.message(name)


ShapeFn = Callable[[LayerContext], list[Shape]]
WeightsFn = Callable[[LayerContext], list[Shape]]
MacsFn = Callable[[LayerContext, list[Shape]], "int | None"]


def same_as_bottom(ctx: LayerContext) -> list[Shape]:
    """Element-wise layers: every top has the first bottom's shape."""
    return [ctx.bottoms[0] if ctx.bottoms else None] * max(ctx.n_tops, 1)


@dataclass(frozen=True)
class LayerSpec:
    """One layer type.

    ``bottoms``/``tops`` are (min, max) counts, max None for unbounded, as in
    Caffe's ExactNum/MinNum/MaxNum checks.  ``shape`` returns one shape per
    declared top (raising ShapeError where Caffe would abort); ``weights``
    returns the learnable blob shapes in Caffe's order; ``macs`` the
    multiply-accumulates of one forward pass (None when not meaningful).
    """

    type: str
    param: str | None
    bottoms: tuple[int, int | None]
    tops: tuple[int, int | None]
    shape: ShapeFn = same_as_bottom
    weights: WeightsFn | None = None
    macs: MacsFn | None = None
    in_place: bool = False
    is_loss: bool = False
    is_data: bool = False
    category: str = "common"
    #: V1 enum name (``CONVOLUTION``) and V0 type strings (``conv``), for old nets.
    v1_name: str | None = None
    v0_names: tuple[str, ...] = ()
    #: Caffe's EqualNumBottomTopBlobs: as many tops as bottoms (Convolution, ...).
    same_count: bool = False
    #: None for BVLC Caffe's own types; else the fork that adds this type.
    #: BVLC Caffe refuses such a type, so under the bundled schema it is G307.
    fork: str | None = None
    doc: str = ""
    #: The simulator's builder, ``"family:function"`` naming
    #: ``prototxt_ls.sim.ops.<family>.<function>``; a string so that lint and
    #: the server never import torch.  None: the simulator cannot run this type.
    torch: str | None = None
