"""``prototxt-ls shapes`` run as a real subprocess on nets written by ``netbuilder``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from netbuilder import Net, vgg16

ROOT = Path(__file__).resolve().parents[2]
VGG16_PARAMS = 138_357_544


def shapes(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "prototxt_ls", "shapes", *args], cwd=ROOT,
                          capture_output=True, text=True, env=env, timeout=120, check=False)


def ok(p: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert p.returncode == 0, f"exit {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"
    assert "Traceback" not in p.stderr
    return p


@pytest.fixture(scope="module")
def vgg_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("vgg") / "vgg16_deploy.prototxt"
    path.write_text(vgg16().to_v2())
    return path


@pytest.fixture(scope="module")
def vgg_json(vgg_file) -> dict:
    return json.loads(ok(shapes(str(vgg_file), "--json")).stdout)


def phased_net() -> str:
    """An Input net whose last layer differs by phase: a loss in TRAIN, a softmax in TEST."""
    net = Net("phased")
    net.inputs({"data": (2, 3, 32, 32), "label": (2,)})
    x = net.relu("relu1", net.conv("conv1", "data", 8, 3, pad=1))
    x = net.pool("pool1", x, "MAX", 2, stride=2)
    x = net.ip("fc", x, 10)
    net.softmax_loss("loss", [x, "label"], phase="TRAIN")
    net.softmax("prob", x, phase="TEST")
    return net.to_v2()


def data_net() -> str:
    """A Data-layer net: the image size is only known when the database is read."""
    net = Net("from_lmdb")
    net.data("data", batch_size=1)
    x = net.relu("relu1", net.conv("conv1", "data", 16, 3, stride=2, pad=1))
    x = net.pool("pool1", x, "MAX", 2, stride=2)
    x = net.ip("fc", x, 10)
    net.softmax_loss("loss", [x, "label"])
    return net.to_v2()


# ---------------------------------------------------------------------- JSON contract
def test_json_top_level_contract(vgg_json):
    assert set(vgg_json) >= {"phase", "blobs", "layers", "totals"}
    assert vgg_json["phase"] == "TEST"
    assert vgg_json["blobs"]["data"] == [1, 3, 224, 224]
    assert vgg_json["blobs"]["pool5"] == [1, 512, 7, 7]
    assert vgg_json["blobs"]["prob"] == [1, 1000]
    assert all(isinstance(v, list) for v in vgg_json["blobs"].values())


def test_json_layer_rows(vgg_json):
    rows = {r["name"]: r for r in vgg_json["layers"]}
    for row in vgg_json["layers"]:
        assert set(row) >= {"name", "type", "line", "tops", "weights", "params", "macs", "memory"}
        assert isinstance(row["line"], int) and row["line"] >= 1
        for top in row["tops"]:
            assert set(top) == {"name", "shape"}
    conv = rows["conv1_1"]
    assert conv["type"] == "Convolution"
    assert conv["tops"] == [{"name": "conv1_1", "shape": [1, 64, 224, 224]}]
    assert conv["weights"] == [[64, 3, 3, 3], [64]]
    assert conv["params"] == 64 * 27 + 64
    assert conv["macs"] == 64 * 224 * 224 * 27
    assert conv["memory"] == 64 * 224 * 224 * 4          # float32 outputs
    assert rows["fc6"]["weights"] == [[4096, 25088], [4096]]
    assert rows["relu1_1"]["params"] in (0, None) and rows["relu1_1"]["weights"] == []
    lines = [r["line"] for r in vgg_json["layers"]]
    assert lines == sorted(lines)


def test_json_totals(vgg_json):
    totals = vgg_json["totals"]
    assert set(totals) >= {"params", "macs", "memory", "layers", "unknown"}
    assert totals["params"] == VGG16_PARAMS
    assert totals["layers"] == len(vgg_json["layers"])
    assert totals["unknown"]["params"] == 0
    assert totals["macs"] >= 15_470_264_320   # conv + fc MACs; other layers may add their own
    assert sum(r["macs"] for r in vgg_json["layers"] if r["type"] in ("Convolution", "InnerProduct")) \
        == 15_470_264_320
    assert totals["memory"] == sum(r["memory"] for r in vgg_json["layers"])


def test_json_loss_is_an_empty_list_and_unknown_is_null(tmp_path):
    path = tmp_path / "train.prototxt"
    path.write_text(data_net())
    payload = json.loads(shapes(str(path), "--json", "--phase", "TRAIN").stdout)
    assert payload["phase"] == "TRAIN"
    assert payload["blobs"]["loss"] == []
    data = payload["blobs"]["data"]
    assert isinstance(data, list) and None in data          # C, H, W come from the database
    assert payload["blobs"]["conv1"][1] == 16               # num_output is known anyway
    assert None in payload["blobs"]["conv1"]
    rows = {r["name"]: r for r in payload["layers"]}
    assert rows["fc"]["params"] is None                     # fc's input size is unknown
    assert payload["totals"]["unknown"]["params"] >= 1


# ---------------------------------------------------------------------- table
def test_table_has_totals(vgg_file):
    p = ok(shapes(str(vgg_file)))
    assert "Total" in p.stdout
    assert "138.36M" in p.stdout
    assert "15.47G" in p.stdout                           # conv + fc multiply-accumulates
    assert "conv5_3" in p.stdout and "1x512x14x14" in p.stdout


# ---------------------------------------------------------------------- options
def test_phase_changes_the_layers(tmp_path):
    path = tmp_path / "phased.prototxt"
    path.write_text(phased_net())
    test = json.loads(ok(shapes(str(path), "--json")).stdout)
    train = json.loads(ok(shapes(str(path), "--json", "--phase", "TRAIN")).stdout)
    test_names = [r["name"] for r in test["layers"]]
    train_names = [r["name"] for r in train["layers"]]
    assert test["phase"] == "TEST" and train["phase"] == "TRAIN"
    assert "prob" in test_names and "loss" not in test_names
    assert "loss" in train_names and "prob" not in train_names
    assert train["blobs"]["loss"] == []
    assert test["blobs"]["prob"] == [2, 10]
    assert test["totals"]["layers"] == train["totals"]["layers"]
    lower = json.loads(ok(shapes(str(path), "--json", "--phase", "train")).stdout)
    assert lower["phase"] == "TRAIN"


def test_input_makes_shapes_known(tmp_path):
    path = tmp_path / "lmdb.prototxt"
    path.write_text(data_net())
    before = json.loads(shapes(str(path), "--json").stdout)
    assert None in before["blobs"]["conv1"]
    p = ok(shapes(str(path), "--json", "--input", "data=1,3,64,64"))
    after = json.loads(p.stdout)
    assert after["blobs"]["data"] == [1, 3, 64, 64]
    assert after["blobs"]["conv1"] == [1, 16, 32, 32]      # floor((64 + 2 - 3) / 2) + 1
    assert after["blobs"]["pool1"] == [1, 16, 16, 16]
    assert after["blobs"]["fc"] == [1, 10]
    rows = {r["name"]: r for r in after["layers"]}
    assert rows["fc"]["params"] == 16 * 16 * 16 * 10 + 10
    assert rows["conv1"]["params"] == 16 * 3 * 9 + 16


def test_bad_input_spec_is_a_usage_error(tmp_path):
    path = tmp_path / "lmdb.prototxt"
    path.write_text(data_net())
    p = shapes(str(path), "--input", "data=1,3,sixty,64")
    assert p.returncode == 2
    assert "--input" in p.stderr and "Traceback" not in p.stderr


# ---------------------------------------------------------------------- failures
def test_missing_file_exits_2(tmp_path):
    missing = tmp_path / "nope.prototxt"
    p = shapes(str(missing))
    assert p.returncode == 2
    assert "nope.prototxt" in p.stderr
    assert "Traceback" not in p.stderr and "Traceback" not in p.stdout
    assert p.stdout.strip() == ""


def test_directory_exits_2(tmp_path):
    p = shapes(str(tmp_path))
    assert p.returncode == 2
    assert str(tmp_path.name) in p.stderr
    assert "Traceback" not in p.stderr


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file_exits_2(tmp_path):
    path = tmp_path / "secret.prototxt"
    path.write_text(vgg16().to_v2())
    path.chmod(0)
    try:
        p = shapes(str(path))
    finally:
        path.chmod(0o644)
    assert p.returncode == 2
    assert "secret.prototxt" in p.stderr and "Traceback" not in p.stderr


def test_path_through_a_file_exits_2(tmp_path):
    """Unreadable for every user, root included: a 'directory' that is really a file."""
    parent = tmp_path / "plain.txt"
    parent.write_text("not a folder\n")
    p = shapes(str(parent / "net.prototxt"))
    assert p.returncode == 2
    assert "net.prototxt" in p.stderr and "cannot read" in p.stderr
    assert "Traceback" not in p.stderr and "Traceback" not in p.stdout
