"""Checking a net against a .caffemodel: W501-W506, association, and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


from prototxt_ls.analysis.check import check_text
from prototxt_ls.config import load_config
from prototxt_ls.schema.descriptors import message_class
from prototxt_ls.schema.loader import bundled_schema
from prototxt_ls.weights.reader import read_caffemodel

ROOT = Path(__file__).resolve().parents[2]

NET = '''name: "small"
layer {
  name: "data"
  type: "Input"
  top: "data"
  input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } }
}
layer {
  name: "conv1"
  type: "Convolution"
  bottom: "data"
  top: "conv1"
  convolution_param { num_output: 4 kernel_size: 3 }
}
layer {
  name: "fc"
  type: "InnerProduct"
  bottom: "conv1"
  top: "fc"
  inner_product_param { num_output: 20 }
}
'''


def write_model(path: Path, layers, v1: bool = False) -> Path:
    """layers: [(name, type, [shape or ("legacy", n, c, h, w)])]."""
    NetParameter = message_class(bundled_schema(), "NetParameter")
    msg = NetParameter()
    for name, type_, shapes in layers:
        if v1:
            layer = msg.layers.add()
            layer.name = name
            layer.type = getattr(layer, type_)
        else:
            layer = msg.layer.add()
            layer.name, layer.type = name, type_
        for shape in shapes:
            blob = layer.blobs.add()
            if shape and shape[0] == "legacy":
                blob.num, blob.channels, blob.height, blob.width = shape[1:]
            else:
                blob.shape.dim.extend(shape)
    path.write_bytes(msg.SerializeToString())
    return path


GOOD = [("conv1", "Convolution", [(4, 3, 3, 3), (4,)]), ("fc", "InnerProduct", [(20, 144), (20,)])]


def diags(model: Path, text: str = NET, **kw):
    return check_text(text, weights=model, **kw).diagnostics


def test_matching_model_is_clean(tmp_path):
    assert diags(write_model(tmp_path / "m.caffemodel", GOOD)) == []


def test_shape_mismatch_reads_like_caffe_and_offers_rename(tmp_path):
    model = write_model(tmp_path / "m.caffemodel", [GOOD[0], ("fc", "InnerProduct", [(1000, 144), (1000,)])])
    (d,) = diags(model)
    assert d.code == "W501" and d.severity == 1
    assert d.message.startswith("Cannot copy param 0 weights from layer 'fc'; shape mismatch. "
                                "Source param shape is 1000 144 (144000); target param shape is 20 144 (2880).")
    assert NET[d.range.start.offset:d.range.end.offset] == '"fc"'
    (fix,) = d.fixes
    assert fix.edits[0].new_text == '"fc_new"' and not fix.safe


def test_legacy_four_d_blobs_compare_like_caffe(tmp_path):
    layers = [("conv1", "Convolution", [("legacy", 4, 3, 3, 3), ("legacy", 1, 1, 1, 4)]),
              ("fc", "InnerProduct", [("legacy", 1, 1, 20, 144), ("legacy", 1, 1, 1, 20)])]
    assert diags(write_model(tmp_path / "m.caffemodel", layers)) == []
    layers[1] = ("fc", "InnerProduct", [("legacy", 1, 1, 21, 144), ("legacy", 1, 1, 1, 21)])
    assert [d.code for d in diags(write_model(tmp_path / "m.caffemodel", layers))] == ["W501"]


def test_blob_count_type_missing_and_unused(tmp_path):
    model = write_model(tmp_path / "m.caffemodel", [
        ("conv1", "InnerProduct", [(4, 3, 3, 3)]),          # type differs and bias missing
        ("fc8", "InnerProduct", [(10, 5), (10,)]),           # not in the net
        ("relu", "ReLU", []),                                # no weights: not listed as unused
    ])
    got = {d.code: d for d in diags(model)}
    assert set(got) == {"W502", "W503", "W504", "W505"}
    assert "the net has 2, the model m.caffemodel has 1" in got["W502"].message
    assert got["W504"].severity == 2 and "'fc'" in got["W504"].message and "filler" in got["W504"].message
    assert got["W505"].severity == 3 and "fc8" in got["W505"].message and "relu" not in got["W505"].message


def test_v1_model_layers_are_matched_by_name(tmp_path):
    model = write_model(tmp_path / "m.caffemodel", [("conv1", "CONVOLUTION", GOOD[0][2]),
                                                     ("fc", "INNER_PRODUCT", GOOD[1][2])], v1=True)
    assert [l.type for l in read_caffemodel(model).layers] == ["Convolution", "InnerProduct"]
    assert diags(model) == []


def test_unreadable_model_is_reported_on_the_directive(tmp_path):
    bad = tmp_path / "bad.caffemodel"
    bad.write_bytes(b"\x0a\xff\xff\xff\xff\x0f" + b"x" * 10)
    net = tmp_path / "net.prototxt"
    text = "# prototxt-ls: weights=bad.caffemodel\n" + NET
    (d,) = check_text(text, path=net).diagnostics
    assert d.code == "W506" and d.range.start.line == 0 and "byte" in d.message


def test_association_order(tmp_path):
    good = write_model(tmp_path / "net_iter_100.caffemodel", GOOD)
    wrong = write_model(tmp_path / "other.caffemodel", [("fc", "InnerProduct", [(3, 3), (3,)])])
    net = tmp_path / "net.prototxt"
    # beside the net, name starting with its stem
    assert check_text(NET, path=net).diagnostics == []
    # a header wins over the file beside it
    codes = [d.code for d in check_text("# prototxt-ls: weights=other.caffemodel\n" + NET, path=net).diagnostics]
    assert "W501" in codes
    # pyproject mapping
    (tmp_path / "pyproject.toml").write_text('[tool.prototxt-ls.weights]\n"net.prototxt" = "other.caffemodel"\n')
    cfg = load_config(net)
    assert "W501" in [d.code for d in check_text(NET, path=net, config=cfg).diagnostics]
    # an explicit path wins over everything
    assert check_text(NET, path=net, config=cfg, weights=good).diagnostics == []
    assert wrong.exists()


def run(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "prototxt_ls", *args], capture_output=True, env=env,
                          timeout=120, cwd=ROOT)


def test_cli_lint_with_weights_and_weights_command(tmp_path):
    net = tmp_path / "finetune.prototxt"
    net.write_text(NET)
    model = write_model(tmp_path / "imagenet.caffemodel", [GOOD[0], ("fc", "InnerProduct", [(1000, 144), (1000,)])])
    p = run("lint", "--weights", str(model), str(net))
    out = p.stdout.decode()
    assert p.returncode == 1 and "W501" in out and "rename the layer" in out and "fc_new" in out
    p = run("weights", "--json", str(model))
    data = json.loads(p.stdout)
    assert [(l["name"], l["type"], l["blobs"]) for l in data["layers"]] == [
        ("conv1", "Convolution", [[4, 3, 3, 3], [4]]), ("fc", "InnerProduct", [[1000, 144], [1000]])]
    assert data["totals"]["params"] == 4 * 27 + 4 + 1000 * 144 + 1000
    table = run("weights", str(model)).stdout.decode()
    assert "conv1" in table and "4x3x3x3" in table and "Total" in table
    bad = run("weights", str(net))
    assert bad.returncode == 2 and b"does not look like a .caffemodel" in bad.stderr and b"Traceback" not in bad.stderr
    missing = run("lint", "--weights", str(tmp_path / "nope.caffemodel"), str(net))
    assert missing.returncode == 2 and b"no such file" in missing.stderr
