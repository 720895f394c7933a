"""Write a .caffemodel (binary NetParameter) for a net, streaming one blob at a time.

What it is for: test and benchmark inputs for the .caffemodel reader, and a
quick way to get a file Caffe's ``CopyTrainedLayersFrom`` accepts for a net
(every layer's blobs have the shapes the net expects).  It is not a trainer:
the values are zeros, uniform noise, or what the layer's fillers would draw.

Two steps::

    res = check_text(net_text)
    layers = weight_layers(res, "TRAIN")          # names, types, blob shapes, fillers
    write_caffemodel("net.caffemodel", layers, fill="filler", seed=1)

Streaming.  A protobuf length prefix comes before its payload, but every
length here is known before any float is made: a blob's payload is its
``shape`` (or legacy num/channels/height/width) plus ``4 * count`` bytes of
packed float32 ``data``.  So the file is written front to back: the layer's
key and length, its name and type, then per blob its key and length, the
shape, the ``data`` key and length, and the floats in chunks of
:data:`CHUNK` values.  Memory stays at one chunk whatever the model's size
(a 553 MB VGG-16 is written with about 1 MB of buffers).

Byte layout.  The small parts (NetParameter ``name``, a layer's ``name`` and
``type``, a blob's shape fields) are serialized by the protobuf message
classes of the schema (:func:`prototxt_ls.schema.descriptors.message_class`),
and the parts are laid out in field-number order, as protobuf serializes: a
blob is num/channels/height/width (1-4), data (5), shape (7).  So the
streamed file is byte for byte ``build_net_message(...).SerializeToString()``
(the tests check this), and ``NetParameter.ParseFromString`` reads it back.
Only ``name``, ``type`` and ``blobs`` are written for each layer: what
``CopyTrainedLayersFrom`` matches on.

Fillers (``fill="filler"``) follow Caffe's ``include/caffe/filler.hpp``:
constant (value), uniform (min, max), gaussian (mean, std, and ``sparse``),
positive_unitball (uniform [0, 1) rows scaled to sum 1; a row is the blob
divided by its first axis), xavier (uniform +-sqrt(3/n)), msra (gaussian
std sqrt(2/n)) with n = fan_in = count/num, fan_out = count/channels, or their
average per ``variance_norm``, and bilinear (4-D square kernels).  Values are
computed in double and stored as float32.  They are deterministic for a given
``seed`` (each blob has its own generator, seeded from the seed, the layer's
index and the blob's index; Python's ``random``, so no numpy is needed), but
they are not Caffe's random stream.  Pure Python draws about 10 M uniform or
3 M gaussian values/s (VGG-16 with xavier fillers: about 15 s); constant,
bilinear and ``fill="zeros"`` write at disk speed.
"""

from __future__ import annotations

import math
import os
import random
import sys
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from ..layers.params import Params
from .wire import LEN, encode_key, encode_varint

#: Float values per generated chunk (256 KiB of float32; about 2.5 MB while
#: a chunk of random values is a list of Python floats).
CHUNK = 1 << 16

FILLS = ("filler", "zeros", "random")
STYLES = ("V2", "V1")

#: Per layer type: the filler field of the type's parameter block for each
#: weight blob in Caffe's order, and what Caffe uses when the field is not
#: written (None: the FillerParameter defaults, i.e. constant 0).
TYPE_FILLERS: dict[str, tuple[tuple[str, Mapping | None], ...]] = {
    "Convolution": (("weight_filler", None), ("bias_filler", None)),
    "Deconvolution": (("weight_filler", None), ("bias_filler", None)),
    "InnerProduct": (("weight_filler", None), ("bias_filler", None)),
    "Embed": (("weight_filler", None), ("bias_filler", None)),
    # ScaleLayer: "default to unit (1) filler for identity operation".
    "Scale": (("filler", {"type": "constant", "value": 1.0}), ("bias_filler", None)),
    "Bias": (("filler", None),),
    # PReLULayer: constant 0.25 unless a filler is given.
    "PReLU": (("filler", {"type": "constant", "value": 0.25}),),
    # SSD's NormalizeLayer: constant 1 unless scale_filler is given.
    "Normalize": (("scale_filler", {"type": "constant", "value": 1.0}),),
}

