"""Fuzz the streaming .caffemodel reader: whatever the bytes, only CaffemodelError escapes.

Inputs are small models written by ``prototxt_ls.weights.writer`` (V2 and V1,
``shape`` and legacy blobs, random values so the float bytes are not all
zero), then truncated at every offset, flipped at random (seeded), and
hand-made hostile files: huge length prefixes, over-long varints, group and
invalid wire types, garbage nested inside a layer or a blob, a text
prototxt, random bytes.  Memory is checked with tracemalloc: the float data
is skipped, never decoded, and a length prefix claiming a terabyte costs
nothing.
"""

from __future__ import annotations

import io
import random
import sys
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "nets"))

import netbuilder  # noqa: E402

from prototxt_ls.analysis.check import check_text  # noqa: E402
from prototxt_ls.weights.reader import CaffemodelError, read_buffer, read_caffemodel  # noqa: E402
from prototxt_ls.weights.wire import FIXED32, FIXED64, LEN, VARINT, encode_key, encode_varint  # noqa: E402
from prototxt_ls.weights.writer import WeightLayer, weight_layers, write_caffemodel  # noqa: E402

TB = 1 << 40


def small_layers() -> list[WeightLayer]:
    """LeNet's layers with every dimension cut to at most 3: a model of a few hundred bytes."""
    layers = weight_layers(check_text(netbuilder.lenet().to_v2()))
    return [WeightLayer(w.name, w.type, [tuple(min(d, 3) for d in s) for s in w.shapes]) for w in layers]


def model(style: str = "V2", legacy: bool = False, fill: str = "random", layers=None) -> bytes:
    out = io.BytesIO()
    write_caffemodel(out, layers or small_layers(), name="lenet", fill=fill, style=style, legacy_shapes=legacy)
    return out.getvalue()


MODELS = {f"{s}{'-legacy' if g else ''}": model(s, g) for s in ("V2", "V1") for g in (False, True)}


def top_level_boundaries(data: bytes) -> set[int]:
    """Offsets where a top-level field starts or the file ends (all fields here are LEN)."""
    from prototxt_ls.weights.wire import fields

    out = {0, len(data)}
    for _n, _w, _v, stop, _at in fields(data, 0, len(data)):
        out.add(stop)
    return out


def read(data: bytes):
    """read_buffer, letting only CaffemodelError out (anything else fails the test)."""
    try:
        return read_buffer(data)
    except CaffemodelError as exc:
        assert str(exc)
        return exc


def summary(info) -> list:
    return [(m.name, m.type, [(b.shape, b.legacy, b.stored) for b in m.blobs]) for m in info.layers]


# ---------------------------------------------------------------- truncation
@pytest.mark.parametrize("kind", list(MODELS))
def test_every_truncation(kind):
    data = MODELS[kind]
    full = summary(read_buffer(data))
    assert len(full) == 4
    boundaries = top_level_boundaries(data)
    name_only = min(b for b in boundaries if b > 0)  # the NetParameter name field comes first
    for cut in range(len(data)):
        got = read(data[:cut])
        if isinstance(got, CaffemodelError):
            if cut in (0, name_only):
                assert got.offset is None  # empty file / a name and no layers: nothing points anywhere
            else:
                # a varint missing at the very end is reported where it should start: offset == cut
                assert got.offset is not None and 0 <= got.offset <= cut, (cut, got)
                assert f"at byte {got.offset}" in str(got)
        else:
            # protobuf cannot tell a cut between two layers from a smaller model
            assert cut in boundaries, cut
            assert summary(got) == full[:len(got.layers)]


def test_truncated_files_on_disk(tmp_path):
    data = MODELS["V2"]
    rng = random.Random(11)
    boundaries = top_level_boundaries(data)
    path = tmp_path / "cut.caffemodel"
    for cut in sorted(rng.sample(range(len(data)), 25)):
        path.write_bytes(data[:cut])
        try:
            info = read_caffemodel(path)
        except CaffemodelError as exc:
            assert exc.path == str(path) and str(path) in str(exc)
        else:
            assert cut in boundaries and info.size == cut


