"""What Caffe's solver reads of a net's layers and of a solver file, for simulated training.

Why: the op modules know a layer's blobs but not how the solver treats them.
Caffe's ``Net::AppendParam`` turns each blob's ``param { lr_mult }`` into
``param_propagate_down`` (no diff is computed for ``lr_mult: 0``) and its
``param { name }`` into the name ``debug_info`` prints; ``propagate_down``
stops a bottom's diff.  V1 nets spell these ``blobs_lr`` and a repeated
``param`` string, V0 nets ``blobs_lr`` in the inner layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..layers.params import Params
from ..schema.model import Schema

#: The learning rate when no solver is given (Caffe's examples' usual base_lr).
DEFAULT_BASE_LR = 0.01


@dataclass
class LayerLearning:
    """One layer's per-blob settings, in Caffe's blob order."""

    lr_mults: list[float]
    #: param_display_names_: the blob's ``param { name }``, else its index
    names: list[str]
    #: one flag per bottom, or None when the layer writes no ``propagate_down``
    propagate_down: list[bool] | None

    def lr_mult(self, j: int) -> float:
        return self.lr_mults[j] if j < len(self.lr_mults) else 1.0

    def name(self, j: int) -> str:
        return self.names[j] if j < len(self.names) and self.names[j] else str(j)


def _floats(values) -> list[float]:
    return [float(v) if isinstance(v, (int, float)) else 1.0 for v in values]


def layer_learning(layer, schema: Schema | None) -> LayerLearning:
    """Read ``layer``'s (a SimLayer's) lr_mult, param names and propagate_down from its block."""
    view = layer.result.layer
    if schema is None or view.outer is None and view.body is None:
        return LayerLearning([], [], None)
    try:
        lp: Params = view.layer_params(schema)
        if view.style == "V2":
            params = lp.messages("param")
            mults = _floats(p.get("lr_mult") for p in params)
            names = [str(p.get("name") or "") for p in params]
            down = [bool(v) for v in lp.all("propagate_down")] or None
        else:
            mults = _floats(lp.all("blobs_lr"))
            names = [str(n) for n in lp.all("param")] if view.style == "V1" else []
            down = None
    except (AttributeError, KeyError, TypeError, ValueError):
        return LayerLearning([], [], None)
    return LayerLearning(mults, names, down)


def net_learning(net) -> dict[int, LayerLearning]:
    """Every layer's settings, by SimLayer.index."""
    schema = getattr(net, "schema", None)
    return {layer.index: layer_learning(layer, schema) for layer in net.layers}


def freeze_zero_lr(net, learning: dict[int, LayerLearning]) -> None:
    """Blobs with ``lr_mult: 0`` get no diff, as Caffe's param_propagate_down(false) decides."""
    for layer in net.layers:
        if layer.op is None:
            continue
        info = learning.get(layer.index)
        for j, blob in enumerate(layer.op.blobs):
            if info is not None and info.lr_mult(j) == 0:
                blob.requires_grad_(False)


def propagate_down_flags(learning: dict[int, LayerLearning]) -> dict[int, list[bool]]:
    return {i: info.propagate_down for i, info in learning.items() if info.propagate_down is not None}


class SolverError(ValueError):
    """The solver file cannot be read as a SolverParameter."""


def solver_base_lr(path: Path, proto: Path | None = None) -> tuple[float, bool]:
    """(base_lr, written): the solver's ``base_lr``, or the default when it does not set one."""
    from ..analysis.check import check_bytes
    from ..config import load_config

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SolverError(f"{path}: cannot read: {exc.strerror or exc}") from None
    res = check_bytes(data, path, load_config(path), proto)
    if res.root is None or res.root.name != "SolverParameter" or res.document is None:
        raise SolverError(f"{path} is not a solver (it reads as {res.root.full_name if res.root else 'nothing'})")
    p = Params(res.document.root, res.root, res.schema)
    if not p.has("base_lr"):
        return DEFAULT_BASE_LR, False
    value = p.get("base_lr")
    if not isinstance(value, (int, float)):
        raise SolverError(f"{path}: base_lr is not a number")
    return float(value), True
