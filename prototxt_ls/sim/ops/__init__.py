"""Torch builders, one module per layer family (mirrors ``prototxt_ls.layers``).

A builder is ``fn(ctx: OpContext) -> CaffeOp``: it reads the layer's
parameters from ``ctx`` and returns a module whose ``forward(*bottoms)``
returns one tensor per top, with Caffe's semantics.  ``LayerSpec.torch``
names it as ``"family:function"``; :func:`builder_for` imports it on demand.
"""

from __future__ import annotations

import importlib
from typing import Callable

from ...layers.spec import LayerSpec


def builder_for(spec: LayerSpec) -> Callable | None:
    """The spec's torch builder, or None when the simulator cannot run the type."""
    if not spec.torch:
        return None
    family, _, name = spec.torch.partition(":")
    module = importlib.import_module(f"{__name__}.{family}")
    return getattr(module, name)
