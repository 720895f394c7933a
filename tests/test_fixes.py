"""Applying fixes: the edit machinery and ``lint --fix`` / ``--unsafe-fixes``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from prototxt_ls.analysis.check import check_text
from prototxt_ls.diagnostics import TextEdit
from prototxt_ls.fixes import apply_edits, fix_text
from prototxt_ls.positions import Position, Range

ROOT = Path(__file__).resolve().parents[1]


def edit(a: int, b: int, text: str) -> TextEdit:
    return TextEdit(Range(Position(0, a, a), Position(0, b, b)), text)


def test_apply_edits_in_any_order_and_refuses_overlaps():
    assert apply_edits("abcdef", [edit(4, 5, "E"), edit(0, 1, "A")]) == "AbcdEf"
    assert apply_edits("abc", [edit(1, 1, "+")]) == "a+bc"
    with pytest.raises(ValueError):
        apply_edits("abcdef", [edit(0, 3, "x"), edit(2, 4, "y")])


NET = ('layer {\n  name: "data"\n  type: "Input"\n  top: "data"\n  input_param { shape { dim: 1 dim: 3 } }\n}\n'
       'layer {\n  name: "fc"\n  type: "InnerProduct"\n  bottom: "data"\n  top: "fc"\n'
       '  inner_product_param { num_output: "10" axis: 1.0 bias_trem: true }\n}\n')


def check(t: str):
    return check_text(t).diagnostics


def test_safe_fixes_only_by_default():
    new, n = fix_text(NET, check)
    assert n == 2 and "num_output: 10 axis: 1 bias_trem" in new
    assert [d.code for d in check(new)] == ["F101"]


def test_unsafe_fixes_add_renames():
    new, n = fix_text(NET, check, unsafe=True)
    assert n == 3 and "bias_term: true" in new and check(new) == []


def test_cli_fix_rewrites_the_file(tmp_path):
    f = tmp_path / "net.prototxt"
    f.write_text(NET)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    p = subprocess.run([sys.executable, "-m", "prototxt_ls", "lint", "--fix", str(f)], capture_output=True,
                       env=env, timeout=120)
    assert p.returncode == 1 and b"Fixed 2 issues." in p.stderr
    assert "num_output: 10" in f.read_text() and "bias_trem" in f.read_text()
    p = subprocess.run([sys.executable, "-m", "prototxt_ls", "lint", "--fix", "--unsafe-fixes", str(f)],
                       capture_output=True, env=env, timeout=120)
    assert p.returncode == 0 and b"Fixed 1 issue." in p.stderr and "bias_term" in f.read_text()
