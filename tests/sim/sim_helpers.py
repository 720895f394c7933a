"""Shared helpers for the simulator's op tests (tests/sim/).

``make_op`` turns the text of one layer plus its bottom shapes into the
torch op the registry names, with the blobs given (or random ones of the
registry's weight shapes).  Several test modules share this file: add
helpers, do not remove any.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "layers"))
from layer_helpers import layer_spec, make_ctx  # noqa: E402

from prototxt_ls.sim.ops import builder_for  # noqa: E402
from prototxt_ls.sim.ops.base import OpContext  # noqa: E402


def make_op(type_name: str, body: str = "", bottoms=(), phase: str = "TEST", blobs=None,
            n_tops: int | None = None, seed: int = 0):
    """Build the op for ``layer { type: "<type_name>" <body> }`` with these bottom shapes.

    ``blobs``: the layer's learnable blobs (tensors); None draws them from a
    normal distribution in the registry's weight shapes.
    """
    ctx = make_ctx(type_name, body, [tuple(b) for b in bottoms], n_tops)
    ctx.phase = phase
    spec = layer_spec(type_name)
    tops = spec.shape(ctx)
    if blobs is None:
        gen = torch.Generator().manual_seed(seed)
        shapes = spec.weights(ctx) if spec.weights is not None else []
        blobs = [torch.randn(tuple(s), generator=gen) for s in shapes]
    build = builder_for(spec)
    assert build is not None, f"{type_name} has no torch builder"
    return build(OpContext(ctx, spec, tops, list(blobs))), tops


def run_op(type_name: str, body: str, *inputs: torch.Tensor, phase: str = "TEST", blobs=None,
           n_tops: int | None = None):
    """Build the op for these inputs and run it; returns (outputs, static top shapes)."""
    op, tops = make_op(type_name, body, [tuple(x.shape) for x in inputs], phase, blobs, n_tops)
    out = op(*inputs)
    assert isinstance(out, tuple), f"{type_name} must return a tuple of tops"
    return out, tops
