"""Write .caffemodel files for real nets, read them back three ways, and compare.

For AlexNet and ResNet-50 (``tests/nets/netbuilder.py``), in V2 and V1
format, with ``shape { dim }`` and legacy num/channels/height/width blobs:

* ``read_caffemodel`` (the streaming reader) finds every layer with exactly
  the weight shapes ``check_text`` expects for the net;
* protobuf's ``NetParameter.ParseFromString`` accepts the file, and agrees
  with the reader layer by layer (names, types, shapes, value counts);
* the streamed bytes equal ``build_net_message(...).SerializeToString()``
  (small models, every fill mode), so the writer's hand-made length prefixes
  are exactly protobuf's.

The big files are written with zeros (disk speed) and deleted after each test.
"""

from __future__ import annotations

import functools
import io
import math
import statistics
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "nets"))

import netbuilder  # noqa: E402

from prototxt_ls.analysis.check import check_text  # noqa: E402
from prototxt_ls.schema.descriptors import message_class  # noqa: E402
from prototxt_ls.schema.loader import bundled_schema  # noqa: E402
from prototxt_ls.weights.reader import read_buffer, read_caffemodel  # noqa: E402
from prototxt_ls.weights.writer import build_net_message, weight_layers, write_caffemodel  # noqa: E402

# Published parameter counts (see tests/nets/test_golden_nets.py); ResNet-50's
# 25,557,032 excludes the BatchNorm statistics, which a .caffemodel stores:
# 53 BatchNorm layers x (mean C + variance C + 1 scale factor).
ALEXNET_PARAMS = 60_965_224
RESNET50_PARAMS = 25_557_032


def _net_param():
    return message_class(bundled_schema(), "NetParameter")


def _v1_names() -> dict[int, str]:
    from prototxt_ls.layers.registry import by_v1

    enum = bundled_schema().enum("V1LayerParameter.LayerType")
    return {v.number: by_v1(v.name) or v.name for v in enum.values.values()}


@functools.cache
def analysed(builder: str, fmt: str = "v2"):
    res = check_text(getattr(getattr(netbuilder, builder)(), f"to_{fmt}")())
    assert res.net is not None
    return res


def expected(builder: str, legacy: bool = False, fmt: str = "v2") -> list[tuple[str, str, list[tuple[int, ...]]]]:
    """(name, type, weight shapes) of each TRAIN-phase layer with weights, straight from the analysis."""
    out = []
    for lr in analysed(builder, fmt).net.phases["TRAIN"].layers:
        if lr.weights:
            shapes = [tuple(s) for s in lr.weights]
            if legacy:
                shapes = [(1,) * (4 - len(s)) + s for s in shapes]
            out.append((lr.layer.name, lr.layer.type, shapes))
    return out


def parsed_layers(msg, style: str) -> list[tuple[str, str, list[tuple[int, ...]], list[int]]]:
    """(name, V2 type, shapes, value counts) per layer of a parsed NetParameter."""
    v1 = _v1_names()
    out = []
    for layer in (msg.layer if style == "V2" else msg.layers):
        shapes = []
        for b in layer.blobs:
            if b.HasField("shape"):
                shapes.append(tuple(b.shape.dim))
            else:
                shapes.append((b.num, b.channels, b.height, b.width))
        kind = layer.type if style == "V2" else v1[layer.type]
        out.append((layer.name, kind, shapes, [len(b.data) for b in layer.blobs]))
    return out


CASES = [
    ("alexnet", "V2", False),
    ("resnet50", "V2", False),
    ("alexnet", "V1", False),
    ("alexnet", "V1", True),
    ("resnet50", "V2", True),
]


