"""Structure over a real stdio connection: document symbols, folding ranges, selection ranges."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest
from lsp_helpers import open_doc
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient
from test_lsp_navigation import LENET_CORPUS, NET, V0, V1_BROKEN, at

Kind = lsp.SymbolKind

SOLVER = '''# The train/test net
net: "lenet.prototxt"
test_iter: 100
test_interval: 500
base_lr: 0.01
lr_policy: "inv"
train_state {
  stage: "a"
}
solver_mode: GPU
'''


def doc(uri: str) -> lsp.TextDocumentIdentifier:
    return lsp.TextDocumentIdentifier(uri=uri)


async def symbols(client: LanguageClient, uri: str):
    return await client.text_document_document_symbol_async(lsp.DocumentSymbolParams(text_document=doc(uri)))


async def folds(client: LanguageClient, uri: str) -> list[tuple[int, int, str | None]]:
    res = await client.text_document_folding_range_async(lsp.FoldingRangeParams(text_document=doc(uri)))
    return [(f.start_line, f.end_line, f.kind) for f in res]


def contains(outer: lsp.Range, inner: lsp.Range) -> bool:
    def key(p: lsp.Position):
        return p.line, p.character
    return key(outer.start) <= key(inner.start) and key(inner.end) <= key(outer.end)


def check_nesting(syms, parent: lsp.Range | None = None) -> None:
    for s in syms:
        assert contains(s.range, s.selection_range), s.name
        if parent is not None:
            assert contains(parent, s.range), s.name
        check_nesting(s.children or [], s.range)


def text_of(text: str, r: lsp.Range) -> str:
    lines = text.split("\n")
    starts = [0]
    for ln in lines[:-1]:
        starts.append(starts[-1] + len(ln) + 1)
    return text[starts[r.start.line] + r.start.character: starts[r.end.line] + r.end.character]


# ---------------------------------------------------------------------- document symbols
async def test_net_symbols(client: LanguageClient, tmp_path: Path):
    uri = open_doc(client, tmp_path / "net.prototxt", NET)
    (net,) = await symbols(client, uri)
    assert (net.name, net.kind, net.detail) == ("LeNetish", Kind.Module, "7 layers")
    assert (net.range.start.line, net.range.end.line) == (0, NET.count("\n"))
    layers = net.children
    assert [(s.name, s.kind, s.detail) for s in layers] == [
        ("mnist", Kind.Class, "Input 64x1x28x28, 64"),
        ("mnist", Kind.Class, "Input 100x1x28x28, 100"),  # TEST only: the TEST shapes
        ("conv1", Kind.Class, "Convolution 64x20x24x24"),
        ("relu1", Kind.Class, "ReLU 64x20x24x24"),
        ("ip1", Kind.Class, "InnerProduct 64x10"),
        ("loss", Kind.Class, "SoftmaxWithLoss scalar"),
        ("accuracy", Kind.Class, "Accuracy scalar"),
    ]
    conv = layers[2]
    assert (conv.range.start.line, conv.range.end.line) == (19, 28)
    assert text_of(NET, conv.selection_range) == "conv1"
    assert [(c.name, c.kind) for c in conv.children] == [("convolution_param", Kind.Struct)]
    assert [(c.name, c.detail) for c in layers[0].children] == [("include", "phase: TRAIN"), ("input_param", None)]
    assert [c.name for c in layers[0].children[1].children] == ["shape", "shape"]
    assert layers[3].children is None
    check_nesting([net])


async def test_old_formats_and_broken_nets(client: LanguageClient, tmp_path: Path):
    uri = open_doc(client, tmp_path / "v0.prototxt", V0)
    (net,) = await symbols(client, uri)
    assert net.name == "TinyV0"
    assert [(s.name, s.detail) for s in net.children] == [
        ("input", "Input 1x3x8x8"), ("conv1", "conv 1x4x6x6"), ("relu1", "relu 1x4x6x6"), ("fc", "innerproduct 1x2")]
    header = net.children[0]
    assert (header.range.start.line, header.range.end.line) == (1, 5)  # input + the four input_dim
    check_nesting([net])

    uri = open_doc(client, tmp_path / "v1.prototxt", V1_BROKEN)
    (net,) = await symbols(client, uri)
    assert [(s.name, s.detail) for s in net.children] == [
        ("input", "Input 1x3x8x8"), ("conv1", "CONVOLUTION 1x4x6x6"), ("relu1", "RELU 1x4x6x6"),
        ("pool1", "POOLING")]  # pool1 is never closed: no shape, still a symbol
    assert [(c.name, c.detail) for c in net.children[1].children] == [
        ("convolution_param", "num_output: 4, kernel_size: 3")]
    check_nesting([net])


async def test_solver_symbols(client: LanguageClient, tmp_path: Path):
    uri = open_doc(client, tmp_path / "solver.prototxt", SOLVER)
    syms = await symbols(client, uri)
    assert [(s.name, s.kind, s.detail) for s in syms] == [
        ("net", Kind.Property, '"lenet.prototxt"'), ("test_iter", Kind.Property, "100"),
        ("test_interval", Kind.Property, "500"), ("base_lr", Kind.Property, "0.01"),
        ("lr_policy", Kind.Property, '"inv"'), ("train_state", Kind.Property, 'stage: "a"'),
        ("solver_mode", Kind.Property, "GPU")]
    assert [c.name for c in syms[5].children] == ["stage"]
    check_nesting(syms)


async def test_corpus_lenet_symbols(client: LanguageClient):
    if not LENET_CORPUS.is_file():
        pytest.skip("the corpus LeNet is not available")
    text = LENET_CORPUS.read_text()
    uri = open_doc(client, LENET_CORPUS, text)
    (net,) = await symbols(client, uri)
    assert net.name == "LeNet" and len(net.children) == 11
    names = [s.name for s in net.children]
    assert names == ["mnist", "mnist", "conv1", "pool1", "conv2", "pool2", "ip1", "relu1", "ip2", "accuracy", "loss"]
    details = {s.name: s.detail for s in net.children}
    assert details["ip1"] == "InnerProduct 64x500" and details["ip2"] == "InnerProduct 64x10"
    assert details["accuracy"] == "Accuracy scalar"
    assert all(s.detail.split()[0] in ("Data", "Convolution", "Pooling", "InnerProduct", "ReLU", "Accuracy",
                                       "SoftmaxWithLoss") for s in net.children)
    check_nesting([net])
    fr = await folds(client, uri)
    # every block of the corpus LeNet spans lines: one fold per line that opens one
    assert len([f for f in fr if f[2] is None]) == sum(1 for ln in text.split("\n") if ln.rstrip().endswith("{"))


# ---------------------------------------------------------------------- folding ranges
async def test_folding_ranges(client: LanguageClient, tmp_path: Path):
    uri = open_doc(client, tmp_path / "net.prototxt", NET)
    assert await folds(client, uri) == [
        (1, 2, "comment"),  # the two comment lines
        (3, 9, None), (11, 17, None),  # the data layers (their one-line blocks do not fold)
        (19, 27, None), (24, 26, None),  # conv1 and its convolution_param
        (29, 33, None), (35, 40, None), (42, 47, None), (49, 55, None)]
    text = 'layer { name: "a"\n  type: "ReLU" }  # trailing\n# one comment\nlayers [\n 1,\n 2 ]\n'
    uri = open_doc(client, tmp_path / "other.prototxt", text)
    assert await folds(client, uri) == [(0, 1, None), (3, 5, None)]
    # an unclosed block folds to its last line of content
    uri = open_doc(client, tmp_path / "v1.prototxt", V1_BROKEN)
    assert await folds(client, uri) == [(6, 11, None), (13, 18, None), (20, 24, None)]


# ---------------------------------------------------------------------- selection ranges
async def test_selection_range_chain(client: LanguageClient, tmp_path: Path):
    uri = open_doc(client, tmp_path / "net.prototxt", NET)
    positions = [at(NET, '"conv1"', after='name: "relu1"', delta=2), at(NET, "kernel_size", delta=3),
                 lsp.Position(line=500, character=0)]
    res = await client.text_document_selection_range_async(lsp.SelectionRangeParams(
        text_document=doc(uri), positions=positions))
    assert len(res) == 3

    def chain(sr):
        out = []
        while sr is not None:
            out.append(text_of(NET, sr.range))
            sr = sr.parent
        return out

    relu = NET[NET.index("layer {", NET.index("ReLU") - 40):NET.index("}", NET.index("ReLU")) + 1]
    assert chain(res[0]) == ["conv1", '"conv1"', 'bottom: "conv1"', relu[len("layer "):], relu, NET]
    conv_param = NET[NET.index("convolution_param"):NET.index("}", NET.index("convolution_param")) + 1]
    steps = chain(res[1])
    assert steps[:4] == ["kernel_size", "kernel_size: 5", conv_param[len("convolution_param "):], conv_param]
    assert steps[-1] == NET and steps[-2].startswith('layer {\n  name: "conv1"')
    for inner, outer in pairwise(steps):
        assert inner in outer and inner != outer
    # outside the text: an empty range where asked
    assert res[2].parent is None and res[2].range.start == res[2].range.end == positions[2]


async def test_selection_in_a_broken_file(client: LanguageClient, tmp_path: Path):
    uri = open_doc(client, tmp_path / "v1.prototxt", V1_BROKEN)
    (sr,) = await client.text_document_selection_range_async(lsp.SelectionRangeParams(
        text_document=doc(uri), positions=[at(V1_BROKEN, '"pool1"', nth=1, delta=3)]))
    steps = []
    while sr is not None:
        steps.append(text_of(V1_BROKEN, sr.range))
        sr = sr.parent
    assert steps[:3] == ["pool1", '"pool1"', 'top: "pool1"']
    assert steps[-1] == V1_BROKEN and steps[-2].startswith("layers {") and steps[-2].endswith('top: "pool1"\n')