#: FillerParameter defaults (caffe.proto).
FILLER_DEFAULTS: dict[str, object] = {"type": "constant", "value": 0.0, "min": 0.0, "max": 1.0, "mean": 0.0,
                                      "std": 1.0, "sparse": -1, "variance_norm": "FAN_IN"}
_VARIANCE_NORMS = {0: "FAN_IN", 1: "FAN_OUT", 2: "AVERAGE"}


@dataclass
class WeightLayer:
    """One layer's learnable blobs: what a .caffemodel stores for it."""

    name: str
    type: str  # V2 type string
    shapes: list[tuple[int, ...]]
    #: One per shape (missing entries count as None).  A ``Params`` view of a
    #: FillerParameter block (written or defaulted), a plain mapping of
    #: FillerParameter fields (Caffe's implicit per-type default, such as
    #: Scale's constant 1), or None: no filler known, zeros are written.
    fillers: list[Params | Mapping | None] = field(default_factory=list)

    def count(self) -> int:
        return sum(math.prod(s) for s in self.shapes)


class WeightLayers(list):
    """The list :func:`weight_layers` returns; ``skipped`` names the layers
    left out because a weight shape had an unknown dimension."""

    skipped: list[str]

    def __init__(self, items: Iterable[WeightLayer] = (), skipped: Iterable[str] = ()) -> None:
        super().__init__(items)
        self.skipped = list(skipped)


def _known(shape) -> bool:
    return shape is not None and all(isinstance(d, int) and not isinstance(d, bool) for d in shape)


def weight_layers(result, phase: str = "TRAIN", *, skip_unknown: bool = False) -> WeightLayers:
    """The layers of ``phase`` that have weights, in net order, with their fillers.

    ``result`` is a ``check_text`` / ``check_source`` CheckResult of a net.
    A layer whose weight shapes cannot all be inferred (an unknown input
    shape, a dimension that is None, or a weights function that failed) makes
    this raise ValueError naming every such layer; with ``skip_unknown=True``
    those layers are left out instead and named in the returned list's
    ``skipped`` attribute.  Layers of unregistered types are not known to
    have weights and are left out silently.  ValueError too when the result
    holds no analysed net or no such phase.
    """
    net = getattr(result, "net", None)
    if net is None:
        raise ValueError("the check result holds no analysed net (not a NetParameter, or a mixed-format net)")
    phases = net.phases
    if phase not in phases:
        raise ValueError(f"no phase {phase!r} in the net (phases: {', '.join(phases)})")
    schema = result.schema
    out: list[WeightLayer] = []
    unknown: list[str] = []
    for lr in phases[phase].layers:
        spec = lr.spec
        if spec is None or spec.weights is None or lr.layer.fixed_shapes is not None:
            continue
        shapes = list(lr.weights)
        if (not shapes and lr.macs is None) or not all(_known(s) for s in shapes):
            # _weights() returns ([], None) when the weights function failed.
            unknown.append(lr.layer.name)
            continue
        if not shapes:
            continue
        out.append(WeightLayer(lr.layer.name, lr.layer.type, [tuple(s) for s in shapes],
                               layer_fillers(lr, schema, len(shapes))))
    if unknown and not skip_unknown:
        raise ValueError(f"weight shapes with unknown dimensions in {len(unknown)} layer(s) of the {phase} "
                         f"phase: {', '.join(unknown)}")
    return WeightLayers(out, unknown)


