"""Real Caffe files: valid ones stay clean, invalid ones are flagged where protoc stopped.

``../shared/corpus/EXPECT.tsv`` says, for each file, the schema it needs and
whether protoc accepts it (with protoc's first error).  A valid file must
get no syntax or schema error (S/F/V/C) under that schema; an invalid one must
get an error on the line protoc reported.  Graph and shape errors (G/H) are
held to Caffe's own verdict instead (test_oracle_shapes.py).

Errata: a few rows say ``valid`` although protoc itself rejects the file
under the named schema (checked with grpc_tools' protoc: the fields below
are absent from that caffe.proto).  For those we hold the linter to protoc's
verdict instead, and the test re-checks with protoc when it is installed so
the list cannot go stale silently.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from corpus_paths import CORPUS, corpus_rows
from prototxt_ls.analysis.check import check_bytes
from prototxt_ls.analysis.schemas import SchemaStore
from prototxt_ls.diagnostics import Severity

#: path -> (line protoc stops at, what it says)
ERRATA = {
    "BVLC__caffe@opencl/models/inference_optimize/AlexNet-merged-1.prototxt":
        (27, 'ConvolutionParameter has no field named "fuse_type"'),
    "weiliu89__caffe@fcn/examples/cifar10/cifar10_full_sigmoid_train_test_bn.prototxt":
        (78, 'LayerParameter has no field named "bn_param"'),
    "weiliu89__caffe@pull-159-head/examples/cifar10/cifar10_full_sigmoid_train_test_bn.prototxt":
        (77, 'BatchNormParameter has no field named "scale_filler"'),
    "weiliu89__caffe@pull-159-head/examples/kitti/detectnet_network-2classes.prototxt":
        (72, 'LayerParameter has no field named "detectnet_groundtruth_param"'),
    "weiliu89__caffe@pull-159-head/examples/kitti/detectnet_network.prototxt":
        (72, 'LayerParameter has no field named "detectnet_groundtruth_param"'),
    "weiliu89__caffe@pull-159-head/models/alexnet_bn/train_val_alexnet_bn.prototxt":
        (51, 'BatchNormParameter has no field named "scale_filler"'),
}

ROWS = [r for r in corpus_rows() if r["kind"] != "schema"]
STORE = SchemaStore()


def _check(row):
    path = CORPUS / row["path"]
    proto = None if row["schema"] == "bundled" else CORPUS / row["schema"]
    return check_bytes(path.read_bytes(), path, proto=proto, store=STORE)


def _errors(result):
    return [d for d in result.diagnostics if d.severity == Severity.ERROR]


def _schema_errors(result):
    """Errors about the text against the schema (syntax, fields, formats, config).

    Whether Caffe could *build* the net (graph and shape errors, G/H) is judged
    against Caffe's own verdict in test_oracle_shapes.py, not against EXPECT.tsv.
    """
    return [d for d in _errors(result) if d.code[0] in "SFVC"]


@pytest.mark.corpus
@pytest.mark.parametrize("row", [r for r in ROWS if r["expect"] == "valid" and r["path"] not in ERRATA],
                         ids=lambda r: r["path"])
def test_valid_file_gets_no_error(row):
    result = _check(row)
    assert not result.document.errors, result.document.errors[:3]
    errors = _schema_errors(result)
    assert not errors, [(d.code, d.range.start.line + 1, d.message) for d in errors[:5]]


def _protoc_line(first_error: str) -> int | None:
    m = re.search(r"input:(\d+):", first_error)
    return int(m.group(1)) if m else None


@pytest.mark.corpus
@pytest.mark.parametrize("row", [r for r in ROWS if r["expect"] == "invalid"], ids=lambda r: r["path"])
def test_invalid_file_gets_error_where_protoc_stopped(row):
    errors = _errors(_check(row))
    assert errors, "no error reported"
    line = _protoc_line(row["first_error"])
    if line is None:  # e.g. a mixed-style net: protoc accepts it, Caffe refuses it
        assert any(d.code == "V201" for d in errors) or errors
        return
    assert line in {d.range.start.line + 1 for d in errors}, (
        row["first_error"], [(d.code, d.range.start.line + 1, d.message) for d in errors[:5]])


@pytest.mark.corpus
@pytest.mark.parametrize("path", sorted(ERRATA))
def test_errata_rows_are_flagged_like_protoc(path):
    rows = [r for r in ROWS if r["path"] == path]
    if not rows:
        pytest.skip("row not in this corpus")
    row = rows[0]
    line, what = ERRATA[path]
    errors = _errors(_check(row))
    assert line in {d.range.start.line + 1 for d in errors}
    field = what.rsplit('"', 2)[1]
    assert any(field in d.message for d in errors)
    try:
        import grpc_tools  # noqa: F401
    except ImportError:
        return
    schema = CORPUS / (row["schema"] if row["schema"] != "bundled" else "BVLC__caffe/src/caffe/proto/caffe.proto")
    proc = subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"--proto_path={schema.parent}",
                           "--encode=caffe.NetParameter", schema.name],
                          input=(CORPUS / path).read_bytes(), capture_output=True, timeout=60)
    assert proc.returncode != 0 and f"input:{line}:" in proc.stderr.decode(), proc.stderr.decode()[:300]


@pytest.mark.corpus
def test_corpus_is_large_enough_to_mean_something(corpus):
    assert len(ROWS) > 400
