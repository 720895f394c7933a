"""Heuristic rules stay quiet where Caffe is happy: no P or D error on a valid corpus net.

(One pass over the corpus serves both families; the pitfall and data-layer
tests hold their own positive/negative cases.)
"""

from __future__ import annotations

import pytest

from corpus_paths import CORPUS, corpus_rows
from prototxt_ls.analysis.check import check_bytes
from prototxt_ls.analysis.schemas import SchemaStore
from prototxt_ls.diagnostics import Severity

_STORE = SchemaStore()
ROWS = [r for r in corpus_rows() if r["kind"] == "net" and r["expect"] == "valid"]


@pytest.mark.corpus
@pytest.mark.parametrize("row", ROWS, ids=lambda r: r["path"])
def test_no_pitfall_or_data_error_on_valid_corpus_nets(row):
    path = CORPUS / row["path"]
    proto = None if row["schema"] == "bundled" else CORPUS / row["schema"]
    result = check_bytes(path.read_bytes(), path, proto=proto, store=_STORE)
    errors = [(d.code, d.range.start.line + 1, d.message) for d in result.diagnostics
              if d.code[0] in "PD" and d.severity == Severity.ERROR]
    assert not errors
