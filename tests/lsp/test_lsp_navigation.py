"""Navigation over a real stdio connection: definition, references, highlights, rename."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus_paths import CORPUS, ROOT
from lsp_helpers import open_doc
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

LENET_CORPUS = CORPUS / "BVLC__caffe" / "examples" / "mnist" / "lenet_train_test.prototxt"

#: A LeNet-like net: TRAIN and TEST data layers, an in-place ReLU on conv1, a TEST-only accuracy.
NET = '''name: "LeNetish"
# data layers:
# one per phase
layer {
  name: "mnist"
  type: "Input"
  top: "data"
  top: "label"
  include { phase: TRAIN }
  input_param { shape { dim: 64 dim: 1 dim: 28 dim: 28 } shape { dim: 64 } }
}
layer {
  name: "mnist"
  type: "Input"
  top: "data"
  top: "label"
  include { phase: TEST }
  input_param { shape { dim: 100 dim: 1 dim: 28 dim: 28 } shape { dim: 100 } }
}
layer {
  name: "conv1"
  type: "Convolution"
  bottom: "data"
  top: "conv1"
  convolution_param {
    num_output: 20
    kernel_size: 5
  }
}
layer {
  name: "relu1"
  type: "ReLU"
  bottom: "conv1"
  top: "conv1"
}
layer {
  name: "ip1"
  type: "InnerProduct"
  bottom: "conv1"
  top: "ip1"
  inner_product_param { num_output: 10 }
}
layer {
  name: "loss"
  type: "SoftmaxWithLoss"
  bottom: "ip1"
  bottom: "label"
  top: "loss"
}
layer {
  name: "accuracy"
  type: "Accuracy"
  bottom: "ip1"
  bottom: "label"
  top: "accuracy"
  include { phase: TEST }
}
'''

V1_BROKEN = '''name: "TinyV1"
input: "data"
input_dim: 1
input_dim: 3
input_dim: 8
input_dim: 8
layers {
  name: "conv1"
  type: CONVOLUTION
  bottom: "data"
  top: "conv1"
  convolution_param { num_output: 4 kernel_size: 3 }
}
layers {
  name: "relu1"
  type: RELU
  bottom: "conv1"
  top: "conv1"
  @@ !!
}
layers {
  name: "pool1"
  type: POOLING
  bottom: "conv1"
  top: "pool1"
'''

V0 = '''name: "TinyV0"
input: "data"
input_dim: 1
input_dim: 3
input_dim: 8
input_dim: 8
layers {
  layer { name: "conv1" type: "conv" num_output: 4 kernelsize: 3 }
  bottom: "data"
  top: "conv1"
}
layers {
  layer { name: "relu1" type: "relu" }
  bottom: "conv1"
  top: "conv1"
}
layers {
  layer { name: "fc" type: "innerproduct" num_output: 2 }
  bottom: "conv1"
  top: "fc"
}
'''


# ---------------------------------------------------------------------- helpers
def at(text: str, needle: str, nth: int = 0, after: str | None = None, delta: int = 1) -> lsp.Position:
    """Position ``delta`` characters into the nth ``needle`` (after the first ``after``), ASCII text."""
    start = text.index(after) if after else 0
    off = start - 1
    for _ in range(nth + 1):
        off = text.index(needle, off + 1)
    off += delta
    line = text.count("\n", 0, off)
    return lsp.Position(line=line, character=off - (text.rfind("\n", 0, off) + 1))


def span(text: str, needle: str, nth: int = 0, after: str | None = None) -> tuple[int, int, int]:
    """(line, start char, end char) of the contents of the nth quoted ``needle``."""
    p = at(text, f'"{needle}"', nth, after, delta=1)
    return p.line, p.character, p.character + len(needle)


def where(loc) -> tuple[int, int, int]:
    """(line, start, end) of a Location or DocumentHighlight, without the quotes."""
    r = loc.range
    assert r.start.line == r.end.line
    return r.start.line, r.start.character + 1, r.end.character - 1


def apply(text: str, edits: list[lsp.TextEdit]) -> str:
    lines = text.split("\n")
    starts = [0]
    for ln in lines[:-1]:
        starts.append(starts[-1] + len(ln) + 1)

    def off(p: lsp.Position) -> int:
        return starts[p.line] + p.character

    for e in sorted(edits, key=lambda e: off(e.range.start), reverse=True):
        text = text[:off(e.range.start)] + e.new_text + text[off(e.range.end):]
    return text


def doc(uri: str) -> lsp.TextDocumentIdentifier:
    return lsp.TextDocumentIdentifier(uri=uri)


async def definition(client: LanguageClient, uri: str, pos: lsp.Position):
    return await client.text_document_definition_async(lsp.DefinitionParams(text_document=doc(uri), position=pos))


async def references(client: LanguageClient, uri: str, pos: lsp.Position, decl: bool = True):
    return await client.text_document_references_async(lsp.ReferenceParams(
        text_document=doc(uri), position=pos, context=lsp.ReferenceContext(include_declaration=decl)))


async def rename(client: LanguageClient, uri: str, pos: lsp.Position, new: str):
    return await client.text_document_rename_async(lsp.RenameParams(text_document=doc(uri), position=pos,
                                                                    new_name=new))


async def prepare(client: LanguageClient, uri: str, pos: lsp.Position):
    return await client.text_document_prepare_rename_async(lsp.PrepareRenameParams(text_document=doc(uri),
                                                                                   position=pos))


# ---------------------------------------------------------------------- definition
async def test_definition_follows_the_in_place_chain(client: LanguageClient, tmp_path: Path):
    uri = open_doc(client, tmp_path / "net.prototxt", NET)
    relu_top = span(NET, "conv1", after='name: "relu1"', nth=1)
    conv_top = span(NET, "conv1", after='name: "conv1"', nth=1)
    # ip1 reads conv1 after the in-place relu1: the relu's top.
    (loc,) = await definition(client, uri, at(NET, '"conv1"', after='name: "ip1"'))
    assert loc.uri == uri and where(loc) == relu_top
    # relu1's own bottom: conv1's top, not its own.
    (loc,) = await definition(client, uri, at(NET, '"conv1"', after='name: "relu1"'))
    assert where(loc) == conv_top
    # the cursor at either end of the string counts too
    (loc,) = await definition(client, uri, at(NET, '"conv1"', after='name: "ip1"', delta=7))
    assert where(loc) == relu_top


async def test_definition_honours_phases(client: LanguageClient, tmp_path: Path):
    uri = open_doc(client, tmp_path / "net.prototxt", NET)
    train_label = span(NET, "label", nth=0)
    test_label = span(NET, "label", nth=1)
    assert train_label != test_label
    # TEST-only accuracy: the TEST data layer only.
    (loc,) = await definition(client, uri, at(NET, '"label"', after='name: "accuracy"'))
    assert where(loc) == test_label
    # loss is built in both phases: one producer per phase.
    locs = await definition(client, uri, at(NET, '"label"', after='name: "loss"'))
    assert [where(x) for x in locs] == [train_label, test_label]


async def test_definition_of_a_top_or_layer_name_is_itself(client: LanguageClient, tmp_path: Path):
    uri = open_doc(client, tmp_path / "net.prototxt", NET)
    (loc,) = await definition(client, uri, at(NET, '"ip1"', after='name: "ip1"', nth=1))
    assert where(loc) == span(NET, "ip1", after='name: "ip1"', nth=1)
    (loc,) = await definition(client, uri, at(NET, '"relu1"'))
    assert where(loc) == span(NET, "relu1")
    # a field name, a type string, a number: nothing
    assert await definition(client, uri, at(NET, "bottom", after='name: "ip1"')) is None
    assert await definition(client, uri, at(NET, '"ReLU"')) is None
    assert await definition(client, uri, at(NET, "20")) is None


async def test_out_of_range_positions_answer_empty(client: LanguageClient, tmp_path: Path):
    uri = open_doc(client, tmp_path / "net.prototxt", NET)
    for pos in (lsp.Position(line=999, character=0), lsp.Position(line=21, character=400)):
        assert await definition(client, uri, pos) is None
        assert not await references(client, uri, pos)
        assert not await client.text_document_document_highlight_async(
            lsp.DocumentHighlightParams(text_document=doc(uri), position=pos))
        assert await prepare(client, uri, pos) is None


async def test_solver_net_path_opens_the_net(client: LanguageClient, tmp_path: Path):
    (tmp_path / "nets").mkdir()
    net = tmp_path / "nets" / "lenet.prototxt"
    net.write_text(NET)
    in_root = ROOT / "examples" / "lenet_v2.prototxt"
    rel_root = in_root.relative_to(ROOT).as_posix()
    solver_text = (f'net: "nets/lenet.prototxt"\ntest_net: "{rel_root}"\ntest_iter: 1\ntest_interval: 10\n'
                   'train_net: "nets/missing.prototxt"\nbase_lr: 0.01\n')
    uri = open_doc(client, tmp_path / "solver.prototxt", solver_text)
    # relative to the solver's folder
    (loc,) = await definition(client, uri, at(solver_text, "nets/lenet"))
    assert loc.uri == net.resolve().as_uri()
    assert (loc.range.start.line, loc.range.start.character, loc.range.end.line) == (0, 0, 0)
    # relative to the workspace root
    if in_root.is_file():
        (loc,) = await definition(client, uri, at(solver_text, rel_root))
        assert loc.uri == in_root.resolve().as_uri()
    # a missing file, and the field name: nothing
    assert await definition(client, uri, at(solver_text, "nets/missing")) is None
    assert await definition(client, uri, at(solver_text, "net:", delta=0)) is None


# ---------------------------------------------------------------------- references / highlights
async def test_references(client: LanguageClient, tmp_path: Path):
    uri = open_doc(client, tmp_path / "net.prototxt", NET)
    pos = at(NET, '"conv1"', after='name: "relu1"')
    refs = await references(client, uri, pos)
    conv1_places = [span(NET, "conv1", nth=i) for i in range(1, 5)]  # nth=0 is the layer name
    assert [where(r) for r in refs] == conv1_places
    reads = await references(client, uri, pos, decl=False)
    assert [where(r) for r in reads] == [conv1_places[1], conv1_places[3]]
    # a layer name: every layer of that name, never the blob of the same name
    assert len(await references(client, uri, at(NET, '"mnist"'))) == 2
    (only,) = await references(client, uri, at(NET, '"conv1"'))
    assert where(only) == span(NET, "conv1")
    assert len(await references(client, uri, at(NET, '"label"', nth=2))) == 4


async def test_highlight_kinds(client: LanguageClient, tmp_path: Path):
    uri = open_doc(client, tmp_path / "net.prototxt", NET)
    hs = await client.text_document_document_highlight_async(lsp.DocumentHighlightParams(
        text_document=doc(uri), position=at(NET, '"conv1"', after='name: "ip1"')))
    R, W = lsp.DocumentHighlightKind.Read, lsp.DocumentHighlightKind.Write
    assert [(where(h), h.kind) for h in hs] == list(zip([span(NET, "conv1", nth=i) for i in range(1, 5)],
                                                        [W, R, W, R]))
    hs = await client.text_document_document_highlight_async(lsp.DocumentHighlightParams(
        text_document=doc(uri), position=at(NET, '"mnist"', nth=1)))
    assert [h.kind for h in hs] == [lsp.DocumentHighlightKind.Text] * 2


# ---------------------------------------------------------------------- rename
async def test_prepare_rename(client: LanguageClient, tmp_path: Path):
    uri = open_doc(client, tmp_path / "net.prototxt", NET)
    res = await prepare(client, uri, at(NET, '"conv1"', after='name: "ip1"'))
    line, s, e = span(NET, "conv1", after='name: "ip1"')
    assert res.placeholder == "conv1"
    assert (res.range.start.line, res.range.start.character, res.range.end.character) == (line, s, e)
    res = await prepare(client, uri, at(NET, '"ip1"'))
    assert res.placeholder == "ip1"
    # refused: a field name, a type, a phase, a comment
    for pos in (at(NET, "bottom", after='name: "ip1"'), at(NET, '"InnerProduct"'), at(NET, "TRAIN"),
                at(NET, "data layers")):
        assert await prepare(client, uri, pos) is None


async def test_rename_blob_changes_every_bottom_and_top_only(client: LanguageClient, tmp_path: Path):
    uri = open_doc(client, tmp_path / "net.prototxt", NET)
    edit = await rename(client, uri, at(NET, '"conv1"', after='name: "relu1"', nth=1), "c1")
    edits = edit.changes[uri]
    assert len(edits) == 4
    expected = NET.replace('bottom: "conv1"', 'bottom: "c1"').replace('top: "conv1"', 'top: "c1"')
    assert apply(NET, edits) == expected
    assert 'name: "conv1"' in expected  # the layer keeps its name


async def test_rename_layer_name(client: LanguageClient, tmp_path: Path):
    uri = open_doc(client, tmp_path / "net.prototxt", NET)
    edit = await rename(client, uri, at(NET, '"mnist"', nth=1), "digits")
    assert apply(NET, edit.changes[uri]) == NET.replace('"mnist"', '"digits"')
    edit = await rename(client, uri, at(NET, '"conv1"'), "first_conv")
    assert apply(NET, edit.changes[uri]) == NET.replace('name: "conv1"', 'name: "first_conv"')


async def test_rename_refuses_a_collision(client: LanguageClient, tmp_path: Path):
    uri = open_doc(client, tmp_path / "net.prototxt", NET)
    with pytest.raises(JsonRpcException) as info:
        await rename(client, uri, at(NET, '"conv1"', after='name: "ip1"'), "ip1")
    assert "already exists" in str(info.value) and "'ip1'" in str(info.value)
    with pytest.raises(JsonRpcException) as info:
        await rename(client, uri, at(NET, '"relu1"'), "loss")
    assert "already exists" in str(info.value)
    with pytest.raises(JsonRpcException):
        await rename(client, uri, at(NET, "bottom", after='name: "ip1"'), "x")
    # the escaped form is written for a name with a quote
    edit = await rename(client, uri, at(NET, '"ip1"', nth=2), 'fc"1')
    assert apply(NET, edit.changes[uri]).count('"fc\\"1"') == 3


# ---------------------------------------------------------------------- old formats, broken files, corpus
async def test_v1_net_with_syntax_errors(client: LanguageClient, tmp_path: Path):
    uri = open_doc(client, tmp_path / "v1.prototxt", V1_BROKEN)
    (loc,) = await definition(client, uri, at(V1_BROKEN, '"conv1"', after='name: "pool1"'))
    assert where(loc) == span(V1_BROKEN, "conv1", after='name: "relu1"', nth=1)
    (loc,) = await definition(client, uri, at(V1_BROKEN, '"data"', nth=1))
    assert where(loc) == span(V1_BROKEN, "data")  # the old `input:` header
    edit = await rename(client, uri, at(V1_BROKEN, '"data"'), "image")
    assert apply(V1_BROKEN, edit.changes[uri]) == V1_BROKEN.replace('"data"', '"image"')


async def test_v0_net(client: LanguageClient, tmp_path: Path):
    uri = open_doc(client, tmp_path / "v0.prototxt", V0)
    (loc,) = await definition(client, uri, at(V0, '"conv1"', after='name: "fc"'))
    assert where(loc) == span(V0, "conv1", after='name: "relu1"', nth=1)
    assert len(await references(client, uri, at(V0, '"conv1"', nth=1))) == 4
    edit = await rename(client, uri, at(V0, '"relu1"'), "act")
    assert apply(V0, edit.changes[uri]) == V0.replace('"relu1"', '"act"')


async def test_corpus_lenet(client: LanguageClient):
    if not LENET_CORPUS.is_file():
        pytest.skip("the corpus LeNet is not available")
    text = LENET_CORPUS.read_text()
    uri = open_doc(client, LENET_CORPUS, text)
    # ip2 reads ip1 after the in-place relu1
    (loc,) = await definition(client, uri, at(text, '"ip1"', after='name: "ip2"'))
    assert where(loc) == span(text, "ip1", after='name: "relu1"', nth=1)
    # accuracy (TEST only) reads the TEST data layer's label
    (loc,) = await definition(client, uri, at(text, '"label"', after='name: "accuracy"'))
    assert where(loc) == span(text, "label", after="phase: TRAIN")  # the second data layer's top
    assert where(loc) == span(text, "label", nth=1)
    locs = await definition(client, uri, at(text, '"data"', after='name: "conv1"'))
    assert [where(x) for x in locs] == [span(text, "data", nth=0), span(text, "data", nth=1)]
    refs = await references(client, uri, at(text, '"ip1"', after='name: "ip1"', nth=1))
    assert len(refs) == 4  # ip1's top, relu1's bottom and top, ip2's bottom
    edit = await rename(client, uri, at(text, '"label"', nth=0), "target")
    assert apply(text, edit.changes[uri]) == text.replace('"label"', '"target"')