@pytest.mark.parametrize("builder,style,legacy", CASES, ids=[f"{b}-{s}{'-legacy' if g else ''}" for b, s, g in CASES])
def test_round_trip_zeros(tmp_path, builder, style, legacy):
    layers = weight_layers(analysed(builder))
    path = tmp_path / f"{builder}.caffemodel"
    size = write_caffemodel(path, layers, name=builder, fill="zeros", style=style, legacy_shapes=legacy)
    try:
        assert path.stat().st_size == size

        # 1. the streaming reader sees the net's weight shapes
        info = read_caffemodel(path)
        assert info.name == builder
        want = expected(builder, legacy)
        got = [(m.name, m.type, [b.shape for b in m.blobs]) for m in info.layers]
        assert got == want
        assert all(m.style == style for m in info.layers)
        assert all(b.legacy == legacy for m in info.layers for b in m.blobs)
        assert all(b.stored == math.prod(b.shape) for m in info.layers for b in m.blobs)
        total = sum(b.stored for m in info.layers for b in m.blobs)
        if builder == "alexnet":
            assert total == ALEXNET_PARAMS
        else:
            bn = [m for m in info.layers if m.type == "BatchNorm"]
            assert len(bn) == 53
            assert total == RESNET50_PARAMS + sum(2 * m.blobs[0].shape[-1] + 1 for m in bn)

        # 2. protobuf parses it, and agrees with the reader layer by layer
        msg = _net_param()()
        msg.ParseFromString(path.read_bytes())
        assert msg.name == builder
        assert len(msg.layer if style == "V2" else msg.layers) == len(info.layers)
        assert len(msg.layers if style == "V2" else msg.layer) == 0
        ref = parsed_layers(msg, style)
        mine = [(m.name, m.type, [b.shape for b in m.blobs], [b.stored for b in m.blobs]) for m in info.layers]
        assert mine == ref
        del msg
    finally:
        path.unlink(missing_ok=True)


@pytest.mark.parametrize("fmt", ["v2", "v1", "v0"])
def test_old_format_prototxt_gives_the_same_model(fmt):
    """LeNet written as a V2, V1 or V0 prototxt gives the same weight layers (and fillers)."""
    layers = weight_layers(analysed("lenet", fmt))
    assert [(w.name, w.type, w.shapes) for w in layers] == expected("lenet")
    data = io.BytesIO()
    write_caffemodel(data, layers, fill="filler", seed=1)
    ref = io.BytesIO()
    write_caffemodel(ref, weight_layers(analysed("lenet")), fill="filler", seed=1)
    assert data.getvalue() == ref.getvalue()


@pytest.mark.parametrize("style", ["V2", "V1"])
@pytest.mark.parametrize("legacy", [False, True])
@pytest.mark.parametrize("fill", ["filler", "zeros", "random"])
def test_streamed_bytes_equal_protobuf_serialization(style, legacy, fill):
    layers = weight_layers(analysed("lenet"))
    out = io.BytesIO()
    size = write_caffemodel(out, layers, name="LeNet", fill=fill, seed=7, style=style, legacy_shapes=legacy)
    msg = build_net_message(layers, name="LeNet", fill=fill, seed=7, style=style, legacy_shapes=legacy)
    assert out.getvalue() == msg.SerializeToString()
    assert size == len(out.getvalue())
    again = _net_param()()
    again.ParseFromString(out.getvalue())
    assert again == msg


# ---------------------------------------------------------------- fillers
FILLER_NET = """
name: "fillers"
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 2 dim: 16 dim: 20 dim: 20 } } }
layer { name: "g" type: "Convolution" bottom: "data" top: "g"
  convolution_param { num_output: 64 kernel_size: 5
    weight_filler { type: "gaussian" std: 0.01 } bias_filler { type: "constant" value: 0.2 } } }
layer { name: "x" type: "Convolution" bottom: "g" top: "x"
  convolution_param { num_output: 32 kernel_size: 3 weight_filler { type: "xavier" } } }
layer { name: "m" type: "Convolution" bottom: "x" top: "m"
  convolution_param { num_output: 32 kernel_size: 3 bias_term: false weight_filler { type: "msra" } } }
layer { name: "u" type: "InnerProduct" bottom: "m" top: "u"
  inner_product_param { num_output: 10 weight_filler { type: "uniform" min: -0.5 max: 0.25 }
    bias_filler { type: "constant" value: -1 } } }
layer { name: "s" type: "Scale" bottom: "u" top: "u" scale_param { bias_term: true } }
layer { name: "p" type: "PReLU" bottom: "u" top: "u" }
"""


