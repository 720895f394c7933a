"""Torch ops for the data layers (mirrors ``prototxt_ls.layers.data``).

Only DummyData gets an op: its tops are fully described by the prototxt.
Input, Data, ImageData, HDF5Data, MemoryData and WindowData read what the
caller or a file provides; the net builder feeds them synthetic tensors of
their static shapes, so they have no builder.  Python layers run user code
the simulator does not import: no builder either.
"""

from __future__ import annotations

import torch

from ..fillers import FillerError, fill
from .base import CaffeOp, OpContext, Unsupported


class DummyData(CaffeOp):
    """DummyDataLayer: one tensor per top, of the top's shape, from its data_filler.

    Like Caffe, a top whose filler is ``constant`` is filled once (at build
    time) and served as is; any other filler draws new values on every
    forward (Caffe's ``refill_``).  Draws come from the op's own generator,
    seeded at build time, so a simulation is repeatable.
    """

    def __init__(self, ctx: OpContext, shapes: list[tuple[int, ...]], fillers: list, seed: int = 0) -> None:
        super().__init__(ctx)
        self.shapes = shapes
        self.fillers = fillers
        self.generator = torch.Generator().manual_seed(seed)
        self.fixed: list[torch.Tensor | None] = []
        for shape, filler in zip(shapes, fillers):
            try:
                first = fill(shape, filler, self.generator)
            except FillerError as exc:
                raise Unsupported(f"DummyData: {exc}") from None
            self.fixed.append(first if _is_constant(filler) else None)

    def forward(self, *bottoms: torch.Tensor) -> tuple[torch.Tensor, ...]:
        out = []
        for shape, filler, fixed in zip(self.shapes, self.fillers, self.fixed):
            out.append(fixed.clone() if fixed is not None else fill(shape, filler, self.generator))
        return tuple(out)

    def extra_repr(self) -> str:
        return ", ".join("x".join(map(str, s)) or "scalar" for s in self.shapes)


def _is_constant(filler) -> bool:
    return filler is None or (filler.get("type") or "constant") == "constant"


def dummy_data(ctx: OpContext) -> CaffeOp:
    """DummyDataLayer: data_filler given 0 times (constant 0), once (for every top)
    or once per top; the shapes are the static tops (``shape`` or the legacy
    num/channels/height/width), always fully known."""
    shapes = []
    for i, s in enumerate(ctx.tops):
        if s is None or any(d is None for d in s):
            raise Unsupported(f"DummyData top {i} has no fixed shape")
        shapes.append(tuple(int(d) for d in s))
    given = ctx.p.messages("data_filler")
    if len(given) not in (0, 1, len(shapes)):
        raise Unsupported(f"DummyData: give data_filler 0 times, once or once per top ({len(shapes)})")
    fillers = [None if not given else given[0] if len(given) == 1 else given[i] for i in range(len(shapes))]
    return DummyData(ctx, shapes, fillers)
