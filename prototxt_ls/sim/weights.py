"""A .caffemodel's float values, per layer name, as Caffe's CopyTrainedLayersFrom copies them.

``weights/reader.py`` walks the file without decoding a float and records
where each blob's values are (``BlobInfo.segments``); this module reads
exactly those bytes into tensors, for the layers the net asks for.  Caffe's
rules, checked with the messages Caffe would die with:

- layers are matched by name (the model's first layer of that name); a net
  layer the model lacks keeps its filler values;
- the number of blobs must be equal ("Incompatible number of blobs");
- each blob's shape must pass Blob::ShapeEquals, including the legacy rule
  that a num/channels/height/width blob matches any shape of at most 4 axes
  equal to it once padded with leading 1s (``weights/check.py``);
- a blob with ``double_data`` is read from it, else from ``data``; the number
  of values must equal the blob's count; a blob that stores none keeps its
  filler values (Blob::FromProto copies nothing then).
"""

from __future__ import annotations

import math
import os
import sys
from array import array
from pathlib import Path

import torch

from ..layers.shapes import Shape
from ..weights.check import shape_equals
from ..weights.reader import BlobInfo, CaffemodelError, ModelInfo, ModelLayer, read_caffemodel


class WeightsError(ValueError):
    """The model cannot be copied into the net (Caffe would abort): names the layer and shapes."""


def _shape_text(dims) -> str:
    """Blob::shape_string: the dims, then the count in parentheses."""
    return " ".join(str(d) for d in dims) + f" ({math.prod(dims)})"


class CaffemodelWeights:
    """One .caffemodel: its layer list (read once) and each blob's values on demand.

    Reading values opens the file and reads only the needed byte ranges, so
    a net that uses 3 layers of a 550 MB model reads 3 layers' bytes.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.info: ModelInfo = read_caffemodel(self.path)
        self._by_name = self.info.by_name()

    def layer(self, name: str) -> ModelLayer | None:
        return self._by_name.get(name)

    def names(self) -> list[str]:
        return [layer.name for layer in self.info.layers]

    def layer_blobs(self, name: str, expected: list[Shape]) -> list[torch.Tensor | None] | None:
        """The values of layer ``name``'s blobs in the net's shapes ``expected``.

        None when the model has no such layer; a None entry for a blob that
        stores no values.  WeightsError where Caffe's copy would abort.
        """
        layer = self.layer(name)
        if layer is None:
            return None
        if len(layer.blobs) != len(expected):
            raise WeightsError(f"Incompatible number of blobs for layer '{name}': the net has {len(expected)}, "
                               f"the model {self.path.name} has {len(layer.blobs)}")
        out: list[torch.Tensor | None] = []
        with self.path.open("rb") as fh:
            for j, (want, blob) in enumerate(zip(expected, layer.blobs)):
                self._check_shape(name, j, want, blob)
                out.append(self._values(fh, name, j, tuple(want), blob))
        return out

    def _check_shape(self, name: str, j: int, want: Shape, blob: BlobInfo) -> None:
        ok = shape_equals(want, blob)
        if ok is None:
            raise WeightsError(f"layer '{name}': param {j} has shape {want} with unknown dimensions in the net; "
                               "give the input sizes (--input NAME=N,C,H,W) so its weights can be loaded")
        if not ok:
            raise WeightsError(f"Cannot copy param {j} weights from layer '{name}'; shape mismatch. Source param "
                               f"shape is {_shape_text(blob.shape)}; target param shape is "
                               f"{_shape_text(tuple(want))} (model {self.path.name})")

    def _values(self, fh, name: str, j: int, shape: tuple[int, ...], blob: BlobInfo) -> torch.Tensor | None:
        doubles = [s for s in blob.segments if s[2] == "f8"]
        segments = doubles or [s for s in blob.segments if s[2] == "f4"]
        if not segments:
            return None
        stored = sum(n for _, n, _ in segments)
        if stored != math.prod(shape):
            raise WeightsError(f"layer '{name}': param {j} stores {stored} values but its shape "
                               f"{_shape_text(shape)} needs {math.prod(shape)} (model {self.path.name})")
        parts = [_read_segment(fh, offset, n, kind) for offset, n, kind in segments]
        values = parts[0] if len(parts) == 1 else torch.cat(parts)
        return values.to(torch.float32).reshape(shape)


def _read_segment(fh, offset: int, n: int, kind: str) -> torch.Tensor:
    """``n`` little-endian floats (f4) or doubles (f8) at ``offset``, read into a fresh tensor."""
    width = 8 if kind == "f8" else 4
    buf = bytearray(n * width)
    fh.seek(offset)
    if fh.readinto(buf) != len(buf):
        raise CaffemodelError(str(fh.name), "the file ends inside a blob's data", offset)
    if sys.byteorder == "big":  # the wire format is little-endian
        swapped = array("d" if width == 8 else "f", bytes(buf))
        swapped.byteswap()
        buf = bytearray(swapped.tobytes())
    return torch.frombuffer(buf, dtype=torch.float64 if width == 8 else torch.float32)


def load_weights(path: str | os.PathLike, layers: dict[str, list[Shape]]) -> dict[str, list[torch.Tensor | None]]:
    """For each net layer name with its expected blob shapes, the model's values (absent: not in the model)."""
    model = CaffemodelWeights(path)
    out: dict[str, list[torch.Tensor | None]] = {}
    for name, shapes in layers.items():
        blobs = model.layer_blobs(name, shapes)
        if blobs is not None:
            out[name] = blobs
    return out


__all__ = ["CaffemodelWeights", "WeightsError", "load_weights"]
