"""The .caffemodel writer on its own: weight_layers, each filler, chunking, errors, memory."""

from __future__ import annotations

import io
import math
import random
import statistics
import sys
import tracemalloc
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "nets"))

import netbuilder  # noqa: E402

from prototxt_ls.analysis.check import check_text  # noqa: E402
from prototxt_ls.weights import writer  # noqa: E402
from prototxt_ls.weights.reader import read_buffer  # noqa: E402
from prototxt_ls.weights.writer import (  # noqa: E402
    WeightLayer,
    blob_values,
    build_net_message,
    filler_spec,
    weight_layers,
    write_caffemodel,
)


def values(shape, filler, fill="filler", seed=0) -> list[float]:
    out: list[float] = []
    for chunk in blob_values(shape, filler, fill, random.Random(seed)):
        out.extend(chunk)
    assert len(out) == math.prod(shape)
    return out


class Sink:
    """A write-only file object that keeps nothing (for memory measurements)."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, data) -> int:
        n = memoryview(data).nbytes
        self.size += n
        return n


# ---------------------------------------------------------------- weight_layers
def test_weight_layers_of_resnet50_with_type_defaults():
    res = check_text(netbuilder.resnet50().to_v2())
    layers = weight_layers(res)
    assert layers.skipped == []
    by_type = {}
    for w in layers:
        by_type.setdefault(w.type, []).append(w)
    assert sorted(by_type) == ["BatchNorm", "Convolution", "InnerProduct", "Scale"]
    assert len(by_type["Convolution"]) == 53 and len(by_type["BatchNorm"]) == 53
    conv = by_type["Convolution"][0]
    assert conv.name == "conv1" and conv.shapes == [(64, 3, 7, 7)]
    assert filler_spec(conv.fillers[0])["type"] == "xavier"
    assert by_type["BatchNorm"][0].fillers == [None, None, None]  # statistics: zeros
    scale = by_type["Scale"][0]
    assert scale.shapes == [(64,), (64,)]
    assert filler_spec(scale.fillers[0]) == {**writer.FILLER_DEFAULTS, "value": 1.0}
    assert filler_spec(scale.fillers[1]) == writer.FILLER_DEFAULTS
    fc = by_type["InnerProduct"][0]
    assert fc.shapes == [(1000, 2048), (1000,)]
    assert sum(w.count() for w in layers if w.type != "BatchNorm") == 25_557_032


OTHER_TYPES = """
layer { name: "data" type: "Input" top: "data" top: "ids"
  input_param { shape { dim: 1 dim: 4 dim: 8 dim: 8 } shape { dim: 1 dim: 5 } } }
layer { name: "e" type: "Embed" bottom: "ids" top: "e"
  embed_param { num_output: 6 input_dim: 100 weight_filler { type: "uniform" min: 2 max: 3 }
    bias_filler { type: "constant" value: 7 } } }
layer { name: "b" type: "Bias" bottom: "data" top: "b" bias_param { filler { type: "constant" value: 0.5 } } }
layer { name: "pr" type: "PReLU" bottom: "b" top: "pr" prelu_param { filler { type: "constant" value: 0.1 } } }
layer { name: "sc" type: "Scale" bottom: "pr" top: "sc"
  scale_param { filler { type: "constant" value: 3 } bias_term: true bias_filler { type: "constant" value: 4 } } }
layer { name: "up" type: "Deconvolution" bottom: "sc" top: "up"
  convolution_param { num_output: 4 group: 4 kernel_size: 4 stride: 2 pad: 1 bias_term: false
    weight_filler { type: "bilinear" } } }
"""


def test_weight_layers_of_other_types_and_their_written_fillers():
    res = check_text(OTHER_TYPES)
    layers = weight_layers(res)
    assert [(w.name, w.type, w.shapes) for w in layers] == [
        ("e", "Embed", [(100, 6), (6,)]), ("b", "Bias", [(4,)]), ("pr", "PReLU", [(4,)]),
        ("sc", "Scale", [(4,), (4,)]), ("up", "Deconvolution", [(4, 1, 4, 4)])]
    msg = build_net_message(layers, fill="filler")
    data = {layer.name: [list(b.data) for b in layer.blobs] for layer in msg.layer}
    assert all(2 <= v < 3 for v in data["e"][0]) and data["e"][1] == [7.0] * 6
    assert data["b"] == [[0.5] * 4]
    assert data["pr"] == [[pytest.approx(0.1)] * 4]
    assert data["sc"] == [[3.0] * 4, [4.0] * 4]
    row = [0.25, 0.75, 0.75, 0.25]  # Caffe's bilinear kernel for K = 4 (f = 2, c = 0.75)
    kernel = [a * b for a in row for b in row]
    assert data["up"] == [kernel * 4]


def test_weight_layers_unknown_dims_raise_or_are_skipped():
    text = """