def test_filler_statistics_round_trip():
    res = check_text(FILLER_NET)
    layers = weight_layers(res)
    data = io.BytesIO()
    write_caffemodel(data, layers, fill="filler", seed=3)
    info = read_buffer(data.getvalue())
    assert [(m.name, [b.shape for b in m.blobs]) for m in info.layers] == [
        ("g", [(64, 16, 5, 5), (64,)]), ("x", [(32, 64, 3, 3), (32,)]), ("m", [(32, 32, 3, 3)]),
        ("u", [(10, 32 * 12 * 12), (10,)]),
        ("s", [(10,), (10,)]), ("p", [(10,)])]
    msg = _net_param()()
    msg.ParseFromString(data.getvalue())
    blobs = {layer.name: [list(b.data) for b in layer.blobs] for layer in msg.layer}

    g = blobs["g"][0]
    assert abs(statistics.fmean(g)) < 0.001
    assert statistics.pstdev(g) == pytest.approx(0.01, rel=0.05)
    assert blobs["g"][1] == [pytest.approx(0.2)] * 64

    bound = math.sqrt(3 / (64 * 3 * 3))  # xavier: fan_in = count / num
    x = blobs["x"][0]
    assert max(x) <= bound and min(x) >= -bound
    assert max(x) > 0.95 * bound and min(x) < -0.95 * bound
    assert statistics.pstdev(x) == pytest.approx(bound / math.sqrt(3), rel=0.05)
    assert set(blobs["x"][1]) == {0.0}  # no bias_filler: FillerParameter defaults, constant 0

    m = blobs["m"][0]
    assert statistics.pstdev(m) == pytest.approx(math.sqrt(2 / (32 * 9)), rel=0.05)

    u = blobs["u"][0]
    assert -0.5 <= min(u) < -0.49 and 0.24 < max(u) <= 0.25
    assert set(blobs["u"][1]) == {-1.0}
    assert blobs["s"] == [[1.0] * 10, [0.0] * 10]  # Scale: constant 1 unless a filler is given
    assert blobs["p"] == [[pytest.approx(0.25)] * 10]  # PReLU: constant 0.25

    # the same seed gives the same bytes; another seed other values
    again = io.BytesIO()
    write_caffemodel(again, layers, fill="filler", seed=3)
    assert again.getvalue() == data.getvalue()
    other = io.BytesIO()
    write_caffemodel(other, layers, fill="filler", seed=4)
    assert other.getvalue() != data.getvalue() and len(other.getvalue()) == len(data.getvalue())


def test_random_fill_is_uniform_minus_one_to_one():
    layers = weight_layers(analysed("lenet"))
    msg = build_net_message(layers[:1], fill="random", seed=5)
    values = list(msg.layer[0].blobs[0].data)
    assert -1.0 <= min(values) < -0.95 and 0.95 < max(values) < 1.0
    assert abs(statistics.fmean(values)) < 0.1


def test_benchmark_script_on_a_small_model(tmp_path):
    """benchmarks/bench_caffemodel.py end to end on LeNet (1.7 MB): three fresh subprocesses, both
    readers find the net's weight shapes, the model is deleted afterwards."""
    import importlib.util

    script = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_caffemodel.py"
    spec = importlib.util.spec_from_file_location("bench_caffemodel", script)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    r = bench.measure("lenet", repeat=1, directory=str(tmp_path))
    assert r["params"] == 431_080 and r["layers"] == 4
    assert r["best"]["ours"]["total_s"] < 1.0
    assert r["best"]["ours"]["maxrss_mb"] < 150
    assert r["best"]["protobuf"]["read_s"] > 0
    assert not list(tmp_path.iterdir())  # not kept
    assert "| ours: read_caffemodel |" in bench.report(r)
