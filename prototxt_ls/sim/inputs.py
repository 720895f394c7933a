"""Synthetic input blobs: the right shapes, and values each consumer accepts.

Caffe's data layers read images and labels from disk; the simulator feeds
their tops instead.  Shapes are the statically inferred ones (an override,
``--input NAME=N,C,H,W``, wins).  Values are standard normal, except where a
consumer reads a blob as something other than a signal, so that losses
and look-ups stay in range:

- class labels (bottom 1 of SoftmaxWithLoss, Accuracy, InfogainLoss,
  MultinomialLogisticLoss, HingeLoss): integers in [0, C), C the scores'
  size along the layer's class axis (the whole per-example count for the
  last two, which flatten);
- SigmoidCrossEntropyLoss targets: uniform in [0, 1];
- ContrastiveLoss similarity (bottom 2): 0 or 1;
- Embed inputs: indices in [0, input_dim); BatchReindex's indices in [0, N);
- sequence continuation markers (RNN/LSTM bottom 1, LSTMUnit bottom 2): 0 or 1.

Everything is float32, as every Caffe blob is.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..analysis.inference import LayerResult
from ..layers.shapes import Shape, count, fmt
from ..schema.model import Schema


class InputShapeError(ValueError):
    """An input's shape is not fully known: the user must give it."""


@dataclass(frozen=True)
class Role:
    """What a blob's values must look like: "integers" below ``limit``, "unit" in [0, 1], or "signal"."""

    kind: str
    limit: int | None = None


SIGNAL = Role("signal")


def _class_count(lr: LayerResult, schema: Schema, block: str | None) -> int | None:
    """C: the scores' size along the class axis (``block``'s axis), or past axis 0 when None."""
    scores = lr.bottoms[0] if lr.bottoms else None
    if scores is None:
        return None
    if block is None:
        return count(scores, 1)
    axis = lr.layer.layer_params(schema).message(block).get("axis")
    if not isinstance(axis, int) or not -len(scores) <= axis < len(scores):
        return None
    return scores[axis]


_CLASS_AXIS = {"SoftmaxWithLoss": "softmax_param", "Accuracy": "accuracy_param",
               "InfogainLoss": "infogain_loss_param", "MultinomialLogisticLoss": None, "HingeLoss": None}


def _role_of_use(lr: LayerResult, index: int, schema: Schema) -> Role | None:
    """What layer ``lr`` needs of its bottom ``index``; None when any float will do."""
    t = lr.layer.type
    if t in _CLASS_AXIS and index == 1:
        return Role("integers", _class_count(lr, schema, _CLASS_AXIS[t]))
    if t == "SigmoidCrossEntropyLoss" and index == 1:
        return Role("unit")
    if (t == "ContrastiveLoss" and index == 2) or (t in ("RNN", "LSTM") and index == 1) \
            or (t == "LSTMUnit" and index == 2):
        return Role("integers", 2)
    if t == "Embed" and index == 0 and lr.spec is not None:
        dim = lr.layer.type_params(schema, lr.spec).get("input_dim")
        return Role("integers", dim if isinstance(dim, int) else None)
    if t == "BatchReindex" and index == 1:
        first = lr.bottoms[0] if lr.bottoms else None
        return Role("integers", first[0] if first else None)
    return None


def blob_roles(layers: list[LayerResult], schema: Schema | None) -> dict[str, Role]:
    """Every blob some layer reads as labels, targets or indices; several integer uses take the least limit."""
    roles: dict[str, Role] = {}
    if schema is None:
        return roles
    for lr in layers:
        for i, ref in enumerate(lr.layer.bottoms):
            role = _role_of_use(lr, i, schema)
            if role is None:
                continue
            old = roles.get(ref.name)
            if old is not None and old.kind == "integers" == role.kind:
                limits = [x for x in (old.limit, role.limit) if x is not None]
                role = Role("integers", min(limits) if limits else None)
            roles[ref.name] = role
    return roles


def synthetic(shape: tuple[int, ...], role: Role, generator: torch.Generator) -> torch.Tensor:
    """One float32 CPU tensor of ``shape`` whose values suit ``role``.

    Integers with an unknown limit are all 0: class 0 and index 0 always exist.
    """
    if role.kind == "integers":
        if not role.limit or role.limit < 1:
            return torch.zeros(shape, dtype=torch.float32)
        return torch.randint(0, role.limit, shape, generator=generator).to(torch.float32)
    if role.kind == "unit":
        return torch.rand(shape, generator=generator, dtype=torch.float32)
    return torch.randn(shape, generator=generator, dtype=torch.float32)


def input_shape(name: str, static: Shape, overrides: dict[str, Shape] | None) -> tuple[int, ...]:
    """The shape to feed ``name``: the override if given, else the static one; fully known or an error."""
    shape = overrides.get(name, static) if overrides else static
    if shape is None or any(not isinstance(d, int) for d in shape):
        raise InputShapeError(f"the shape of input blob '{name}' is not known ({fmt(shape)}): give it with "
                              f"--input {name}=N,C,H,W (or `# prototxt-ls: input {name}=...` in the file)")
    return tuple(shape)


__all__ = ["SIGNAL", "InputShapeError", "Role", "blob_roles", "input_shape", "synthetic"]
