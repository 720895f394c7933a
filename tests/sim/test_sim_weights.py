"""Loading a .caffemodel's values into the simulator, with Caffe's CopyTrainedLayersFrom rules."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "nets"))

import netbuilder  # noqa: E402

from prototxt_ls.analysis.check import check_text  # noqa: E402
from prototxt_ls.schema.descriptors import message_class  # noqa: E402
from prototxt_ls.schema.loader import bundled_schema  # noqa: E402
from prototxt_ls.sim.blobs import initial_blobs  # noqa: E402
from prototxt_ls.sim.weights import CaffemodelWeights, WeightsError, load_weights  # noqa: E402
from prototxt_ls.weights.reader import read_caffemodel  # noqa: E402
from prototxt_ls.weights.writer import build_net_message, weight_layers, write_caffemodel  # noqa: E402


def lenet_result(num_output: int = 10):
    net = netbuilder.lenet()
    net.layer("ip2").blocks["inner_product_param"]["num_output"] = num_output
    return check_text(net.to_v2())


def written_values(layers, **kw) -> dict[str, list[torch.Tensor]]:
    """What write_caffemodel stores, read back through protobuf (not through our reader)."""
    msg = build_net_message(layers, **kw)
    blobs = msg.layer if kw.get("style", "V2") == "V2" else msg.layers
    return {lp.name: [torch.tensor(list(b.data), dtype=torch.float32) for b in lp.blobs] for lp in blobs}


@pytest.mark.parametrize("style, legacy", [("V2", False), ("V2", True), ("V1", True)])
def test_values_load_exactly(tmp_path, style, legacy):
    res = lenet_result()
    layers = weight_layers(res)
    path = tmp_path / "lenet.caffemodel"
    write_caffemodel(path, layers, fill="random", seed=7, style=style, legacy_shapes=legacy)
    expected = written_values(layers, fill="random", seed=7, style=style, legacy_shapes=legacy)
    got = load_weights(path, {w.name: list(w.shapes) for w in layers})
    assert set(got) == {"conv1", "conv2", "ip1", "ip2"}
    for w in layers:
        for j, shape in enumerate(w.shapes):
            t = got[w.name][j]
            assert t.shape == shape and t.dtype == torch.float32
            assert torch.equal(t.flatten(), expected[w.name][j]), (w.name, j)


def test_reader_records_where_the_values_are(tmp_path):
    res = lenet_result()
    path = tmp_path / "m.caffemodel"
    write_caffemodel(path, weight_layers(res), fill="zeros")
    info = read_caffemodel(path)
    ip1 = info.by_name()["ip1"]
    assert [b.segments[0][1:] for b in ip1.blobs] == [(400_000, "f4"), (500, "f4")]
    assert ip1.blobs[0].stored == 400_000
    # equality and repr of BlobInfo are what they were before segments existed
    assert "segments" not in repr(ip1.blobs[0])


def test_shape_mismatch_names_layer_and_both_shapes(tmp_path):
    path = tmp_path / "ten.caffemodel"
    write_caffemodel(path, weight_layers(lenet_result(10)), fill="zeros")
    model = CaffemodelWeights(path)
    with pytest.raises(WeightsError, match=r"param 0 weights from layer 'ip2'; shape mismatch.*"
                                           r"10 500 \(5000\).*20 500 \(10000\)"):
        model.layer_blobs("ip2", [(20, 500), (20,)])


def test_blob_count_mismatch(tmp_path):
    path = tmp_path / "m.caffemodel"
    write_caffemodel(path, weight_layers(lenet_result()), fill="zeros")
    with pytest.raises(WeightsError, match="Incompatible number of blobs for layer 'conv1'"):
        CaffemodelWeights(path).layer_blobs("conv1", [(20, 1, 5, 5)])


def test_legacy_blob_matches_padded_shapes_only(tmp_path):
    path = tmp_path / "legacy.caffemodel"
    write_caffemodel(path, weight_layers(lenet_result()), fill="zeros", legacy_shapes=True)
    model = CaffemodelWeights(path)
    assert model.layer_blobs("ip2", [(10, 500), (10,)])[0].shape == (10, 500)   # 1x1x10x500 on disk
    assert model.layer_blobs("ip2", [(1, 10, 500), (1, 1, 10)])[1].shape == (1, 1, 10)
    with pytest.raises(WeightsError, match="shape mismatch"):
        model.layer_blobs("ip2", [(500, 10), (10,)])


def test_absent_layer_and_empty_blob(tmp_path):
    Net = message_class(bundled_schema(), "NetParameter")
    net = Net()
    lp = net.layer.add()
    lp.name, lp.type = "fc", "InnerProduct"
    w = lp.blobs.add()
    w.shape.dim.extend([2, 3])
    w.double_data.extend([0.5, 1.5, 2.5, 3.5, 4.5, 1e-40])  # double_data wins; read as float32
    b = lp.blobs.add()
    b.shape.dim.extend([2])  # no values: Caffe keeps the filler's
    path = tmp_path / "d.caffemodel"
    path.write_bytes(net.SerializeToString())
    model = CaffemodelWeights(path)
    assert model.layer_blobs("nope", [(1,)]) is None
    weight, bias = model.layer_blobs("fc", [(2, 3), (2,)])
    assert weight.dtype == torch.float32
    assert weight.flatten().tolist()[:5] == [0.5, 1.5, 2.5, 3.5, 4.5]
    assert bias is None


def test_wrong_value_count(tmp_path):
    Net = message_class(bundled_schema(), "NetParameter")
    net = Net()
    lp = net.layer.add()
    lp.name = "fc"
    blob = lp.blobs.add()
    blob.shape.dim.extend([2, 2])
    blob.data.extend([1.0, 2.0, 3.0])
    path = tmp_path / "short.caffemodel"
    path.write_bytes(net.SerializeToString())
    with pytest.raises(WeightsError, match="stores 3 values but its shape 2 2 \\(4\\) needs 4"):
        CaffemodelWeights(path).layer_blobs("fc", [(2, 2)])


def test_initial_blobs_mix_model_and_fillers(tmp_path):
    res = lenet_result()
    phase = res.net.phases["TEST"]
    layers = weight_layers(res, "TEST")
    path = tmp_path / "conv_only.caffemodel"
    write_caffemodel(path, [w for w in layers if w.name == "conv1"], fill="random", seed=3)
    model = CaffemodelWeights(path)
    by_name = {lr.layer.name: lr for lr in phase.layers}
    conv1 = initial_blobs(by_name["conv1"], res.schema, 0, model)
    assert torch.equal(conv1[0].flatten(), written_values([w for w in layers if w.name == "conv1"],
                                                          fill="random", seed=3)["conv1"][0])
    ip1 = initial_blobs(by_name["ip1"], res.schema, 0, model)  # not in the model: xavier filler
    bound = (3.0 / 800) ** 0.5
    assert ip1[0].abs().max() <= bound and ip1[0].abs().max() > 0.9 * bound
    assert not ip1[1].any()  # bias_filler unset: constant 0
