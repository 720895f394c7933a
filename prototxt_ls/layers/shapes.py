"""Blob shapes with unknown dimensions, and Caffe's helpers for them.

A shape is a tuple of dims; a dim is an ``int`` or ``None`` when it cannot be
known before running (a Data layer's image size).  ``None`` for the whole
shape means even the number of axes is unknown (a Python layer's tops).
Arithmetic on unknown dims stays unknown, so a check that depends on one is
silently skipped instead of guessing (``Unknown is a value``).
"""

from __future__ import annotations

from math import prod

Dim = int | None
Shape = tuple[Dim, ...] | None


class ShapeError(Exception):
    """A layer cannot be set up with these inputs/parameters (Caffe would abort).

    ``field`` names the parameter field to point at (``"kernel_size"``,
    ``"slice_point"``), or ``"bottom"``/``"top"`` for a blob; ``index`` picks
    one of several (the 2nd bottom, the 3rd slice_point); ``code`` is the rule.
    """

    def __init__(self, message: str, field: str | None = None, index: int | None = None,
                 code: str = "H407") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.index = index
        self.code = code


def canonical_axis(axis: int, num_axes: int, field: str = "axis") -> int:
    """Caffe's Blob::CanonicalAxisIndex: negative axes count from the end."""
    if not -num_axes <= axis < num_axes:
        raise ShapeError(f"axis {axis} is out of range for a blob with {num_axes} axes "
                         f"(valid: {-num_axes} to {num_axes - 1})", field, code="H406")
    return axis + num_axes if axis < 0 else axis


def count(shape: Shape, start: int = 0, end: int | None = None) -> int | None:
    """Number of elements in ``shape[start:end]``; None if any dim is unknown."""
    if shape is None:
        return None
    dims = shape[start:end]
    if any(d is None for d in dims):
        return None
    return prod(dims)  # type: ignore[arg-type]


def legacy_dim(shape: Shape, index: int) -> Dim:
    """Blob::LegacyShape: num/channels/height/width of a blob with fewer axes are 1."""
    if shape is None:
        return None
    if index >= len(shape) or index < -len(shape):
        return 1
    return shape[index]


def add(*dims: Dim) -> Dim:
    return None if any(d is None for d in dims) else sum(dims)  # type: ignore[arg-type]


def mul(*dims: Dim) -> Dim:
    return None if any(d is None for d in dims) else prod(dims)  # type: ignore[arg-type]


def fmt(shape: Shape) -> str:
    """``1x3x224x224``, ``?`` for unknown dims, ``scalar`` for ``()``."""
    if shape is None:
        return "?"
    if not shape:
        return "scalar"
    return "x".join("?" if d is None else str(d) for d in shape)


def to_json(shape: Shape) -> list | None:
    """A shape as the JSON contract gives it: list with null for unknown dims."""
    return None if shape is None else [d for d in shape]
