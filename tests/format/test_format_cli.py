"""``prototxt-ls format`` as a subprocess: in place, --check, --diff, stdin, broken files, exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MESSY = 'name: "net"\nlayer { name: "a"  # a\n type: "ReLU" }\n'
CLEAN = 'name: "net"\n\nlayer {\n  name: "a"  # a\n  type: "ReLU"\n}\n'


def run(*args: str, cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "prototxt_ls", "format", *args], cwd=cwd, env=env,
                          input=stdin, capture_output=True, timeout=60, check=False)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "messy.prototxt").write_bytes(MESSY.encode())
    (tmp_path / "clean.prototxt").write_bytes(CLEAN.encode())
    sub = tmp_path / "models"
    sub.mkdir()
    (sub / "crlf.prototxt").write_bytes(MESSY.replace("\n", "\r\n").encode())
    (sub / "notes.txt").write_bytes(b"not { a prototxt")
    return tmp_path


def test_in_place_rewrite(tree: Path) -> None:
    clean_stat = (tree / "clean.prototxt").stat().st_mtime_ns
    r = run(".", cwd=tree)
    assert r.returncode == 0, r.stderr
    err = r.stderr.decode()
    assert "reformatted messy.prototxt" in err
    assert f"reformatted {Path('models') / 'crlf.prototxt'}" in err
    assert "2 files reformatted, 1 file left unchanged." in err
    assert "clean" not in err and r.stdout == b""
    assert (tree / "messy.prototxt").read_bytes() == CLEAN.encode()
    assert (tree / "models" / "crlf.prototxt").read_bytes() == CLEAN.replace("\n", "\r\n").encode()
    assert (tree / "clean.prototxt").stat().st_mtime_ns == clean_stat  # unchanged files are not rewritten
    assert (tree / "models" / "notes.txt").read_bytes() == b"not { a prototxt"  # not a prototxt name
    again = run(".", cwd=tree)
    assert again.returncode == 0 and "3 files left unchanged." in again.stderr.decode()


def test_check(tree: Path) -> None:
    r = run("--check", "messy.prototxt", "clean.prototxt", cwd=tree)
    assert r.returncode == 1
    assert "would reformat messy.prototxt" in r.stderr.decode()
    assert "1 file would be reformatted, 1 file would be left unchanged." in r.stderr.decode()
    assert (tree / "messy.prototxt").read_bytes() == MESSY.encode()
    ok = run("--check", "clean.prototxt", cwd=tree)
    assert ok.returncode == 0 and ok.stdout == b""


def test_diff(tree: Path) -> None:
    r = run("--diff", "messy.prototxt", "clean.prototxt", cwd=tree)
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert out.startswith("--- messy.prototxt\t(original)\n+++ messy.prototxt\t(formatted)\n@@")
    assert '-layer { name: "a"  # a\n' in out and '+  name: "a"  # a\n' in out
    assert "clean.prototxt" not in out
    assert (tree / "messy.prototxt").read_bytes() == MESSY.encode()
    both = run("--diff", "--check", "messy.prototxt", cwd=tree)
    assert both.returncode == 1 and both.stdout.decode() == out


def test_stdin_to_stdout(tree: Path) -> None:
    r = run("-", cwd=tree, stdin=MESSY.encode())
    assert r.returncode == 0, r.stderr
    assert r.stdout == CLEAN.encode()
    same = run("-", cwd=tree, stdin=CLEAN.encode())
    assert same.returncode == 0 and same.stdout == CLEAN.encode()
    check = run("--check", "-", cwd=tree, stdin=MESSY.encode())
    assert check.returncode == 1 and check.stdout == b""


def test_syntax_error_is_reported_and_skipped(tree: Path) -> None:
    broken = b'layer {\n  name: "a"\n  type: }\n}\n'
    (tree / "broken.prototxt").write_bytes(broken)
    r = run("broken.prototxt", "messy.prototxt", cwd=tree)
    assert r.returncode == 1
    err = r.stderr.decode()
    assert "error: cannot format broken.prototxt:3:7: expected a value" in err
    assert "Traceback" not in err
    assert "1 file reformatted, 1 file failed to reformat." in err
    assert (tree / "broken.prototxt").read_bytes() == broken
    assert (tree / "messy.prototxt").read_bytes() == CLEAN.encode()
    piped = run("-", cwd=tree, stdin=broken)
    assert piped.returncode == 1 and piped.stdout == b"" and "cannot format -:3:7" in piped.stderr.decode()


def test_unreadable_inputs(tree: Path) -> None:
    (tree / "latin1.prototxt").write_bytes(b'name: "caf\xe9"\n')
    (tree / "model.prototxt").write_bytes(b"\x08\x01\x00\x00binary")
    r = run("latin1.prototxt", "model.prototxt", cwd=tree)
    assert r.returncode == 1
    err = r.stderr.decode()
    assert "cannot format latin1.prototxt: byte 10 is not valid UTF-8" in err
    assert "cannot format model.prototxt: binary file" in err
    assert "Traceback" not in err


def test_usage_errors(tree: Path) -> None:
    missing = run("nope.prototxt", cwd=tree)
    assert missing.returncode == 2 and "nope.prototxt: no such file or folder" in missing.stderr.decode()
    none = run(cwd=tree)
    assert none.returncode == 2
