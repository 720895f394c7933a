"""Inlay hints over a real stdio connection: each top's output shape, range filter, the setting."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsp_helpers import open_doc
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

# A LeNet-like net whose TRAIN and TEST inputs differ in batch size (64 vs 100).
LENET = '''name: "LeNet"
layer {
  name: "data_train"
  type: "Input"
  top: "data"
  include { phase: TRAIN }
  input_param { shape { dim: 64 dim: 1 dim: 28 dim: 28 } }
}
layer {
  name: "data_test"
  type: "Input"
  top: "data"
  include { phase: TEST }
  input_param { shape { dim: 100 dim: 1 dim: 28 dim: 28 } }
}
layer {
  name: "conv1"
  type: "Convolution"
  bottom: "data"
  top: "conv1"
  convolution_param { num_output: 20 kernel_size: 5 }
}
layer {
  name: "pool1"
  type: "Pooling"
  bottom: "conv1"
  top: "pool1"
  pooling_param { pool: MAX kernel_size: 2 stride: 2 }
}
layer {
  name: "ip1"
  type: "InnerProduct"
  bottom: "pool1"
  top: "ip1"
  inner_product_param { num_output: 500 }
}
layer { name: "relu1" type: "ReLU" bottom: "ip1" top: "ip1" }
layer {
  name: "loss"
  type: "EuclideanLoss"
  bottom: "ip1"
  bottom: "ip1"
  top: "loss"
  include { phase: TRAIN }
}
'''


def _top_end(text: str, line_text: str, nth: int = 0) -> tuple[int, int]:
    """(line, character) just after the closing quote of the nth line holding ``line_text``."""
    hits = [(i, ln) for i, ln in enumerate(text.splitlines()) if line_text in ln]
    i, ln = hits[nth]
    return i, ln.index(line_text) + len(line_text)


def _everything(text: str) -> lsp.Range:
    return lsp.Range(start=lsp.Position(line=0, character=0),
                     end=lsp.Position(line=text.count("\n") + 1, character=0))


async def _hints(client: LanguageClient, uri: str, rng: lsp.Range) -> list[lsp.InlayHint]:
    return await client.text_document_inlay_hint_async(lsp.InlayHintParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), range=rng)) or []


async def test_shapes_after_each_top(client: LanguageClient, tmp_path: Path):
    uri = open_doc(client, tmp_path / "lenet.prototxt", LENET)
    hints = await _hints(client, uri, _everything(LENET))
    got = [((h.position.line, h.position.character), h.label) for h in hints]
    assert got == [
        (_top_end(LENET, 'top: "data"', 0), "64x1x28x28"),    # TRAIN-only input: its TRAIN shape
        (_top_end(LENET, 'top: "data"', 1), "100x1x28x28"),   # TEST-only input
        (_top_end(LENET, 'top: "conv1"'), "100x20x24x24"),    # in both phases: TEST's shape
        (_top_end(LENET, 'top: "pool1"'), "100x20x12x12"),
        (_top_end(LENET, 'top: "ip1"', 0), "100x500"),
        (_top_end(LENET, 'top: "ip1"', 1), "100x500"),        # in place, on a one-line layer
        (_top_end(LENET, 'top: "loss"'), "scalar"),           # TRAIN-only loss
    ]
    for h in hints:
        assert h.kind == lsp.InlayHintKind.Type and h.padding_left is True


async def test_only_hints_inside_the_range(client: LanguageClient, tmp_path: Path):
    uri = open_doc(client, tmp_path / "lenet.prototxt", LENET)
    first = LENET.splitlines().index('  name: "conv1"') - 1
    rng = lsp.Range(start=lsp.Position(line=first, character=0), end=lsp.Position(line=first + 6, character=0))
    hints = await _hints(client, uri, rng)
    assert [h.label for h in hints] == ["100x20x24x24"]


async def test_unknown_dims_and_unknown_shapes(client: LanguageClient, tmp_path: Path):
    text = ('# prototxt-ls: input data=?,3,32,32\n'
            'layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 3 dim: 32 dim: 32 } } }\n'
            'layer { name: "c" type: "Convolution" bottom: "data" top: "c"\n'
            '        convolution_param { num_output: 8 kernel_size: 3 } }\n'
            'layer { name: "m" type: "NoSuchLayer" bottom: "c" top: "m" }\n')
    uri = open_doc(client, tmp_path / "net.prototxt", text)
    hints = await _hints(client, uri, _everything(text))
    # the directive leaves the batch unknown; the unknown layer type has no shape at all: no hint
    assert [(h.position.line, h.label) for h in hints] == [(1, "?x3x32x32"), (2, "?x8x30x30")]


async def test_setting_turns_them_off(client: LanguageClient, tmp_path: Path):
    uri = open_doc(client, tmp_path / "lenet.prototxt", LENET)
    assert await _hints(client, uri, _everything(LENET))
    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(
        settings={"prototxt-ls": {"inlayShapes": False}}))
    for _ in range(100):
        if not await _hints(client, uri, _everything(LENET)):
            break
        await asyncio.sleep(0.05)
    assert await _hints(client, uri, _everything(LENET)) == []
    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(
        settings={"prototxt-ls": {"inlayShapes": True}}))
    for _ in range(100):
        if await _hints(client, uri, _everything(LENET)):
            break
        await asyncio.sleep(0.05)
    assert len(await _hints(client, uri, _everything(LENET))) == 7
