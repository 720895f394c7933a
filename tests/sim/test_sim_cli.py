"""``prototxt-ls sim`` as a user runs it: a subprocess on the example LeNet, its layouts and its JSON."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from prototxt_ls.analysis.check import check_text
from prototxt_ls.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
LENET = ROOT / "examples" / "lenet_v2.prototxt"
SMALL = ["--input", "data=4,1,28,28", "--iterations", "1", "--warmup", "0"]


def _sim(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "prototxt_ls", "sim", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)


def test_text_output_has_caffe_time_layout():
    proc = _sim(str(LENET), *SMALL, "--no-color")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    lines = out.splitlines()
    i = lines.index("Average time per layer: ")
    # tools/caffe.cpp: std::setw(10) << name << "\tforward: " << ms << " ms."
    assert lines[i + 1] == f"{'data':>10}\tforward: {lines[i + 1].split(': ')[1]}"
    for name in ("conv1", "pool1", "ip1", "prob"):
        assert re.search(rf"^{name:>10}\tforward: [0-9.e+-]+ ms\.$", out, re.MULTILINE), name
        assert re.search(rf"^{name:>10}\tbackward: [0-9.e+-]+ ms\.$", out, re.MULTILINE), name
    order = ["Average Forward pass: ", "Average Backward pass: ", "Average Forward-Backward: ", "Total Time: ",
             "*** Benchmark ends ***"]
    positions = [next(k for k, line in enumerate(lines) if line.startswith(o)) for o in order]
    assert positions == sorted(positions)
    assert re.search(r"^Average Forward pass: [0-9.e+-]+ ms\.$", out, re.MULTILINE)
    assert "Peak memory: " in out
    assert "Shape proof: 5 blobs run, all match static inference" in out
    # the rich table
    assert "Fwd ms" in out and "Bwd ms" in out and "Share" in out


def test_json_contract():
    proc = _sim(str(LENET), *SMALL, "--json", "--estimate", "H100")
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    for key in ("device", "blobs", "layers", "total_forward_ms", "total_backward_ms", "mismatches"):
        assert key in d
    assert d["device"] == "cpu" and d["phase"] == "TRAIN"
    assert isinstance(d["total_forward_ms"], float) and isinstance(d["total_backward_ms"], float)
    assert d["mismatches"] == [] and d["diagnostics"] == []
    assert d["estimate"]["gpu"] == "H100"
    for row in d["layers"]:
        assert set(row) >= {"name", "type", "forward_ms", "backward_ms", "estimated_ms"}
        assert isinstance(row["name"], str) and isinstance(row["type"], str)
        assert isinstance(row["forward_ms"], float) and isinstance(row["backward_ms"], float)
        assert isinstance(row["estimated_ms"], float) and row["estimated_ms"] > 0
    assert [r["name"] for r in d["layers"]] == ["data", "conv1", "pool1", "ip1", "prob"]
    # real shapes are the static ones
    res = check_text(LENET.read_text(), inputs={"data": (4, 1, 28, 28)})
    static = res.net.phases["TRAIN"].blobs
    assert d["blobs"] == {k: list(v) for k, v in static.items()}


def test_json_without_estimate_has_null_estimates(capsys):
    assert main(["sim", str(LENET), *SMALL, "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["estimate"] is None and all(r["estimated_ms"] is None for r in d["layers"])
    assert d["backward_seeded_by"] == "outputs"  # a deploy net: no loss


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA device is present")
def test_cuda_without_cuda_is_a_usage_error():
    proc = _sim(str(LENET), "--device", "cuda")
    assert proc.returncode == 2
    assert "no CUDA device" in proc.stderr


def test_unknown_gpu_is_a_usage_error(capsys):
    assert main(["sim", str(LENET), "--estimate", "Voodoo2"]) == 2
    err = capsys.readouterr().err
    assert "unknown GPU" in err and "H100" in err


def test_not_a_net_is_a_usage_error(tmp_path, capsys):
    solver = tmp_path / "solver.prototxt"
    solver.write_text('base_lr: 0.01\nlr_policy: "fixed"\n')
    assert main(["sim", str(solver)]) == 2
    assert "is not a net" in capsys.readouterr().err


def test_missing_torch_says_how_to_install(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    assert main(["sim", str(LENET)]) == 2
    assert "pip install 'prototxt-ls[sim]'" in capsys.readouterr().err


def test_python_layer_is_not_imported_unless_allowed(tmp_path, capsys, monkeypatch):
    marker = tmp_path / "imported.txt"
    monkeypatch.delitem(sys.modules, "cli_evil_layer", raising=False)  # imported below: dropped afterwards
    (tmp_path / "cli_evil_layer.py").write_text(
        "from pathlib import Path\n"
        f"Path({str(marker)!r}).write_text('imported')\n"
        "class Copy:\n"
        "    def setup(self, bottom, top): pass\n"
        "    def reshape(self, bottom, top): top[0].reshape(*bottom[0].data.shape)\n"
        "    def forward(self, bottom, top): top[0].data[...] = bottom[0].data\n"
        "    def backward(self, top, propagate_down, bottom): pass\n")
    net = tmp_path / "net.prototxt"
    net.write_text('layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 2 } } }\n'
                   'layer { name: "py" type: "Python" bottom: "data" top: "out"\n'
                   '        python_param { module: "cli_evil_layer" layer: "Copy" } }\n')
    assert main(["sim", str(net), "--iterations", "1", "--warmup", "0", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert not marker.exists()
    assert [x["code"] for x in d["diagnostics"]] == ["T005"]
    assert [r["skipped"] is not None for r in d["layers"]] == [False, True]
    main(["sim", str(net), "--iterations", "1", "--warmup", "0", "--json", "--allow-python-layers"])
    capsys.readouterr()
    assert marker.exists()


def test_lint_and_sim_help_import_no_torch():
    code = ("import sys\n"
            "from prototxt_ls.cli.main import main\n"
            f"main(['lint', '-q', {str(LENET)!r}])\n"
            "try:\n"
            "    main(['sim', '--help'])\n"
            "except SystemExit:\n"
            "    pass\n"
            "assert 'torch' not in sys.modules, 'torch was imported'\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == 0, proc.stderr
