"""Running a ``type: "Python"`` layer's own code — only when the user allows it.

Importing the module a Python layer names runs arbitrary code, so the
simulator does it only with ``--allow-python-layers`` (``build_net(...,
allow_python=True)``); otherwise the layer is skipped (T005).

When allowed, the layer is driven the way pycaffe's PythonLayer drives it:
the class named by ``python_param.layer`` is taken from the module
``python_param.module`` (imported with the net's folder on ``sys.path``);
the instance gets ``param_str`` and ``phase`` (0 TRAIN, 1 TEST), then
``setup(bottom, top)`` once and ``reshape`` + ``forward`` on every run.  Each
bottom and top is a small blob object with numpy ``data`` and ``diff``,
``reshape(*dims)``, ``shape``, ``count`` and ``num/channels/height/width``.

Forward only: the layer's output is a new tensor cut off from autograd
(its ``backward`` is never called), so layers below it get no gradient
through it.  When pycaffe itself is not installed, a stand-in ``caffe``
module (``Layer``, ``TRAIN``, ``TEST``) is registered so that the usual
``import caffe`` / ``class L(caffe.Layer)`` works.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import sys
import types
from pathlib import Path

import torch

from .ops.base import CaffeOp, OpContext, Unsupported

_PHASES = {"TRAIN": 0, "TEST": 1}


class PythonLayerError(RuntimeError):
    """The user's layer code failed; says which layer."""


class Blob:
    """What a pycaffe layer sees of a bottom or top blob."""

    def __init__(self, np, data=None) -> None:
        self._np = np
        self.data = data if data is not None else np.zeros((0,), dtype=np.float32)
        self.diff = np.zeros_like(self.data)

    def reshape(self, *dims: int) -> None:
        self.data = self._np.zeros(tuple(int(d) for d in dims), dtype=self._np.float32)
        self.diff = self._np.zeros_like(self.data)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.data.shape)

    @property
    def count(self) -> int:
        return int(self.data.size)

    def _legacy(self, i: int) -> int:
        return self.shape[i] if i < len(self.shape) else 1

    num = property(lambda self: self._legacy(0))
    channels = property(lambda self: self._legacy(1))
    height = property(lambda self: self._legacy(2))
    width = property(lambda self: self._legacy(3))


def _caffe_stand_in() -> None:
    """Register a minimal ``caffe`` module unless pycaffe is importable."""
    if "caffe" in sys.modules or importlib.util.find_spec("caffe") is not None:
        return
    shim = types.ModuleType("caffe")
    shim.__doc__ = "prototxt-ls stand-in for pycaffe: only what Python layers subclass and compare with."

    class Layer:  # pycaffe's base class: the C++ side sets param_str and phase
        def __init__(self, *args, **kwargs) -> None:
            pass

    shim.Layer = Layer
    shim.TRAIN, shim.TEST = 0, 1
    sys.modules["caffe"] = shim


@contextlib.contextmanager
def _on_path(folder: Path | None):
    if folder is None:
        yield
        return
    entry = str(folder)
    sys.path.insert(0, entry)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(entry)


def load_layer_class(module: str, name: str, folder: Path | None):
    """Import ``module`` (with ``folder`` searched first) and return its class ``name``."""
    if not module or not name:
        raise Unsupported("python_param needs both module and layer")
    _caffe_stand_in()
    with _on_path(folder):
        try:
            mod = importlib.import_module(module)
        except Exception as exc:  # the user's module: any error it raises is its own
            raise Unsupported(f"cannot import Python layer module '{module}': {type(exc).__name__}: {exc}") from exc
    cls = getattr(mod, name, None)
    if cls is None:
        raise Unsupported(f"module '{module}' has no class '{name}'")
    return cls


class PythonOp(CaffeOp):
    """A user's pycaffe layer, run forward on numpy copies of the bottoms."""

    def __init__(self, ctx: OpContext, cls, param_str: str) -> None:
        super().__init__(ctx)
        try:
            import numpy as np
        except ImportError as exc:
            raise Unsupported("running Python layers needs numpy") from exc
        self._np = np
        self._impl = cls.__new__(cls)
        with contextlib.suppress(TypeError):
            cls.__init__(self._impl)
        self._impl.param_str = param_str
        self._impl.phase = _PHASES.get(ctx.phase, 1)
        self._tops = max(ctx.layer.n_tops, 0)
        self._set_up = False

    def forward(self, *bottoms: torch.Tensor) -> tuple[torch.Tensor, ...]:
        np = self._np
        device = bottoms[0].device if bottoms else torch.device("cpu")
        bottom = [Blob(np, x.detach().cpu().numpy().astype(np.float32, copy=True)) for x in bottoms]
        top = [Blob(np) for _ in range(self._tops)]
        try:
            if not self._set_up:
                self._impl.setup(bottom, top)
                self._set_up = True
            self._impl.reshape(bottom, top)
            self._impl.forward(bottom, top)
        except Exception as exc:
            raise PythonLayerError(f"Python layer '{self.name}' failed: {type(exc).__name__}: {exc}") from exc
        return tuple(torch.from_numpy(np.ascontiguousarray(t.data, dtype=np.float32)).to(device) for t in top)


def build_python_op(ctx: OpContext, layer_params, folder: Path | None) -> PythonOp:
    """The op of one Python layer; Unsupported when its class cannot be loaded."""
    p = layer_params.message("python_param")
    cls = load_layer_class(p.get("module") or "", p.get("layer") or "", folder)
    return PythonOp(ctx, cls, p.get("param_str") or "")


__all__ = ["Blob", "PythonLayerError", "PythonOp", "build_python_op", "load_layer_class"]
