"""``prototxt-ls lint`` run as a real subprocess: exit codes, formats, folders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLEAN = 'name: "ok"\nlayer {\n  name: "data"\n  type: "Input"\n  top: "data"\n' \
        '  input_param { shape { dim: 1 dim: 3 } }\n}\n'
V1_NET = ('input: "x"\ninput_dim: 1\ninput_dim: 3\ninput_dim: 8\ninput_dim: 8\n'
          'layers {\n  name: "r"\n  type: RELU\n  bottom: "x"\n  top: "x"\n}\n')
BROKEN = CLEAN + 'layer {\n  name: "r"\n  type: "ReLU"\n  bottom: "data"\n  top: "r"\n' \
    '  relu_param { negative_slop: 0.1 }\n}\n'


def run(*args: str, cwd: Path | None = None, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "prototxt_ls", *args], cwd=cwd or ROOT, input=stdin,
                          capture_output=True, env=env, timeout=120)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "clean.prototxt").write_text(CLEAN)
    sub = tmp_path / "nested" / "deeper"
    sub.mkdir(parents=True)
    (sub / "broken.prototxt").write_text(BROKEN)
    (sub / "notes.txt").write_text("not a prototxt: never linted by a folder walk\n")
    hidden = tmp_path / ".hidden"
    hidden.mkdir()
    (hidden / "skip.prototxt").write_text("garbage {{{")
    return tmp_path


def test_clean_file_exits_zero(tree):
    p = run("lint", str(tree / "clean.prototxt"))
    assert p.returncode == 0, p.stdout.decode() + p.stderr.decode()
    assert "All checks passed (1 file checked)" in p.stdout.decode()


def test_findings_exit_one_with_code_frame(tree):
    p = run("lint", str(tree / "nested"))
    out = p.stdout.decode()
    assert p.returncode == 1
    assert "broken.prototxt:13:16: F101 error" in out
    assert "relu_param { negative_slop: 0.1 }" in out
    assert "^^^^^^^^^^^^^" in out  # the caret line under negative_slop
    assert "Rename to 'negative_slope'" in out
    assert "Found 1 error in 1 file (1 checked)." in out


def test_folder_walk_is_recursive_and_skips_hidden_and_other_extensions(tree):
    p = run("lint", "--output-format", "json", str(tree))
    items = json.loads(p.stdout)
    paths = {Path(i["path"]).name for i in items}
    assert paths == {"broken.prototxt"}
    assert p.returncode == 1


def test_json_contract(tree):
    p = run("lint", "--output-format", "json", str(tree / "nested" / "deeper" / "broken.prototxt"))
    (item,) = json.loads(p.stdout)
    assert {"path", "line", "column", "end_line", "end_column", "code", "name", "severity", "message",
            "fixes"} <= set(item)
    assert (item["line"], item["column"], item["end_line"], item["end_column"]) == (13, 16, 13, 29)
    assert item["code"] == "F101" and item["name"] == "unknown-field" and item["severity"] == "error"
    fix = item["fixes"][0]
    assert fix["safe"] is False and fix["edits"][0]["new_text"] == "negative_slope"


def test_github_format(tree):
    p = run("lint", "--output-format", "github", str(tree / "nested"))
    line = p.stdout.decode().strip()
    assert line.startswith("::error file=")
    assert ",line=13,col=16,endLine=13,endColumn=29,title=F101 unknown-field::" in line


def test_fail_on_and_exit_zero(tmp_path):
    f = tmp_path / "v1.prototxt"
    f.write_text(V1_NET)
    assert run("lint", str(f)).returncode == 0  # only an info (V202)
    assert run("lint", "--fail-on", "info", str(f)).returncode == 1
    assert run("lint", "--fail-on", "info", "--exit-zero", str(f)).returncode == 0


def test_select_and_ignore(tree):
    broken = str(tree / "nested")
    assert run("lint", "--ignore", "F101", broken).returncode == 0
    assert run("lint", "--select", "V", broken).returncode == 0
    assert run("lint", "--select", "unknown-field", broken).returncode == 1
    bad = run("lint", "--select", "F999", broken)
    assert bad.returncode == 2 and "F999" in bad.stderr.decode() and "Traceback" not in bad.stderr.decode()


def test_missing_path_and_bad_proto_are_usage_errors(tree):
    p = run("lint", str(tree / "nope.prototxt"))
    assert p.returncode == 2 and "no such file" in p.stderr.decode()
    p = run("lint", "--proto", str(tree / "missing.proto"), str(tree / "clean.prototxt"))
    assert p.returncode == 2 and "cannot load schema" in p.stderr.decode()
    assert "Traceback" not in p.stderr.decode()


def test_unreadable_file_exit_two(tree):
    if os.geteuid() == 0:
        pytest.skip("root can read any file")
    f = tree / "locked.prototxt"
    f.write_text(CLEAN)
    f.chmod(0)
    assert run("lint", str(f)).returncode == 2


def test_binary_nonutf8_and_empty_files_get_diagnostics(tmp_path):
    (tmp_path / "model.prototxt").write_bytes(b"\x08\x01\x12\x00\x00binary\xff")
    (tmp_path / "latin1.prototxt").write_bytes('name: "café"\nfoo: 1\n'.encode("latin-1"))
    (tmp_path / "empty.prototxt").write_bytes(b"")
    p = run("lint", "--output-format", "json", str(tmp_path))
    items = json.loads(p.stdout)
    by_file = {}
    for i in items:
        by_file.setdefault(Path(i["path"]).name, []).append(i)
    assert [i["code"] for i in by_file["model.prototxt"]] == ["S003"]
    latin = {i["code"]: i for i in by_file["latin1.prototxt"]}
    assert latin["S002"]["line"] == 1 and latin["S002"]["column"] == 11
    assert "F101" in latin  # the rest of the file is still checked
    assert [i["code"] for i in by_file["empty.prototxt"]] == ["S004"]
    assert p.returncode == 1 and b"Traceback" not in p.stderr


def test_stdin(tree):
    p = run("lint", "-", "--stdin-filename", "from_editor.prototxt", stdin=BROKEN.encode())
    assert p.returncode == 1 and "from_editor.prototxt:13:16" in p.stdout.decode()


def test_pyproject_configuration_is_used(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.prototxt-ls]\nignore = ["F101"]\n[tool.prototxt-ls.severity]\nV202 = "error"\n')
    (tmp_path / "a.prototxt").write_text(BROKEN)
    (tmp_path / "v1.prototxt").write_text(V1_NET)
    p = run("lint", "--output-format", "json", ".", cwd=tmp_path)
    items = json.loads(p.stdout)
    assert [(Path(i["path"]).name, i["code"], i["severity"]) for i in items] == [("v1.prototxt", "V202", "error")]


def test_rules_and_rule_commands():
    p = run("rules", "--json")
    rules = json.loads(p.stdout)
    assert p.returncode == 0 and any(r["code"] == "F101" for r in rules)
    p = run("rule", "F107")
    assert p.returncode == 0 and "## Why is this bad?" in p.stdout.decode() and "blobs_lr" in p.stdout.decode()
    p = run("rule", "X000")
    assert p.returncode == 2 and "no rule" in p.stderr.decode()


def test_module_and_examples_folder():
    p = run("lint", "--output-format", "json", "examples")
    codes = {i["code"] for i in json.loads(p.stdout)}
    assert {"S001", "F101", "F102", "F103", "F104", "F105", "F106", "F107", "F109", "F110", "V201", "V202",
            "G301", "G304", "G307", "H401", "H402"} <= codes
    clean = run("lint", "examples/lenet_v2.prototxt", "examples/lenet_solver.prototxt")
    assert clean.returncode == 0, clean.stdout.decode()


def test_verbose_reports_format_root_and_schema():
    p = run("lint", "-v", "-q", "examples/tiny_v0_legacy.prototxt", "examples/lenet_solver.prototxt")
    err = p.stderr.decode()
    assert "tiny_v0_legacy.prototxt: V0 net (caffe.NetParameter), checked against the bundled BVLC schema" in err
    assert "lenet_solver.prototxt: solver (caffe.SolverParameter)" in err
