"""The simulator's net: build from the static analysis, feed, run forward and backward, prove shapes.

LeNet (train/test, written here), and AlexNet, GoogLeNet and ResNet-50 from
``tests/nets/netbuilder.py`` with a label input and a SoftmaxWithLoss added,
at batch 2 on the CPU.  Then the mechanics: loss weights, Caffe's automatic
loss top, skipped layers (Python never imported without permission),
parameter sharing, labels in range, weights from a .caffemodel, and the
shape proof's diagnostics.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "nets"))

import netbuilder  # noqa: E402
from netbuilder import Layer  # noqa: E402

from prototxt_ls.analysis.check import check_text  # noqa: E402
from prototxt_ls.sim.net import (  # noqa: E402
    AUTOMATIC,
    InputShapeError,
    LayerRunError,
    SimError,
    build_net,
    make_inputs,
)
from prototxt_ls.sim.proof import prove, shape_matches, sim_diagnostics  # noqa: E402
from prototxt_ls.weights.writer import build_net_message, weight_layers, write_caffemodel  # noqa: E402

LENET = """
name: "LeNet"
# prototxt-ls: input data=2,1,28,28 label=2
layer { name: "mnist" type: "Data" top: "data" top: "label" include { phase: TRAIN }
  transform_param { scale: 0.00390625 }
  data_param { source: "examples/mnist/mnist_train_lmdb" batch_size: 64 backend: LMDB } }
layer { name: "mnist" type: "Data" top: "data" top: "label" include { phase: TEST }
  transform_param { scale: 0.00390625 }
  data_param { source: "examples/mnist/mnist_test_lmdb" batch_size: 100 backend: LMDB } }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
  param { lr_mult: 1 } param { lr_mult: 2 }
  convolution_param { num_output: 20 kernel_size: 5 stride: 1
    weight_filler { type: "xavier" } bias_filler { type: "constant" } } }
layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1"
  pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
layer { name: "conv2" type: "Convolution" bottom: "pool1" top: "conv2"
  convolution_param { num_output: 50 kernel_size: 5 weight_filler { type: "xavier" } } }
layer { name: "pool2" type: "Pooling" bottom: "conv2" top: "pool2"
  pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
layer { name: "ip1" type: "InnerProduct" bottom: "pool2" top: "ip1"
  inner_product_param { num_output: 500 weight_filler { type: "xavier" } } }
layer { name: "relu1" type: "ReLU" bottom: "ip1" top: "ip1" }
layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2"
  inner_product_param { num_output: 10 weight_filler { type: "xavier" } } }
