"""Stream the layer names, types and blob shapes out of a .caffemodel.

The file is memory-mapped and walked field by field: the float data of each
blob (nearly all of the bytes) is skipped by its length prefix, never
decoded or copied, so a 550 MB model costs a few milliseconds and no more
memory than the mapping.  Layers come from V2 ``layer`` (field 100) and V1
``layers`` (field 2, with V0's inner ``layer`` when present).

Field numbers (checked against caffe.proto in the tests):
NetParameter name 1, layers 2, layer 100; LayerParameter name 1, type 2,
blobs 7; V1LayerParameter layer 1, name 4, type 5, blobs 6; V0LayerParameter
name 1, type 2, blobs 50; BlobProto num 1, channels 2, height 3, width 4,
data 5, diff 6, shape 7, double_data 8, double_diff 9; BlobShape dim 1.

Where the values are is recorded too (``BlobInfo.segments``: byte offset,
value count and "f4"/"f8" of each run of stored data), so the simulator can
read exactly those bytes later; this module still decodes none of them.
"""

from __future__ import annotations

import mmap
import os
from dataclasses import dataclass, field
from pathlib import Path

from .wire import FIXED32, LEN, VARINT, WireError, fields, packed_varints, read_varint, signed64


@dataclass
class BlobInfo:
    shape: tuple[int, ...]
    #: True when the blob gave num/channels/height/width instead of `shape`.
    legacy: bool = False
    #: Number of values stored (float or double data); None if none stored.
    stored: int | None = None
    #: Where the stored values are: (byte offset in the file, value count,
    #: "f4" for ``data`` / "f8" for ``double_data``), in file order; one run
    #: per packed field, one per value when written unpacked.
    segments: list[tuple[int, int, str]] = field(default_factory=list, compare=False, repr=False)


@dataclass
class ModelLayer:
    name: str
    type: str  # V2 type string, or the V1 enum's number as text when unknown
    blobs: list[BlobInfo] = field(default_factory=list)
    offset: int = 0
    style: str = "V2"


@dataclass
class ModelInfo:
    path: str
    size: int
    name: str = ""
    layers: list[ModelLayer] = field(default_factory=list)

    def by_name(self) -> dict[str, ModelLayer]:
        """Layers by name; the first wins, as Caffe's CopyTrainedLayersFrom finds it."""
        out: dict[str, ModelLayer] = {}
        for layer in self.layers:
            out.setdefault(layer.name, layer)
        return out


class CaffemodelError(Exception):
    """The file is not a readable .caffemodel; says where and why."""

    def __init__(self, path: str, message: str, offset: int | None = None) -> None:
        where = f" at byte {offset}" if offset is not None else ""
        super().__init__(f"{path}: {message}{where}")
        self.path = path
        self.message = message
        self.offset = offset


def _text(buf, start: int, stop: int) -> str:
    return bytes(buf[start:stop]).decode("utf-8", errors="replace")