# ---------------------------------------------------------------- byte flips
@pytest.mark.parametrize("kind", list(MODELS))
def test_random_byte_flips(kind):
    data = MODELS[kind]
    rng = random.Random(sum(map(ord, kind)))
    outcomes = {"error": 0, "read": 0}
    for _ in range(150):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(mutated))
            if rng.random() < 0.5:
                mutated[at] = rng.randrange(256)
            else:
                mutated[at] ^= 1 << rng.randrange(8)
        got = read(bytes(mutated))
        outcomes["error" if isinstance(got, CaffemodelError) else "read"] += 1
    assert outcomes["error"] > 0 and outcomes["read"] > 0  # both paths exercised


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_hypothesis_random_bytes(data):
    read(data)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(MODELS)), st.data())
def test_hypothesis_splices(kind, draw):
    """Cut a piece out of a model, or insert random bytes into it."""
    data = MODELS[kind]
    start = draw.draw(st.integers(0, len(data)))
    stop = draw.draw(st.integers(start, min(len(data), start + 40)))
    insert = draw.draw(st.binary(max_size=12))
    read(data[:start] + insert + data[stop:])


# ---------------------------------------------------------------- differential
def _protobuf_view(msg) -> list:
    """What the reader should report, from a parsed NetParameter (V1 types as V2 names, file order
    aside: protobuf keeps V1 ``layers`` and V2 ``layer`` apart, so the comparison sorts)."""
    from prototxt_ls.layers.registry import by_v1
    from prototxt_ls.schema.loader import bundled_schema

    enum = bundled_schema().enum("V1LayerParameter.LayerType")
    v1 = {v.number: by_v1(v.name) or v.name for v in enum.values.values()}

    def text(x):
        return x.decode("utf-8", "replace") if isinstance(x, bytes) else x

    def shape(b):
        if any(b.HasField(f) for f in ("num", "channels", "height", "width")) and not b.HasField("shape"):
            return (b.num, b.channels, b.height, b.width)
        return tuple(b.shape.dim) if b.HasField("shape") else ()

    out = []
    for layer in msg.layers:
        if layer.HasField("layer"):
            out.append((text(layer.layer.name), text(layer.layer.type), [shape(b) for b in layer.layer.blobs]))
        else:
            # an enum number protobuf does not know goes to unknown fields: no type
            kind = v1[layer.type] if layer.HasField("type") else ""
            out.append((text(layer.name), kind, [shape(b) for b in layer.blobs]))
    out.extend((text(x.name), text(x.type), [shape(b) for b in x.blobs]) for x in msg.layer)
    return sorted(out)


@pytest.mark.parametrize("kind", list(MODELS))
def test_reader_agrees_with_protobuf_on_mutated_models(kind):
    """Where both the reader and ``NetParameter.ParseFromString`` accept a mutated file, they see
    the same layers.  (The reader may accept more: it does not validate fields it skips, such as a
    packed ``double_diff`` of 3 bytes; it rejects groups, which protobuf skips as unknown fields.)"""
    from google.protobuf.message import DecodeError

    from prototxt_ls.schema.descriptors import message_class
    from prototxt_ls.schema.loader import bundled_schema

    net_cls = message_class(bundled_schema(), "NetParameter")
    data = MODELS[kind]
    rng = random.Random(f"diff-{kind}")
    compared = 0
    for _ in range(300):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 3)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        got = read(bytes(mutated))
        msg = net_cls()
        try:
            msg.ParseFromString(bytes(mutated))
        except DecodeError:
            continue
        if isinstance(got, CaffemodelError):
            assert "wire type 3" in got.message or "wire type 4" in got.message, got  # groups only
            continue
        mine = sorted((m.name, "" if m.type.isdigit() else m.type, [b.shape for b in m.blobs]) for m in got.layers)
        assert mine == _protobuf_view(msg)
        compared += 1
    assert compared > 150


