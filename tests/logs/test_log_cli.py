"""``prototxt-ls log`` run as a subprocess, as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from corpus_paths import CORPUS

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data"
NORMAL = CORPUS / "oracle" / "logs" / "normal.log"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "prototxt_ls", "log", *args], check=False, capture_output=True,
                          text=True, env=env, cwd=cwd or ROOT, timeout=60)


def test_json_nan_forward():
    r = run(str(DATA / "nan_forward.log"), "--json")
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    assert set(doc) >= {"train", "test", "verdicts"}
    first = doc["verdicts"][0]
    assert (first["iteration"], first["layer"], first["pass"], first["kind"]) == (2, "conv2", "forward", "nan")
    assert [t["iteration"] for t in doc["train"]] == [0, 1, 2]


def test_text_with_net_points_at_layers():
    r = run(str(DATA / "nan_forward.log"), str(DATA / "fatal.log"), "--net", str(DATA / "net.prototxt"),
            "--no-color")
    assert r.returncode == 1, r.stderr
    net = str(DATA / "net.prototxt")
    assert f"{net}:14:3: L901 error NaN first seen in layer 'conv2'" in r.stdout
    assert f"{net}:5:3: L910 error fatal: Check failed: num_output_ > 0" in r.stdout
    assert f"{net}:29:3: L910 error fatal: Cannot copy param 0 weights from layer 'ip2'" in r.stdout
    # an unknown type that the net does not have stays on the log line
    assert f"{DATA / 'fatal.log'}:9:1: L910 error fatal: Check failed" in r.stdout


def test_warnings_only_exit_zero_and_summary():
    r = run(str(DATA / "restart.log"), "--no-color")
    assert r.returncode == 0, r.stderr
    assert "restored from snapshots/lenet_iter_100.solverstate" in r.stdout
    assert "skipped lines" in r.stdout and "train loss" in r.stdout
    r = run(str(DATA / "nan_forward.log"), "--exit-zero")
    assert r.returncode == 0


def test_csv_export(tmp_path):
    r = run(str(DATA / "restart.log"), "--csv", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    train = (tmp_path / "out" / "restart.log.train.csv").read_text().splitlines()
    test = (tmp_path / "out" / "restart.log.test.csv").read_text().splitlines()
    assert train[0] == "NumIters,Seconds,LearningRate,loss" and len(train) == 1 + 16 + 11
    assert test[0] == "NumIters,Seconds,accuracy,loss" and len(test) == 1 + 7


def test_several_logs_json_is_a_list():
    r = run(str(DATA / "restart.log"), str(DATA / "inf_backward.log"), "--json")
    docs = json.loads(r.stdout)
    assert [Path(d["path"]).name for d in docs] == ["restart.log", "inf_backward.log"]
    assert r.returncode == 1  # the Inf in inf_backward.log


def test_unreadable_file_is_usage_error(tmp_path):
    r = run(str(tmp_path / "missing.log"))
    assert r.returncode == 2 and "cannot read" in r.stderr


def test_help_lists_log():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "prototxt_ls", "--help"], check=False, capture_output=True, text=True,
                       env=env)
    assert " log " in r.stdout or "log" in r.stdout.split()


def test_real_normal_log_json():
    if not NORMAL.is_file():
        pytest.skip("corpus not present")
    r = run(str(NORMAL), "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert len(doc["train"]) == 21 and [t["iteration"] for t in doc["test"]] == [0, 50, 100, 150, 200]
    assert doc["verdicts"] == [] and doc["skipped"] == 0
