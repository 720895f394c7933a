"""Shapes and weight shapes against what real BVLC Caffe computed for the corpus.

``../shared/corpus/oracle/shapes/<path>.json`` holds, per phase, every blob
shape and every layer's weight-blob shapes that Caffe reported when it loaded
``oracle/materialized/<path>`` (data layers replaced by Inputs of known
size), or the error it died with.  Every known shape must match exactly;
nets Caffe built must get no error-level diagnostic; nets Caffe refused must
get an error inside the layer Caffe named.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from corpus_paths import CORPUS
from prototxt_ls.analysis.check import check_bytes
from prototxt_ls.analysis.schemas import SchemaStore
from prototxt_ls.diagnostics import Severity
from prototxt_ls.layers.shapes import to_json

ORACLE = CORPUS / "oracle"
CASES = sorted((ORACLE / "shapes").rglob("*.json")) if (ORACLE / "shapes").is_dir() else []
STORE = SchemaStore()
_CACHE: dict[Path, object] = {}


def _case_id(p: Path) -> str:
    return str(p.relative_to(ORACLE / "shapes"))[:-5]


def _load(case: Path):
    if case not in _CACHE:
        oracle = json.loads(case.read_text())
        mat = ORACLE / "materialized" / _case_id(case)
        if not oracle.get("materialized") or not mat.is_file():
            mat = CORPUS / _case_id(case)  # skipped by the oracle: nothing was materialized
        _CACHE[case] = (oracle, check_bytes(mat.read_bytes(), mat, store=STORE))
    return _CACHE[case]


def _skip_blob(name: str) -> bool:
    return name == "(automatic)" or "_split_" in name


@pytest.mark.corpus
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_blob_and_weight_shapes_match_caffe(case):
    oracle, res = _load(case)
    for phase, want in oracle["phases"].items():
        if not want.get("ok"):
            continue
        assert res.net is not None
        got = res.net.phases[phase]
        blobs = {k: to_json(v) for k, v in got.blobs.items()}
        for name, dims in want["blobs"].items():
            if _skip_blob(name):
                continue
            assert blobs.get(name) == dims, f"{phase} blob {name}: ours {blobs.get(name)}, Caffe {dims}"
        weights = {lr.layer.name: [to_json(w) for w in lr.weights] for lr in got.layers}
        for layer, dims in want.get("params", {}).items():
            assert weights.get(layer) == dims, f"{phase} weights of {layer}: ours {weights.get(layer)}, Caffe {dims}"


@pytest.mark.corpus
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_caffe_verdict_is_reproduced(case):
    oracle, res = _load(case)
    errors = [d for d in res.diagnostics if d.severity == Severity.ERROR]
    phases = oracle["phases"]
    failed = {p: v["error"] for p, v in phases.items() if not v.get("ok") and not v.get("error", "").startswith("skipped")}
    if not failed:
        if all(v.get("ok") for v in phases.values()):
            assert not errors, [(d.code, d.range.start.line + 1, d.message) for d in errors[:5]]
        return
    # Caffe stops at the first problem of each phase; the net must get an error
    # at a layer Caffe blamed.  (A phase the file never names in its rules, such
    # as TEST for a train-only file, is built but not judged by the linter.)
    hits = []
    for phase, error in failed.items():
        if "inconsistent NetParameter" in error:  # Caffe refuses a mixed net before building it
            hits += [d for d in errors if d.code == "V201"]
            continue
        layers = _blamed_layers(res, phase, error)
        assert layers, f"cannot find the layer Caffe blamed: {error}"
        spans = [(lv.block.range.start.offset, lv.block.range.end.offset) for lv in layers if lv.block is not None]
        hits += [d for d in errors if any(a <= d.range.start.offset <= b for a, b in spans)]
    assert hits, f"Caffe said {failed!r}; ours: " + repr(
        [(d.code, d.range.start.line + 1, d.message) for d in errors[:5]])


def _blamed_layers(res, phase: str, error: str):
    layers = res.net.net.layers
    m = re.search(r"\(layer '([^']+)'", error)
    if m:
        return [lv for lv in layers if lv.name == m.group(1)]
    m = re.search(r"Unknown layer type: (\w+)", error)
    if m:
        return [lv for lv in layers if lv.type_written == m.group(1)]
    m = re.search(r"(\w+) Layer takes", error)
    if m:
        in_phase = {id(lr.layer) for lr in res.net.phases[phase].layers}
        return [lv for lv in layers if lv.type == m.group(1) and id(lv) in in_phase]
    return []