def test_legacy_dims_win_over_shape_as_in_caffe():
    blob = encode_key(1, VARINT) + b"\x02" + field(7, field(1, b"\x05"))  # num: 2, shape { dim: 5 }
    info = read_buffer(field(100, field(1, b"ip") + field(7, blob)))
    assert info.layers[0].blobs[0].shape == (2, 0, 0, 0) and info.layers[0].blobs[0].legacy


# ---------------------------------------------------------------- hostile inputs
def field(number: int, payload: bytes) -> bytes:
    return encode_key(number, LEN) + encode_varint(len(payload)) + payload


def good_layer() -> bytes:
    return MODELS["V2"][top_level_sorted()[1]:top_level_sorted()[2]]


def top_level_sorted() -> list[int]:
    return sorted(top_level_boundaries(MODELS["V2"]))


HOSTILE = {
    "length prefix 2^62": encode_key(100, LEN) + encode_varint(1 << 62) + b"\x00" * 16,
    "length prefix 1 TB after a layer": None,  # filled below: needs good_layer()
    "20-byte varint key": b"\xff" * 19 + b"\x01",
    "20-byte varint length": encode_key(100, LEN) + b"\x80" * 19 + b"\x01",
    "wire type 3 (start group)": encode_key(100, 3) + b"\x00" * 8,
    "wire type 4 (end group)": encode_key(2, 4) + b"\x00" * 8,
    "wire type 6": encode_key(100, 6) + b"\x00" * 8,
    "wire type 7": encode_key(7, 7) + b"\x00" * 8,
    "field number 0": b"\x02\x00",
    "truncated fixed64": encode_key(9, FIXED64) + b"\x00" * 3,
    "truncated fixed32": encode_key(9, FIXED32) + b"\x00",
    "garbage in a layer": field(100, field(1, b"conv1") + b"\xff\xff\xff"),
    "wire type 6 in a blob": field(100, field(1, b"c") + field(7, encode_key(5, 6) + b"\x00")),
    "blob claims more than its layer": field(100, field(1, b"c") + encode_key(7, LEN) + encode_varint(TB)),
    "garbage in a blob shape": field(100, field(7, field(7, b"\x0a\x05\x01\x02"))),
    "truncated packed dim": field(100, field(7, field(7, field(1, b"\x80")))),
    "garbage in a V0 inner layer": field(2, field(1, encode_key(3, 7))),
    "garbage in a V1 blob": field(2, field(4, b"fc") + field(6, b"\x08")),
    "text prototxt": b'name: "LeNet"\nlayer {\n  name: "conv1"\n  type: "Convolution"\n}\n',
    "JSON": b'{"layer": [{"name": "conv1"}]}',
    "PNG header": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "a lone varint": encode_key(1, VARINT),
}


HOSTILE["length prefix 1 TB after a layer"] = good_layer() + encode_key(100, LEN) + encode_varint(TB) + b"\x00" * 64


def test_deeply_nested_unknown_fields_are_skipped_as_protobuf_does():
    """200 levels of field 100 inside a layer: the reader never descends into fields it does not
    need (its depth is fixed), and protobuf keeps them as unknown fields; both read one layer."""
    from prototxt_ls.schema.descriptors import message_class
    from prototxt_ls.schema.loader import bundled_schema

    payload = field(1, b"deep")
    for _ in range(200):
        payload = field(100, payload)
    data = field(100, field(1, b"conv") + field(2, b"Convolution") + payload)
    info = read_buffer(data)
    assert [(m.name, m.type, m.blobs) for m in info.layers] == [("conv", "Convolution", [])]
    msg = message_class(bundled_schema(), "NetParameter")()
    msg.ParseFromString(data)
    assert [layer.name for layer in msg.layer] == ["conv"]


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_input_names_the_byte(name):
    data = HOSTILE[name]
    with pytest.raises(CaffemodelError) as info:
        read_buffer(data, "hostile.caffemodel")
    exc = info.value
    assert exc.offset is not None and 0 <= exc.offset <= len(data)
    assert str(exc).startswith("hostile.caffemodel: ") and f"at byte {exc.offset}" in str(exc)


