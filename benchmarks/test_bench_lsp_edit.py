"""The server's re-check after a one-character edit, with pytest-benchmark.

Run the benchmarks with::

    python -m pytest benchmarks/test_bench_lsp_edit.py --benchmark-enable

One group, ``lsp-edit``, 10,000+ lines (``bench_lsp_edit.ten_thousand_lines``),
side by side: ``text_format.Parse`` of the text, the full check (what every
edit cost before re-checks became incremental), and one ``didChange`` of
each kind (a value, a typo that loses a layer's output size, a syntax
error), each followed by its undo (so every round starts from the same
state and the pair is what is timed: divide by two per edit).  Without
``--benchmark-enable`` each runs once, and the test checks that the
incremental diagnostics equal a fresh check's.
"""

from __future__ import annotations

import pytest
from google.protobuf import text_format

from bench_lsp_edit import URI, _edited, _publish, ten_thousand_lines
from netgen import netparameter_class
from prototxt_ls.analysis.check import check_text
from prototxt_ls.lsp.documents import Documents

#: kind -> (old text, new text, a code the edit must bring, or None)
EDITS = {"value": ("lr_mult: 1", "lr_mult: 2", None), "typo": ("num_output:", "num_outpu:", "F101"),
         "syntax": ("num_output:", "num_output::", "S001")}


@pytest.fixture(scope="module")
def text() -> str:
    out = ten_thousand_lines()
    check_text('name: "warm-up"\n')
    return out


def _key(diags):
    return [(d.code, d.message, d.range) for d in diags]


@pytest.mark.benchmark(group="lsp-edit")
def test_text_format_parse(benchmark, text):
    cls = netparameter_class()
    msg = benchmark(lambda: text_format.Parse(text, cls()))
    assert len(msg.layer) > 1000


@pytest.mark.benchmark(group="lsp-edit")
def test_full_check(benchmark, text):
    result = benchmark(lambda: check_text(text))
    assert result.net is not None


@pytest.mark.benchmark(group="lsp-edit")
@pytest.mark.parametrize("kind", sorted(EDITS))
def test_edit_and_undo(benchmark, text, kind):
    old, new, code = EDITS[kind]
    edited = _edited(text, old, new)
    docs = Documents()
    docs.analyse(URI, text, 0)
    version = [0]

    def edit_and_undo() -> None:
        for t in (edited, text):
            version[0] += 1
            _publish(docs, t, version[0])

    benchmark(edit_and_undo)
    version[0] += 1
    got = docs.analyse(URI, edited, version[0]).result.diagnostics
    assert _key(got) == _key(check_text(edited).diagnostics)
    assert code is None or code in {d.code for d in got}