layer { name: "d" type: "Data" top: "data" top: "label" data_param { source: "x" batch_size: 4 backend: LMDB } }
layer { name: "c" type: "Convolution" bottom: "data" top: "c" convolution_param { num_output: 8 kernel_size: 3 } }
layer { name: "e" type: "Embed" bottom: "label" top: "e" embed_param { num_output: 8 input_dim: 100 } }
"""
    res = check_text(text)
    with pytest.raises(ValueError, match=r"unknown dimensions in 1 layer\(s\) of the TRAIN phase: c"):
        weight_layers(res)
    layers = weight_layers(res, skip_unknown=True)
    assert [w.name for w in layers] == ["e"] and layers.skipped == ["c"]


def test_weight_layers_phase_and_non_net_errors():
    res = check_text(netbuilder.lenet().to_v2())
    assert [w.name for w in weight_layers(res, "TEST")] == ["conv1", "conv2", "ip1", "ip2"]
    with pytest.raises(ValueError, match="no phase"):
        weight_layers(res, "VAL")
    with pytest.raises(ValueError, match="no analysed net"):
        weight_layers(check_text('net: "x.prototxt"\nbase_lr: 0.01\n'))


# ---------------------------------------------------------------- fillers
def test_constant_and_zero_fills():
    assert values((3, 2), {"type": "constant", "value": 2.5}) == [2.5] * 6
    assert values((3, 2), None) == [0.0] * 6
    assert values((3, 2), {"type": "uniform"}, fill="zeros") == [0.0] * 6
    assert values((0, 5), {"type": "gaussian"}) == []


def test_uniform_gaussian_and_sparse():
    u = values((200, 50), {"type": "uniform", "min": -2, "max": 6}, seed=1)
    assert -2 <= min(u) < -1.99 and 5.99 < max(u) <= 6
    assert statistics.fmean(u) == pytest.approx(2, abs=0.1)
    g = values((200, 50), {"type": "gaussian", "mean": 1.0, "std": 0.5}, seed=2)
    assert statistics.fmean(g) == pytest.approx(1.0, abs=0.02)
    assert statistics.pstdev(g) == pytest.approx(0.5, rel=0.03)
    # sparse: each value kept with probability sparse / num_outputs
    s = values((100, 400), {"type": "gaussian", "std": 1.0, "sparse": 25}, seed=3)
    assert sum(v != 0 for v in s) / len(s) == pytest.approx(0.25, abs=0.02)


@pytest.mark.parametrize("norm,n", [("FAN_IN", 30 * 3 * 3), ("FAN_OUT", 20 * 3 * 3), ("AVERAGE", 25 * 3 * 3),
                                    (1, 20 * 3 * 3)])
def test_xavier_and_msra_scale_by_variance_norm(norm, n):
    shape = (20, 30, 3, 3)
    x = values(shape, {"type": "xavier", "variance_norm": norm}, seed=4)
    bound = math.sqrt(3 / n)
    assert -bound <= min(x) < -0.98 * bound and 0.98 * bound < max(x) <= bound
    m = values(shape, {"type": "msra", "variance_norm": norm}, seed=5)
    assert statistics.pstdev(m) == pytest.approx(math.sqrt(2 / n), rel=0.05)


def test_positive_unitball_rows_sum_to_one():
    u = values((7, 3, 5), {"type": "positive_unitball"}, seed=6)
    for r in range(7):
        row = u[r * 15:(r + 1) * 15]
        assert all(v >= 0 for v in row) and sum(row) == pytest.approx(1.0, rel=1e-5)


def test_bilinear_matches_caffe_for_odd_and_even_kernels():
    def caffe(k):
        f = math.ceil(k / 2)
        c = (2 * f - 1 - f % 2) / (2 * f)
        return [(1 - abs(x / f - c)) * (1 - abs(y / f - c)) for y in range(k) for x in range(k)]

    for k in (1, 2, 3, 4, 5, 16):
        got = values((2, 3, k, k), {"type": "bilinear"})
        assert got == pytest.approx(caffe(k) * 6, abs=1e-6)


@pytest.mark.parametrize("shape,filler,message", [
    ((4, 4, 4), {"type": "bilinear"}, "must be 4-D"),
    ((1, 1, 3, 4), {"type": "bilinear"}, "must be square"),
    ((3, 3), {"type": "kaiming"}, "unknown filler type 'kaiming'"),
    ((3, 3), {"type": "uniform", "min": 1, "max": 0}, "min 1.0 > max 0.0"),
    ((3, 3), {"type": "gaussian", "std": -1}, "std -1.0 < 0"),
])
def test_filler_errors_are_raised_before_any_value(shape, filler, message):
    with pytest.raises(ValueError, match=message):
        blob_values(shape, filler)  # eagerly: no iteration needed


def test_values_do_not_depend_on_the_chunk_size(monkeypatch):
    cases = [((50, 41), {"type": "uniform"}), ((50, 41), {"type": "gaussian", "std": 2}),
             ((30, 77), {"type": "positive_unitball"}), ((3, 5, 9, 9), {"type": "bilinear"}),
             ((50, 41), {"type": "constant", "value": 3}), ((50, 41), {"type": "xavier"}),
             ((50, 41), {"type": "gaussian", "sparse": 5})]
    whole = [values(s, f, seed=9) for s, f in cases]
    assert values((50, 41), None, fill="random", seed=9) == values((50, 41), None, fill="random", seed=9)
    monkeypatch.setattr(writer, "CHUNK", 64)  # rows of 77 > one chunk: unitball draws each row twice
    for (s, f), ref in zip(cases, whole):
        chunks = list(blob_values(s, f, "filler", random.Random(9)))
        assert max(len(c) for c in chunks) <= (81 if f["type"] == "bilinear" else 64)  # whole 9x9 kernels
        assert [v for c in chunks for v in c] == ref
    assert values((1000,), None) == [0.0] * 1000


# ---------------------------------------------------------------- writing
def test_write_to_a_file_object_and_unicode_and_duplicate_names():
    layers = [WeightLayer("conv/ü", "Convolution", [(2, 1, 1, 1)], [{"type": "constant", "value": 1}]),
              WeightLayer("conv/ü", "InnerProduct", [(3, 2), (3,)])]
    out = io.BytesIO()
    size = write_caffemodel(out, layers, name="naïve")
    info = read_buffer(out.getvalue())
    assert size == len(out.getvalue())
    assert info.name == "naïve"
    assert [(m.name, m.type, [b.shape for b in m.blobs]) for m in info.layers] == [
        ("conv/ü", "Convolution", [(2, 1, 1, 1)]), ("conv/ü", "InnerProduct", [(3, 2), (3,)])]


def test_no_name_and_empty_blob_list():
    out = io.BytesIO()
    write_caffemodel(out, [WeightLayer("a", "ReLU", [])])
    assert out.getvalue() == build_net_message([WeightLayer("a", "ReLU", [])]).SerializeToString()
    assert read_buffer(out.getvalue()).layers[0].blobs == []


def test_v1_needs_a_v1_type_and_a_failed_write_leaves_no_file(tmp_path):
    path = tmp_path / "resnet.caffemodel"
    layers = weight_layers(check_text(netbuilder.resnet50().to_v2()))
    with pytest.raises(ValueError, match="type BatchNorm has no V1 LayerType"):
        write_caffemodel(path, layers, style="V1", fill="zeros")
    assert not path.exists()
    with pytest.raises(ValueError, match="5-D blob"):
        write_caffemodel(path, [WeightLayer("c3d", "Convolution", [(2, 2, 2, 2, 2)])], legacy_shapes=True)
    assert not path.exists()
    with pytest.raises(ValueError, match="unknown dimensions"):
        write_caffemodel(path, [WeightLayer("c", "Convolution", [(2, None)])])
    assert not path.exists()
    with pytest.raises(ValueError, match="fill must be"):
        write_caffemodel(path, [], fill="ones")
    with pytest.raises(ValueError, match="style must be"):
        write_caffemodel(path, [], style="V0")
    assert not path.exists()


def test_v1_types_are_the_enum_values():
    layers = weight_layers(check_text(netbuilder.lenet().to_v2()))
    msg = build_net_message(layers, style="V1", fill="zeros")
    assert {layer.type for layer in msg.layers} == {4, 14}  # CONVOLUTION, INNER_PRODUCT
    assert len(msg.layer) == 0


def test_streaming_memory_is_one_chunk_not_the_model(monkeypatch):
    """AlexNet's 61 M zeros (244 MB) with a few MB of Python allocations; random values likewise."""
    layers = weight_layers(check_text(netbuilder.alexnet().to_v2()))
    sink = Sink()
    tracemalloc.start()
    try:
        write_caffemodel(sink, layers, fill="zeros")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sink.size > 243_000_000
    assert peak < 4_000_000, peak

    big = [WeightLayer("fc", "InnerProduct", [(256, 1024)])]  # 262,144 values, 1 MB
    monkeypatch.setattr(writer, "CHUNK", 4096)
    sink = Sink()
    tracemalloc.start()
    try:
        write_caffemodel(sink, big, fill="random")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sink.size > 4 * 256 * 1024
    assert peak < 400_000, peak  # one chunk of 4096 values, not the blob