def layer_fillers(lr, schema, n: int) -> list[Params | Mapping | None]:
    """The filler of each of the layer's ``n`` weight blobs, as Caffe would choose it.

    ``lr`` is the layer's LayerResult; a blob past the type's table (or of a
    type with none) gets None, i.e. zeros.  Shared with the simulator.
    """
    table = TYPE_FILLERS.get(lr.layer.type)
    if not table or schema is None:
        return [None] * n
    try:
        params = lr.layer.type_params(schema, lr.spec)
    except Exception:  # a fork schema without the block: no fillers known
        return [None] * n
    out: list[Params | Mapping | None] = []
    for i in range(n):
        if i >= len(table):
            out.append(None)
            continue
        name, implicit = table[i]
        sub = params.message(name)
        if sub.node is not None or (implicit is None and sub.mdef is not None):
            out.append(sub)  # written, or absent with FillerParameter's own defaults
        elif implicit is not None:
            out.append(dict(implicit))
        else:
            out.append(None)
    return out


# ------------------------------------------------------------------ fillers
def filler_spec(filler: Params | Mapping | None) -> dict | None:
    """A filler as a plain dict of FillerParameter fields, defaults filled in."""
    if filler is None:
        return None
    spec = dict(FILLER_DEFAULTS)
    for key in FILLER_DEFAULTS:
        value = filler.get(key) if isinstance(filler, Params) else filler.get(key, None)
        if value is not None:
            spec[key] = value
    vn = spec["variance_norm"]
    spec["variance_norm"] = _VARIANCE_NORMS.get(vn, vn) if isinstance(vn, int) else vn
    return spec


def _seeded(seed: int, layer_index: int, blob_index: int) -> random.Random:
    return random.Random(f"prototxt-ls/{seed}/{layer_index}/{blob_index}")


def _float_array(values) -> array:
    try:
        return array("f", values)
    except OverflowError as exc:
        raise ValueError(f"a filler value does not fit in float32: {exc}") from None


_ZEROS: array | None = None


def _zero_chunks(count: int) -> Iterator[array]:
    global _ZEROS
    if _ZEROS is None or len(_ZEROS) != CHUNK:
        _ZEROS = array("f", bytes(CHUNK * 4))
    left = count
    while left >= CHUNK:
        yield _ZEROS
        left -= CHUNK
    if left:
        yield _ZEROS[:left]


def _drawn(count: int, draw) -> Iterator[array]:
    """``draw(k)`` -> k floats, called chunk by chunk."""
    left = count
    while left:
        k = min(left, CHUNK)
        yield _float_array(draw(k))
        left -= k


def _legacy_dims(shape: tuple[int, ...]) -> tuple[int, int]:
    """Blob::num() and channels(): LegacyShape(0), LegacyShape(1) (1 past the last axis)."""
    num = shape[0] if len(shape) >= 1 else 1
    channels = shape[1] if len(shape) >= 2 else 1
    return num, channels


def blob_values(shape: tuple[int, ...], filler: Params | Mapping | None, fill: str = "filler",
                rng: random.Random | None = None) -> Iterator[array]:
    """The blob's values as float32 arrays (native byte order) of at most CHUNK values each.

    ``fill``: "zeros", "random" (uniform in [-1, 1)) or "filler" (``filler``
    as Caffe would apply it; None -> zeros).  ValueError for an unknown
    filler type or a bilinear filler on a blob that is not 4-D and square.
    """
    count = math.prod(shape)
    if count <= 0:
        return iter(())
    rng = rng or random.Random(0)
    if fill == "zeros":
        return _zero_chunks(count)
    if fill == "random":
        r = rng.random
        return _drawn(count, lambda k: [2.0 * r() - 1.0 for _ in range(k)])
    if fill != "filler":
        raise ValueError(f"fill must be one of {', '.join(FILLS)}, not {fill!r}")
    spec = filler_spec(filler)
    if spec is None:
        return _zero_chunks(count)
    kind = spec["type"]
    num, channels = _legacy_dims(shape)
    if kind == "constant":
        value = float(spec["value"])
        if value == 0.0 and math.copysign(1.0, value) > 0:
            return _zero_chunks(count)
        one = _float_array([value])
        return _drawn(count, lambda k: one * k)
    if kind == "uniform":
        lo, hi = float(spec["min"]), float(spec["max"])
        if lo > hi:
            raise ValueError(f"uniform filler: min {lo} > max {hi}")
        return _uniform(count, lo, hi, rng)
    if kind == "gaussian":
        return _gaussian(count, float(spec["mean"]), float(spec["std"]), int(spec["sparse"]), num, rng)
    if kind in ("xavier", "msra"):
        fan_in = count // num if num else 0
        fan_out = count // channels if channels else 0
        norm = spec["variance_norm"]
        n = (fan_in + fan_out) / 2.0 if norm == "AVERAGE" else float(fan_out if norm == "FAN_OUT" else fan_in)
        if n <= 0:
            raise ValueError(f"{kind} filler: fan count {n} for shape {shape}")
        if kind == "xavier":
            scale = math.sqrt(3.0 / n)
            return _uniform(count, -scale, scale, rng)
        return _gaussian(count, 0.0, math.sqrt(2.0 / n), -1, num, rng)
    if kind == "positive_unitball":
        return _unitball(count, num, rng)
    if kind == "bilinear":
        return _bilinear(shape)
    raise ValueError(f"unknown filler type {kind!r}")