layer { name: "accuracy" type: "Accuracy" bottom: "ip2" bottom: "label" top: "accuracy"
  include { phase: TEST } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip2" bottom: "label" top: "loss" }
"""


def no_errors(res):
    errors = [f"{d.code}: {d.message}" for d in res.diagnostics if d.severity == 1]
    assert not errors, errors
    return res


def with_loss(net: netbuilder.Net, batch: int, size: int, logits: str, classes: int = 1000) -> netbuilder.Net:
    """Feed ``batch`` images and labels and put a SoftmaxWithLoss on ``logits``."""
    net.layers[0] = Layer("input", "Input", [], ["data", "label"], {"input_param": {"shape": [
        {"dim": [batch, 3, size, size]}, {"dim": [batch]}]}})
    net.softmax_loss("loss", [logits, "label"])
    return net


def op(net, name: str):
    return next(layer for layer in net.layers if layer.name == name).op


def run_and_prove(res, phase: str = "TRAIN", backward: bool = True, **kw):
    net = build_net(res, phase, **kw)
    blobs = net(make_inputs(net, seed=1))
    mismatches = prove(net, blobs)
    assert not mismatches, [(m.layer.name, m.blob, m.static, m.real) for m in mismatches]
    # every blob static inference knows has its static shape, exactly
    for name, static in net.static.blobs.items():
        assert name in blobs, name
        assert shape_matches(static, tuple(blobs[name].shape)), (name, static, blobs[name].shape)
    loss = net.loss(blobs)
    assert loss.dim() == 0 and math.isfinite(loss.item())
    if backward:
        loss.backward()
    return net, blobs, loss


# ---------------------------------------------------------------------- whole nets
def test_lenet_train_and_test():
    res = no_errors(check_text(LENET))
    net, blobs, loss = run_and_prove(res, "TRAIN")
    assert [layer.name for layer in net.input_layers()] == ["mnist"]
    assert not net.skipped()
    assert blobs["data"].shape == (2, 1, 28, 28) and blobs["ip2"].shape == (2, 10)
    assert 1.0 < loss.item() < 5.0  # about ln(10) for an untrained net
    conv1 = op(net, "conv1")
    assert conv1.blobs[0].grad is not None and conv1.blobs[0].grad.abs().sum() > 0
    test_net, test_blobs, _ = run_and_prove(res, "TEST", backward=False)
    assert 0.0 <= test_blobs["accuracy"].item() <= 1.0
    assert {layer.name for layer in test_net.layers} >= {"accuracy", "loss"}


def test_lenet_example_file_deploy():
    text = (Path(__file__).resolve().parents[2] / "examples" / "lenet_v2.prototxt").read_text()
    _, blobs, loss = run_and_prove(no_errors(check_text(text)), "TEST", backward=False)
    assert loss.item() == 0.0  # no loss layer: Caffe's objective is 0
    assert torch.allclose(blobs["prob"].sum(-1), torch.ones(blobs["prob"].shape[0]))


@pytest.mark.parametrize("builder, size, logits", [
    ("alexnet", 227, "fc8"),
    ("googlenet", 224, "loss3/classifier"),
    ("resnet50", 224, "fc1000"),
])
def test_classic_nets_forward_backward(builder, size, logits):
    net = with_loss(getattr(netbuilder, builder)(size=size), 2, size, logits)
    text = net.to_v2()
    if builder == "resnet50":  # a training net: batch statistics, as BatchNorm's TRAIN default
        text = text.replace("batch_norm_param {\n    use_global_stats: true\n  }\n", "")
    res = no_errors(check_text(text))
    sim, blobs, loss = run_and_prove(res, "TRAIN")
    assert not sim.skipped()
    assert blobs[logits].shape == (2, 1000)
    assert 4.0 < loss.item() < 12.0  # about ln(1000) = 6.9 before training
    learnable = [p for p in sim.parameters() if p.requires_grad]
    assert learnable and all(p.grad is not None for p in learnable)


# ---------------------------------------------------------------------- inputs
def test_make_inputs_labels_in_range_and_overrides():
    res = check_text(LENET)
    net = build_net(res, "TRAIN")
    x = make_inputs(net, seed=3)
    assert x["data"].dtype == torch.float32 and x["data"].shape == (2, 1, 28, 28)
    assert x["label"].shape == (2,)
    labels = make_inputs(net, {"label": (500,), "data": (500, 1, 28, 28)}, seed=3)["label"]
    assert labels.dtype == torch.float32 and torch.equal(labels, labels.round())
    assert labels.min() >= 0 and labels.max() <= 9 and len(set(labels.tolist())) == 10


def test_unknown_input_shape_asks_for_input():
    res = check_text(LENET.replace("# prototxt-ls: input data=2,1,28,28 label=2\n", ""))
    net = build_net(res, "TRAIN")
    with pytest.raises(InputShapeError, match=r"input blob 'data'.*--input data=N,C,H,W"):
        make_inputs(net)
    x = make_inputs(net, {"data": (2, 1, 28, 28), "label": (2,)})
    assert x["data"].shape == (2, 1, 28, 28)


def test_label_roles_of_other_consumers():
    text = """
layer { name: "in" type: "Input" top: "x" top: "t" top: "a" top: "b" top: "sim" top: "ids"
  input_param { shape { dim: 50 dim: 4 } shape { dim: 50 dim: 4 } shape { dim: 50 dim: 3 }
                shape { dim: 50 dim: 3 } shape { dim: 50 } shape { dim: 50 dim: 2 } } }
layer { name: "sce" type: "SigmoidCrossEntropyLoss" bottom: "x" bottom: "t" top: "sce" }
layer { name: "con" type: "ContrastiveLoss" bottom: "a" bottom: "b" bottom: "sim" top: "con" }
layer { name: "emb" type: "Embed" bottom: "ids" top: "e" embed_param { num_output: 5 input_dim: 7 } }
"""
    net = build_net(check_text(text), "TEST")
    x = make_inputs(net)
    assert 0 <= x["t"].min() and x["t"].max() <= 1
    assert set(x["sim"].tolist()) <= {0.0, 1.0}
    assert torch.equal(x["ids"], x["ids"].round()) and x["ids"].min() >= 0 and x["ids"].max() < 7
    blobs = net(x)
    assert not prove(net, blobs)
    assert math.isfinite(net.loss(blobs).item())


def test_missing_input_is_a_clear_error():
    net = build_net(check_text(LENET), "TRAIN")
    with pytest.raises(SimError, match="label"):
        net({"data": torch.zeros(2, 1, 28, 28)})


# ---------------------------------------------------------------------- loss weights
LOSSES = """
layer { name: "in" type: "Input" top: "a" top: "b" top: "label"
  input_param { shape { dim: 2 dim: 3 } shape { dim: 2 dim: 3 } shape { dim: 2 } } }
layer { name: "euclid" type: "EuclideanLoss" bottom: "a" bottom: "b" top: "l2" loss_weight: 0.5 }
layer { name: "soft" type: "SoftmaxWithLoss" bottom: "a" bottom: "label" top: "sl" top: "prob"
  loss_weight: 2 loss_weight: 0 }
layer { name: "auto" type: "SoftmaxWithLoss" bottom: "b" bottom: "label" }
layer { name: "sum" type: "Eltwise" bottom: "a" bottom: "b" top: "s" loss_weight: 0.25 }
"""


def test_loss_weights_and_the_automatic_top():
    net = build_net(check_text(LOSSES), "TEST")
    by_name = {layer.name: layer for layer in net.layers}
    assert by_name["euclid"].loss_weights == [0.5]
    assert by_name["soft"].loss_weights == [2.0, 0.0]
    assert by_name["auto"].tops == [f"{AUTOMATIC} auto"] and by_name["auto"].loss_weights == [1.0]
    assert by_name["sum"].loss_weights == [0.25]  # any layer's top may carry a loss weight
    assert by_name["in"].loss_weights == [0.0, 0.0, 0.0]
    blobs = net(make_inputs(net))
    assert blobs[f"{AUTOMATIC} auto"].dim() == 0
    expected = (0.5 * blobs["l2"] + 2 * blobs["sl"] + blobs[f"{AUTOMATIC} auto"] + 0.25 * blobs["s"].sum())
    assert torch.allclose(net.loss(blobs), expected)
    assert not prove(net, blobs)


# ---------------------------------------------------------------------- skipped layers
def python_net(tmp_path: Path) -> Path:
    marker = tmp_path / "imported.txt"
    (tmp_path / "evil_layer.py").write_text(
        "import pathlib, caffe\n"
        f"pathlib.Path({str(marker)!r}).write_text('imported')\n"
        "class Double(caffe.Layer):\n"
        "    def setup(self, bottom, top):\n"
        "        self.factor = float(self.param_str or 2)\n"
        "    def reshape(self, bottom, top):\n"
        "        top[0].reshape(*bottom[0].data.shape)\n"
        "    def forward(self, bottom, top):\n"
        "        top[0].data[...] = bottom[0].data * self.factor\n")
    net = tmp_path / "net.prototxt"
    net.write_text("""
layer { name: "in" type: "Input" top: "x" input_param { shape { dim: 2 dim: 3 } } }
layer { name: "py" type: "Python" bottom: "x" top: "y"
  python_param { module: "evil_layer" layer: "Double" param_str: "3" } }
layer { name: "relu" type: "ReLU" bottom: "y" top: "z" }
""")
    return net


def test_python_layer_is_skipped_and_never_imported(tmp_path):
    path = python_net(tmp_path)
    res = check_text(path.read_text(), path)
    net = build_net(res, "TEST", net_dir=tmp_path)
    py = next(layer for layer in net.layers if layer.name == "py")
    assert py.skip_code == "T005" and py.op is None
    blobs = net(make_inputs(net))
    assert not (tmp_path / "imported.txt").exists()
    assert "evil_layer" not in sys.modules
    # its top's shape is unknown statically, so the ReLU after it cannot run either
    assert "y" not in blobs and "z" not in blobs
    relu = next(layer for layer in net.layers if layer.name == "relu")
    assert relu.skip_code == "T006" and "'y' was not produced" in relu.skipped
    diags = sim_diagnostics(net, prove(net, blobs))
    assert [d.code for d in diags] == ["T005", "T006"]
    text = path.read_text()
    t005 = diags[0]
    assert text.splitlines()[t005.range.start.line][t005.range.start.column:t005.range.end.column] == '"Python"'


def test_python_layer_runs_when_allowed(tmp_path):
    path = python_net(tmp_path)
    try:
        net = build_net(check_text(path.read_text(), path), "TEST", allow_python=True, net_dir=tmp_path)
        assert (tmp_path / "imported.txt").exists()
        x = make_inputs(net)
        blobs = net(x)
        assert torch.allclose(blobs["y"], 3 * x["x"])
        assert torch.equal(blobs["z"], torch.relu(blobs["y"]))
        assert not net.skipped() and not prove(net, blobs)
    finally:
        sys.modules.pop("evil_layer", None)
        if "stand-in" in (getattr(sys.modules.get("caffe"), "__doc__", "") or ""):
            del sys.modules["caffe"]  # the pycaffe stand-in the layer's `import caffe` got


def test_skipped_layer_of_known_shape_feeds_synthetic_tops(tmp_path):
    text = """
layer { name: "in" type: "Input" top: "x" input_param { shape { dim: 2 dim: 3 dim: 4 dim: 4 } } }
layer { name: "conv" type: "Convolution" bottom: "x" top: "c"
  convolution_param { num_output: 5 kernel_size: 3 weight_filler { type: "xavier" } } }
layer { name: "fc" type: "InnerProduct" bottom: "c" top: "f" inner_product_param { num_output: 7 } }
"""
    res = check_text(text)
    net = build_net(res, "TEST")
    conv = next(layer for layer in net.layers if layer.name == "conv")
    conv.op, conv.skipped, conv.skip_code = None, "pretend", "T006"
    blobs = net(make_inputs(net))
    assert blobs["c"].shape == (2, 5, 2, 2) and blobs["f"].shape == (2, 7)
    assert [d.code for d in sim_diagnostics(net, prove(net, blobs))] == ["T006"]


def test_op_failure_names_the_layer_or_becomes_t006():
    res = check_text(LENET)
    net = build_net(res, "TRAIN")
    x = make_inputs(net)
    x["data"] = torch.zeros(2, 3, 28, 28)  # conv1 expects 1 channel
    with pytest.raises(LayerRunError, match=r"layer 'conv1' \(Convolution\) failed in PyTorch.*data 2x3x28x28"):
        net(x)
    net = build_net(res, "TRAIN")
    net.keep_going = True
    blobs = net(x)
    conv1 = next(layer for layer in net.layers if layer.name == "conv1")
    assert conv1.skip_code == "T006" and blobs["ip2"].shape == (2, 10)


# ---------------------------------------------------------------------- weights and sharing
def test_weights_from_a_caffemodel_equal_the_written_values(tmp_path):
    res = check_text(LENET)
    layers = weight_layers(res)
    path = tmp_path / "lenet.caffemodel"
    write_caffemodel(path, layers, fill="random", seed=5)
    message = build_net_message(layers, fill="random", seed=5)
    net = build_net(res, "TRAIN", weights=path)
    ops = {layer.name: layer.op for layer in net.layers}
    for lp in message.layer:
        for j, blob in enumerate(lp.blobs):
            got = ops[lp.name].blobs[j].detach().flatten()
            assert torch.equal(got, torch.tensor(list(blob.data), dtype=torch.float32)), (lp.name, j)
    fresh = build_net(res, "TRAIN")
    assert not torch.equal(op(fresh, "conv1").blobs[0], op(net, "conv1").blobs[0])


def test_incompatible_caffemodel_is_refused(tmp_path):
    path = tmp_path / "other.caffemodel"
    write_caffemodel(path, weight_layers(check_text(LENET.replace("num_output: 10", "num_output: 12"))),
                     fill="zeros")
    from prototxt_ls.sim.weights import WeightsError

    with pytest.raises(WeightsError, match="layer 'ip2'; shape mismatch"):
        build_net(check_text(LENET), "TRAIN", weights=path)


def test_fillers_are_deterministic_per_seed():
    res = check_text(LENET)
    a, b, c = build_net(res, seed=1), build_net(res, seed=1), build_net(res, seed=2)
    assert torch.equal(op(a, "conv2").blobs[0], op(b, "conv2").blobs[0])
    assert not torch.equal(op(a, "conv2").blobs[0], op(c, "conv2").blobs[0])


def test_named_params_are_shared():
    text = """
layer { name: "in" type: "Input" top: "a" top: "b" input_param { shape { dim: 2 dim: 4 } shape { dim: 2 dim: 4 } } }
layer { name: "fa" type: "InnerProduct" bottom: "a" top: "fa" param { name: "w" } param { name: "bias" }
  inner_product_param { num_output: 3 weight_filler { type: "gaussian" } } }
layer { name: "fb" type: "InnerProduct" bottom: "b" top: "fb" param { name: "w" } param { name: "bias" }
  inner_product_param { num_output: 3 weight_filler { type: "gaussian" } } }
"""
    net = build_net(check_text(text), "TRAIN")
    fa, fb = op(net, "fa"), op(net, "fb")
    assert fa.blobs[0] is fb.blobs[0] and fa.blobs[1] is fb.blobs[1]
    assert len(list(net.parameters())) == 2
    x = make_inputs(net)
    blobs = net({"a": x["a"], "b": x["a"]})
    assert torch.equal(blobs["fa"], blobs["fb"])


# ---------------------------------------------------------------------- the proof itself
def test_a_disagreement_is_t001_at_the_first_wrong_top():
    res = check_text(LENET)
    net = build_net(res, "TRAIN")
    pool1 = next(lr for lr in net.static.layers if lr.layer.name == "pool1")
    pool1.tops = [(2, 20, 13, 13)]  # pretend static inference said 13
    blobs = net(make_inputs(net))
    mismatches = prove(net, blobs)
    assert [(m.layer.name, m.blob, m.inherited) for m in mismatches][0] == ("pool1", "pool1", False)
    assert all(m.inherited for m in mismatches[1:])
    diags = sim_diagnostics(net, mismatches)
    assert [d.code for d in diags] == ["T001"]
    d = diags[0]
    assert "top 'pool1' is 2x20x12x12" in d.message and "gives 2x20x13x13" in d.message
    line = LENET.splitlines()[d.range.start.line]
    assert line[d.range.start.column:d.range.end.column] == '"pool1"' and "top:" in line


def test_shape_matches_unknown_dims():
    assert shape_matches(None, (1, 2))
    assert shape_matches((None, 3), (5, 3))
    assert not shape_matches((None, 3), (5, 3, 1))
    assert not shape_matches((2, 3), (2, 4))
    assert shape_matches((), ())


def test_phase_and_result_errors():
    with pytest.raises(SimError, match="no phase"):
        build_net(check_text(LENET), "VAL")
    with pytest.raises(SimError, match="no analysed net"):
        build_net(check_text("base_lr: 0.1\n", Path("solver.prototxt")))


def test_torch_stays_out_of_lint_and_the_server():
    import os
    import subprocess

    code = ("import sys; from prototxt_ls.analysis.check import check_text; import prototxt_ls.lsp.server; "
            "check_text(open('examples/lenet_v2.prototxt').read()); print('torch' in sys.modules)")
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_lstm_fillers_and_continuation_markers():
    text = """
layer { name: "in" type: "Input" top: "x" top: "cont"
  input_param { shape { dim: 3 dim: 2 dim: 4 } shape { dim: 3 dim: 2 } } }
layer { name: "lstm" type: "LSTM" bottom: "x" bottom: "cont" top: "h"
  recurrent_param { num_output: 5 weight_filler { type: "uniform" min: -0.1 max: 0.1 }
    bias_filler { type: "constant" value: 0.5 } } }
"""
    net, blobs, loss = run_and_prove(no_errors(check_text(text)), "TRAIN", backward=False)
    w_x, b, w_h = op(net, "lstm").blobs
    assert w_x.shape == (20, 4) and w_h.shape == (20, 5)
    assert 0 < w_x.abs().max() <= 0.1 and 0 < w_h.abs().max() <= 0.1
    assert torch.equal(b.detach(), torch.full((20,), 0.5))
    assert set(blobs["cont"].flatten().tolist()) <= {0.0, 1.0}
    assert blobs["h"].shape == (3, 2, 5) and loss.item() == 0.0