def _blob(buf, start: int, stop: int) -> BlobInfo:
    dims: list[int] = []
    legacy = [None, None, None, None]
    has_shape = False
    stored = None
    segments: list[tuple[int, int, str]] = []
    for number, wire, value, end, _at in fields(buf, start, stop):
        if number == 7 and wire == LEN:
            has_shape = True
            for n2, w2, v2, e2, _ in fields(buf, value, end):
                if n2 == 1 and w2 == LEN:
                    dims.extend(signed64(d) for d in packed_varints(buf, v2, e2))
                elif n2 == 1 and w2 == VARINT:
                    dims.append(signed64(v2))
        elif 1 <= number <= 4 and wire == VARINT:
            legacy[number - 1] = signed64(value) if value >= 1 << 63 else value
        elif number == 5 and wire == LEN:
            if (end - value) % 4:
                raise WireError(f"packed float data of {end - value} bytes is not a whole number of floats",
                                value)
            stored = (stored or 0) + (end - value) // 4
            segments.append((value, (end - value) // 4, "f4"))
        elif number == 5 and wire == FIXED32:
            stored = (stored or 0) + 1
            segments.append((end - 4, 1, "f4"))
        elif number == 8 and wire == LEN:
            if (end - value) % 8:
                raise WireError(f"packed double data of {end - value} bytes is not a whole number of doubles",
                                value)
            stored = (stored or 0) + (end - value) // 8
            segments.append((value, (end - value) // 8, "f8"))
    # Caffe's Blob::FromProto and ShapeEquals: any of num/channels/height/width
    # makes the blob a legacy 4-D one (unset ones are 0), whatever `shape` says.
    if any(v is not None for v in legacy):
        return BlobInfo(tuple(v if v is not None else 0 for v in legacy), True, stored, segments)
    if has_shape:
        return BlobInfo(tuple(dims), False, stored, segments)
    return BlobInfo((), False, stored, segments)


def _layer_v2(buf, start: int, stop: int, at: int) -> ModelLayer:
    layer = ModelLayer("", "", [], at, "V2")
    for number, wire, value, end, _ in fields(buf, start, stop):
        if wire != LEN:
            continue
        if number == 1:
            layer.name = _text(buf, value, end)
        elif number == 2:
            layer.type = _text(buf, value, end)
        elif number == 7:
            layer.blobs.append(_blob(buf, value, end))
    return layer


def _layer_v1(buf, start: int, stop: int, at: int, v1_names: dict[int, str]) -> ModelLayer:
    layer = ModelLayer("", "", [], at, "V1")
    for number, wire, value, end, _ in fields(buf, start, stop):
        if number == 4 and wire == LEN:
            layer.name = _text(buf, value, end)
        elif number == 5 and wire == VARINT:
            layer.type = v1_names.get(value, str(value))
        elif number == 6 and wire == LEN:
            layer.blobs.append(_blob(buf, value, end))
        elif number == 1 and wire == LEN:  # V0: everything lives in the inner layer
            layer.style = "V0"
            for n2, w2, v2, e2, _ in fields(buf, value, end):
                if w2 != LEN:
                    continue
                if n2 == 1:
                    layer.name = _text(buf, v2, e2)
                elif n2 == 2:
                    layer.type = _text(buf, v2, e2)
                elif n2 == 50:
                    layer.blobs.append(_blob(buf, v2, e2))
    return layer


def read_buffer(buf, path: str = "<bytes>", v1_names: dict[int, str] | None = None) -> ModelInfo:
    """Read layers from bytes-like ``buf`` (an mmap, bytes, memoryview)."""
    v1_names = v1_names if v1_names is not None else _v1_type_names()
    size = len(buf)
    info = ModelInfo(path, size)
    if size == 0:
        raise CaffemodelError(path, "the file is empty")
    try:
        for number, wire, value, end, at in fields(buf, 0, size):
            if number == 100 and wire == LEN:
                info.layers.append(_layer_v2(buf, value, end, at))
            elif number == 2 and wire == LEN:
                info.layers.append(_layer_v1(buf, value, end, at, v1_names))
            elif number == 1 and wire == LEN:
                info.name = _text(buf, value, end)
    except WireError as exc:
        hint = "" if info.layers else " — this does not look like a .caffemodel (binary NetParameter)"
        raise CaffemodelError(path, exc.message + hint, exc.offset) from None
    if not info.layers:
        raise CaffemodelError(path, "no layers found: this does not look like a .caffemodel "
                                    "(binary NetParameter)")
    return info


def read_caffemodel(path: str | os.PathLike) -> ModelInfo:
    """Map ``path`` read-only and read its layers; CaffemodelError on any problem."""
    p = Path(path)
    try:
        with p.open("rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size == 0:
                raise CaffemodelError(str(p), "the file is empty")
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                return read_buffer(mm, str(p))
    except OSError as exc:
        raise CaffemodelError(str(p), f"cannot read: {exc.strerror or exc}") from None


def _v1_type_names() -> dict[int, str]:
    """V1 LayerType enum numbers -> V2 type strings (from the bundled schema and registry)."""
    from ..layers.registry import by_v1
    from ..schema.loader import bundled_schema

    enum = bundled_schema().enum("V1LayerParameter.LayerType")
    if enum is None:
        return {}
    return {v.number: by_v1(v.name) or v.name for v in enum.values.values()}


__all__ = ["BlobInfo", "CaffemodelError", "ModelInfo", "ModelLayer", "read_buffer", "read_caffemodel",
           "read_varint"]