def _uniform(count: int, lo: float, hi: float, rng: random.Random) -> Iterator[array]:
    r = rng.random
    width = hi - lo
    return _drawn(count, lambda k: [lo + width * r() for _ in range(k)])


def _gaussian(count: int, mean: float, std: float, sparse: int, num: int, rng: random.Random) -> Iterator[array]:
    if std < 0:
        raise ValueError(f"gaussian filler: std {std} < 0")
    if sparse < -1:
        raise ValueError(f"gaussian filler: sparse {sparse} < -1")
    g = rng.gauss
    if sparse == -1:
        return _drawn(count, lambda k: [g(mean, std) for _ in range(k)])
    # Caffe: x *= Bernoulli(sparse / num_outputs) mask, num_outputs = shape(0).
    # One draw of each per value, so the values do not depend on the chunk size.
    p = sparse / num
    r = rng.random

    def draw(k: int) -> list[float]:
        out = []
        for _ in range(k):
            v = g(mean, std)
            out.append(v if r() < p else 0.0)
        return out

    return _drawn(count, draw)


def _unitball(count: int, num: int, rng: random.Random) -> Iterator[array]:
    """Rows of count/num uniform [0, 1) values, each divided by its row's sum.

    A row longer than a chunk is drawn twice from the same generator state
    (once to sum it, once to write it), so memory stays at one chunk."""
    dim = count // num
    r = rng.random
    for _ in range(num):
        if dim <= CHUNK:
            row = [r() for _ in range(dim)]
            total = sum(row)
            yield _float_array([v / total for v in row])
            continue
        state = rng.getstate()
        total = 0.0
        left = dim
        while left:
            k = min(left, CHUNK)
            total += sum(r() for _ in range(k))
            left -= k
        rng.setstate(state)
        yield from _drawn(dim, lambda k, total=total: [r() / total for _ in range(k)])


