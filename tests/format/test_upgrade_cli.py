"""``prototxt-ls upgrade`` run as a real subprocess: stdout, --in-place, --diff, --check, errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
V1 = ('name: "v1"  # keep me\ninput: "x"\ninput_dim: 1\ninput_dim: 3\ninput_dim: 8\ninput_dim: 8\n'
      'layers {\n  name: "r"\n  type: RELU\n  bottom: "x"\n  top: "x"\n  blobs_lr: 1  # odd but kept\n}\n')
V2 = 'name: "v2"\nlayer {\n  name: "r"\n  type: "ReLU"\n  bottom: "x"\n  top: "x"\n}\n'


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "prototxt_ls", "upgrade", *args], cwd=ROOT, input=stdin,
                          capture_output=True, env=env, timeout=120)


def test_prints_the_upgraded_net(tmp_path):
    f = tmp_path / "old.prototxt"
    f.write_text(V1)
    p = run(str(f))
    assert p.returncode == 0, p.stderr.decode()
    out = p.stdout.decode()
    assert out.startswith('name: "v1"  # keep me\nlayer {\n  name: "input"\n  type: "Input"\n')
    assert 'type: "ReLU"' in out and "lr_mult: 1  # odd but kept" in out and "layers" not in out
    assert f.read_text() == V1  # untouched
    assert p.stderr == b""


def test_stdin(tmp_path):
    p = run("-", stdin=V1.encode())
    assert p.returncode == 0 and b'type: "Input"' in p.stdout


def test_in_place(tmp_path):
    f = tmp_path / "old.prototxt"
    f.write_text(V1)
    p = run("--in-place", str(f))
    assert p.returncode == 0 and p.stdout == b""
    assert "upgraded" in p.stderr.decode()
    new = f.read_text()
    assert "layers" not in new and "# keep me" in new
    assert run("--check", str(f)).returncode == 0  # nothing left to do


def test_diff(tmp_path):
    f = tmp_path / "old.prototxt"
    f.write_text(V1)
    p = run("--diff", str(f))
    out = p.stdout.decode()
    assert p.returncode == 0
    assert out.startswith("--- a/") and "-layers {" in out and "+layer {" in out and '+  type: "ReLU"' in out
    assert f.read_text() == V1


def test_check(tmp_path):
    old, new = tmp_path / "old.prototxt", tmp_path / "new.prototxt"
    old.write_text(V1)
    new.write_text(V2)
    p = run("--check", str(old))
    assert p.returncode == 1 and p.stdout == b"" and "would upgrade" in p.stderr.decode()
    p = run("--check", str(new))
    assert p.returncode == 0 and p.stdout == b""
    p = run("--check", "--diff", str(old))
    assert p.returncode == 1 and b"+layer {" in p.stdout
    assert old.read_text() == V1


def test_issues_go_to_stderr_with_positions(tmp_path):
    f = tmp_path / "drop.prototxt"
    f.write_text('name: "n"\ninput: "data"\nlayers { name: "r" type: RELU bottom: "data" top: "data" }\n')
    p = run(str(f))
    assert p.returncode == 0
    assert f"{f}:2:1: `input` without input_dim" in p.stderr.decode()
    assert b"layer {" in p.stdout


def test_errors_exit_two_without_traceback(tmp_path):
    bad = tmp_path / "bad.prototxt"
    bad.write_text("layers {\n  name: 'x'\n")
    p = run(str(bad))
    err = p.stderr.decode()
    assert p.returncode == 2 and p.stdout == b""
    assert f"{bad}:1:1:" in err and "Traceback" not in err
    p = run(str(tmp_path / "missing.prototxt"))
    assert p.returncode == 2 and "cannot read" in p.stderr.decode() and b"Traceback" not in p.stderr
    latin = tmp_path / "latin.prototxt"
    latin.write_bytes(b'name: "caf\xe9"\n')
    p = run(str(latin))
    assert p.returncode == 2 and "not UTF-8" in p.stderr.decode()
    p = run("--in-place", "--check", str(bad))
    assert p.returncode == 2 and b"Traceback" not in p.stderr


def test_bom_is_kept_in_place(tmp_path):
    f = tmp_path / "bom.prototxt"
    f.write_bytes(b"\xef\xbb\xbf" + V1.encode())
    assert run("-i", str(f)).returncode == 0
    data = f.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfname:") and b"layers" not in data
