"""Speed of parse + schema check against protobuf's own ``text_format.Parse``.

Run the benchmarks with::

    python -m pytest benchmarks --benchmark-enable

Without ``--benchmark-enable`` (the project's ``addopts`` disable them) each
benchmark runs its function once, as a plain correctness test.

Two groups, each with our check, our parse alone and ``text_format.Parse``
side by side:

* ``largest-net``: the largest valid corpus net (inceptionv4, 142 KB), or a
  synthetic net of the same size when ``../shared/corpus`` is absent;
* ``10x-net``: that net's layers repeated ten times with renamed layers and
  blobs (``netgen.make_large_net``), about 1.4 MB.
"""

from __future__ import annotations

import pytest
from google.protobuf import text_format

from netgen import benchmark_source, make_large_net, netparameter_class
from prototxt_ls.analysis.check import check_text
from prototxt_ls.diagnostics import Severity
from prototxt_ls.syntax.parser import parse

FACTOR = 10


@pytest.fixture(scope="module")
def net_class():
    return netparameter_class()


@pytest.fixture(scope="module")
def nets(net_class):
    """{"largest-net": (label, text, layer count), "10x-net": ...}; loads the schema once (warm-up)."""
    label, text = benchmark_source()
    msg = text_format.Parse(text, net_class())
    n_layers = len(msg.layer) + len(msg.layers)
    out = {"largest-net": (label, text, n_layers),
           "10x-net": (f"{label} x{FACTOR}", make_large_net(text, FACTOR), n_layers * FACTOR)}
    check_text('name: "warm-up"\n')  # schema load and first-use costs stay out of the timings
    return out


GROUPS = ["largest-net", "10x-net"]


def _no_errors(result) -> None:
    """No syntax or schema errors (the largest corpus net is one Caffe refuses
    to build — its loss lacks a label — which the graph checks rightly report)."""
    errors = [d for d in result.diagnostics if d.severity == Severity.ERROR and d.code[0] in "SFVC"]
    assert not errors, errors[:5]


@pytest.mark.parametrize("group", GROUPS)
def test_check_text(benchmark, nets, group):
    name, text, n_layers = nets[group]
    benchmark.group = group
    benchmark.name = "check_text (parse + schema check)"
    benchmark.extra_info.update(net=name, bytes=len(text), layers=n_layers)
    result = benchmark(check_text, text, net_checks=False)
    _no_errors(result)
    assert result.root is not None and result.root.name == "NetParameter"
    assert len(result.document.root.get("layer")) + len(result.document.root.get("layers")) == n_layers


@pytest.mark.parametrize("group", GROUPS)
def test_full_lint(benchmark, nets, group):
    """Everything lint does: schema, layer graph per phase, shape inference."""
    name, text, n_layers = nets[group]
    benchmark.group = group
    benchmark.name = "check_text (full: + graph and shapes, both phases)"
    benchmark.extra_info.update(net=name, bytes=len(text), layers=n_layers)
    result = benchmark(check_text, text)
    _no_errors(result)
    assert result.net is not None and len(result.net.phases["TEST"].layers) > 0


@pytest.mark.parametrize("group", GROUPS)
def test_parse_only(benchmark, nets, group):
    name, text, n_layers = nets[group]
    benchmark.group = group
    benchmark.name = "parse (syntax only)"
    benchmark.extra_info.update(net=name, bytes=len(text), layers=n_layers)
    doc = benchmark(parse, text)
    assert not doc.errors, doc.errors[:5]
    assert len(doc.root.get("layer")) + len(doc.root.get("layers")) == n_layers


@pytest.mark.parametrize("group", GROUPS)
def test_text_format_parse(benchmark, nets, net_class, group):
    name, text, n_layers = nets[group]
    benchmark.group = group
    benchmark.name = "protobuf text_format.Parse"
    benchmark.extra_info.update(net=name, bytes=len(text), layers=n_layers)
    msg = benchmark(lambda: text_format.Parse(text, net_class()))
    assert len(msg.layer) + len(msg.layers) == n_layers