def _bilinear(shape: tuple[int, ...]) -> Iterator[array]:
    if len(shape) != 4:
        raise ValueError(f"bilinear filler: the blob must be 4-D, not {shape}")
    h, w = shape[2], shape[3]
    if h != w:
        raise ValueError(f"bilinear filler: the kernel must be square, not {h}x{w}")
    f = math.ceil(w / 2.0)
    c = (2 * f - 1 - f % 2) / (2.0 * f)
    kernel = _float_array([(1 - abs((i % w) / f - c)) * (1 - abs(((i // w) % h) / f - c)) for i in range(h * w)])
    return _repeated(kernel * max(1, CHUNK // (h * w)), math.prod(shape))


def _repeated(block: array, count: int) -> Iterator[array]:
    left = count
    while left:
        k = min(left, len(block))
        yield block if k == len(block) else block[:k]
        left -= k


# ------------------------------------------------------------------ messages
class _Encoder:
    """Message classes and the per-style field numbers."""

    def __init__(self, schema, style: str, legacy_shapes: bool) -> None:
        from ..schema.descriptors import message_class
        from ..schema.loader import bundled_schema

        if style not in STYLES:
            raise ValueError(f"style must be one of {', '.join(STYLES)}, not {style!r}")
        self.schema = schema or bundled_schema()
        self.style = style
        self.legacy = legacy_shapes
        self.Net = message_class(self.schema, "NetParameter")
        self.Blob = message_class(self.schema, "BlobProto")
        self.Shape = message_class(self.schema, "BlobShape")
        if style == "V2":
            self.Layer = message_class(self.schema, "LayerParameter")
            self.layer_key = encode_key(100, LEN)
            self.blob_key = encode_key(7, LEN)
        else:
            self.Layer = message_class(self.schema, "V1LayerParameter")
            self.layer_key = encode_key(2, LEN)
            self.blob_key = encode_key(6, LEN)
            self._v1 = self._v1_numbers()
        self.data_key = encode_key(5, LEN)

    def _v1_numbers(self) -> dict[str, int]:
        from ..layers.registry import all_types, lookup

        enum = self.schema.enum("V1LayerParameter.LayerType")
        if enum is None:
            raise ValueError("the schema has no V1LayerParameter.LayerType enum: cannot write V1 layers")
        out = {}
        for type_name in all_types():
            spec = lookup(type_name)
            value = enum.values.get(spec.v1_name) if spec is not None and spec.v1_name else None
            if value is not None:
                out[type_name] = value.number
        return out

    def layer_type(self, layer: WeightLayer):
        if self.style == "V2":
            return layer.type
        number = self._v1.get(layer.type)
        if number is None:
            raise ValueError(f"layer '{layer.name}': type {layer.type} has no V1 LayerType enum value, "
                             f"so it cannot be written as a V1 layer")
        return number

    def layer_head(self, layer: WeightLayer) -> bytes:
        return self.Layer(name=layer.name, type=self.layer_type(layer)).SerializeToString()

    def dims(self, layer: WeightLayer, shape) -> tuple[int, ...]:
        if not _known(shape):
            raise ValueError(f"layer '{layer.name}': blob shape {shape} has unknown dimensions")
        shape = tuple(int(d) for d in shape)
        if self.legacy:
            if len(shape) > 4:
                raise ValueError(f"layer '{layer.name}': a {len(shape)}-D blob {shape} has no legacy "
                                 f"num/channels/height/width form")
            shape = (1,) * (4 - len(shape)) + shape
        return shape

    def blob_parts(self, dims: tuple[int, ...]) -> tuple[bytes, bytes]:
        """(fields before data, fields after data): legacy 1-4 go first, shape 7 last."""
        if self.legacy:
            n, c, h, w = dims
            return self.Blob(num=n, channels=c, height=h, width=w).SerializeToString(), b""
        return b"", self.Blob(shape=self.Shape(dim=list(dims))).SerializeToString()

    def fill_blob(self, blob, dims: tuple[int, ...]) -> None:
        if self.legacy:
            blob.num, blob.channels, blob.height, blob.width = dims
        else:
            blob.shape.SetInParent()
            blob.shape.dim.extend(dims)


def _check_fill(fill: str) -> None:
    if fill not in FILLS:
        raise ValueError(f"fill must be one of {', '.join(FILLS)}, not {fill!r}")


def _filler_at(layer: WeightLayer, i: int):
    return layer.fillers[i] if i < len(layer.fillers) else None


def write_caffemodel(dest, layers: Sequence[WeightLayer], *, name: str = "", fill: str = "filler",
                     seed: int = 0, style: str = "V2", legacy_shapes: bool = False, schema=None) -> int:
    """Write a .caffemodel for ``layers`` to ``dest`` (a path, or a binary file object); returns its size.

    ``style="V2"``: NetParameter ``layer`` (field 100) LayerParameters with
    the V2 type string; ``"V1"``: ``layers`` (field 2) V1LayerParameters
    whose type is the V1 LayerType enum value (ValueError for a type that
    has none, e.g. BatchNorm).  ``legacy_shapes``: each blob gives
    num/channels/height/width (shapes padded to 4-D with leading 1s;
    ValueError beyond 4-D) instead of ``shape { dim }``.  ``fill``: see
    :func:`blob_values`.  ``schema``: whose message classes to use (default
    the bundled BVLC schema).  On any error a file written at a path is
    removed, so no half model is left behind.
    """
    _check_fill(fill)
    enc = _Encoder(schema, style, legacy_shapes)
    if hasattr(dest, "write"):
        return _write(dest, layers, enc, name, fill, seed)
    path = os.fspath(dest)
    try:
        with open(path, "wb", buffering=1 << 20) as fh:
            return _write(fh, layers, enc, name, fill, seed)
    except BaseException:
        try:
            os.unlink(path)
        except OSError:
            pass
        raise


def _write(fh, layers: Sequence[WeightLayer], enc: _Encoder, name: str, fill: str, seed: int) -> int:
    big_endian = sys.byteorder == "big"
    total = 0

    def put(data) -> None:
        nonlocal total
        fh.write(data)
        total += len(data) if not isinstance(data, array) else len(data) * data.itemsize

    if name:
        put(enc.Net(name=name).SerializeToString())
    for li, layer in enumerate(layers):
        head = enc.layer_head(layer)
        plans = []
        body = len(head)
        for shape in layer.shapes:
            dims = enc.dims(layer, shape)
            before, after = enc.blob_parts(dims)
            count = math.prod(dims)
            data = enc.data_key + encode_varint(4 * count) if count > 0 else b""
            size = len(before) + len(data) + (4 * count if count > 0 else 0) + len(after)
            plans.append((dims, before, data, after, count, size))
            body += len(enc.blob_key) + len(encode_varint(size)) + size
        put(enc.layer_key + encode_varint(body) + head)
        for bi, (dims, before, data, after, count, size) in enumerate(plans):
            put(enc.blob_key + encode_varint(size) + before + data)
            if count > 0:
                written = 0
                for chunk in blob_values(dims, _filler_at(layer, bi), fill, _seeded(seed, li, bi)):
                    if big_endian:
                        chunk = array("f", chunk)
                        chunk.byteswap()
                    put(chunk)
                    written += len(chunk)
                if written != count:  # a filler bug would otherwise corrupt every length after it
                    raise AssertionError(f"layer '{layer.name}' blob {bi}: wrote {written} of {count} values")
            if after:
                put(after)
    return total


def build_net_message(layers: Sequence[WeightLayer], *, name: str = "", fill: str = "filler", seed: int = 0,
                      style: str = "V2", legacy_shapes: bool = False, schema=None):
    """The NetParameter :func:`write_caffemodel` streams, as a protobuf message.

    Holds every value in memory: for small models and cross-checks
    (``build_net_message(...).SerializeToString()`` equals the written file).
    """
    _check_fill(fill)
    enc = _Encoder(schema, style, legacy_shapes)
    net = enc.Net()
    if name:
        net.name = name
    for li, layer in enumerate(layers):
        lp = net.layer.add() if style == "V2" else net.layers.add()
        lp.name = layer.name
        lp.type = enc.layer_type(layer)
        for bi, shape in enumerate(layer.shapes):
            dims = enc.dims(layer, shape)
            blob = lp.blobs.add()
            enc.fill_blob(blob, dims)
            for chunk in blob_values(dims, _filler_at(layer, bi), fill, _seeded(seed, li, bi)):
                blob.data.extend(chunk)
    return net


__all__ = ["CHUNK", "FILLER_DEFAULTS", "TYPE_FILLERS", "WeightLayer", "WeightLayers", "blob_values",
           "build_net_message", "filler_spec", "layer_fillers", "weight_layers", "write_caffemodel"]