def test_hostile_offsets_point_at_the_bad_field():
    layer = good_layer()
    exc = read(HOSTILE["length prefix 1 TB after a layer"])
    assert exc.offset == len(layer) and "claims 1099511627776 bytes" in exc.message
    exc = read(HOSTILE["garbage in a layer"])
    assert exc.offset == len(HOSTILE["garbage in a layer"]) - 3


@pytest.mark.parametrize("data,message", [
    (b"", "the file is empty"),
    (field(1, b"just a name"), "no layers found"),
    (encode_key(3, LEN) + b"\x04data" + encode_key(4, VARINT) + b"\x01", "no layers found"),  # a deploy header
])
def test_no_model_at_all(data, message):
    exc = read(data)
    assert isinstance(exc, CaffemodelError) and message in exc.message


def test_random_bytes_seeded():
    rng = random.Random(5)
    errors = 0
    for size in (1, 2, 3, 7, 64, 500, 4096):
        for _ in range(15):
            got = read(rng.randbytes(size))
            errors += isinstance(got, CaffemodelError)
    assert errors > 90


def test_empty_and_missing_files(tmp_path):
    empty = tmp_path / "empty.caffemodel"
    empty.write_bytes(b"")
    with pytest.raises(CaffemodelError, match="the file is empty"):
        read_caffemodel(empty)
    with pytest.raises(CaffemodelError, match="cannot read"):
        read_caffemodel(tmp_path / "missing.caffemodel")
    with pytest.raises(CaffemodelError, match="cannot read"):
        read_caffemodel(tmp_path)  # a directory


# ---------------------------------------------------------------- memory
def traced_peak(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_for_a_terabyte_length_prefix(tmp_path):
    """A 1 MB file whose second layer claims 1 TB: rejected, with a peak far below the file size."""
    data = HOSTILE["length prefix 1 TB after a layer"] + b"\x00" * 1_000_000
    path = tmp_path / "hostile.caffemodel"
    path.write_bytes(data)
    read_buffer(MODELS["V2"])  # warm the V1 type table outside the measurement

    def go():
        with pytest.raises(CaffemodelError, match="claims 1099511627776 bytes"):
            read_caffemodel(path)

    peak = traced_peak(go)
    assert peak < len(data) / 10, peak
    assert traced_peak(lambda: read(data)) < len(data) / 10


def test_memory_for_a_real_model_skips_the_floats(tmp_path):
    """LeNet's 431,080 floats (1.7 MB): read with a small fraction of the file in Python memory."""
    layers = weight_layers(check_text(netbuilder.lenet().to_v2()))
    path = tmp_path / "lenet.caffemodel"
    size = write_caffemodel(path, layers, fill="zeros")
    read_caffemodel(path)
    peak = traced_peak(lambda: read_caffemodel(path))
    assert peak < size / 20, (peak, size)


def test_packed_float_data_must_be_whole_floats():
    from prototxt_ls.weights.reader import CaffemodelError, read_buffer
    from prototxt_ls.weights.wire import LEN, encode_key, encode_varint

    def field(n, payload):
        return encode_key(n, LEN) + encode_varint(len(payload)) + payload

    blob = field(7, field(1, b"\x02")) + field(5, b"\x00" * 7)
    data = field(100, field(1, b"ip") + field(7, blob))
    with pytest.raises(CaffemodelError, match="not a whole number of floats"):
        read_buffer(data)
