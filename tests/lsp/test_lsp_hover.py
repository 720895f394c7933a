"""Hover over a real stdio connection: fields, layers, blobs, types, enum values, UTF-16."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import pytest_lsp
from corpus_paths import CORPUS
from lsp_helpers import open_doc
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from prototxt_ls.schema.loader import bundled_schema

# One server for the whole module: each test opens its own document.
pytestmark = pytest.mark.asyncio(loop_scope="module")

ROOT = Path(__file__).resolve().parents[2]
ALEXNET = CORPUS / Path("BVLC__caffe/models/bvlc_alexnet/train_val.prototxt")

NET = '''# LeNet-like test net \U0001F600 (a non-BMP character in a comment)
name: "LeNet \U0001F680" force_backward: false
layer {
  name: "data"
  type: "Input"
  top: "data"
  input_param { shape { dim: 1 dim: 1 dim: 28 dim: 28 } }
}
layer {
  name: "conv1"  # \U0001F9E0 first convolution
  type: "Convolution"
  bottom: "data"
  top: "conv1"
  param { lr_mult: 1 }
  convolution_param {
    num_output: 20
    kernel_size: 5
    stride: 1
    weight_filler { type: "xavier" }
  }
}
layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
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
  inner_product_param { num_output: 10 }
}
layer { name: "prob" type: "Softmax" bottom: "ip1" top: "prob" }
'''


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "prototxt_ls", "serve"]),
                    scope="module")
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(lsp.InitializeParams(
        capabilities=lsp.ClientCapabilities(), root_uri=ROOT.as_uri()))
    yield
    await lsp_client.shutdown_session()


def _utf16(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


def at(text: str, needle: str, delta: int = 0, nth: int = 0) -> lsp.Position:
    """The LSP (UTF-16) position of the ``nth`` ``needle`` in ``text``, plus ``delta`` code points."""
    off = -1
    for _ in range(nth + 1):
        off = text.index(needle, off + 1)
    off += delta
    start = text.rfind("\n", 0, off) + 1
    return lsp.Position(line=text.count("\n", 0, off), character=_utf16(text[start:off]))


def span(text: str, needle: str, nth: int = 0) -> lsp.Range:
    start = at(text, needle, 0, nth)
    return lsp.Range(start=start, end=lsp.Position(line=start.line, character=start.character + _utf16(needle)))


async def hover(client: LanguageClient, uri: str, pos: lsp.Position) -> lsp.Hover | None:
    return await client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=pos))


def _field_doc(message: str, field: str) -> str:
    return bundled_schema().message(message).fields[field].doc


async def test_field_shows_declaration_default_and_doc(client: LanguageClient, tmp_path: Path):
    uri = open_doc(client, tmp_path / "net.prototxt", NET)
    h = await hover(client, uri, at(NET, "num_output", 3))
    doc = _field_doc("ConvolutionParameter", "num_output")
    assert doc.startswith("Number of filters, i.e. output channels.")
    assert h.contents.kind == lsp.MarkupKind.Markdown
    assert h.contents.value == ("```proto\noptional uint32 num_output = 1;\n```\n\n" + doc
                                + "\n\nField of `ConvolutionParameter`")
    assert h.range == span(NET, "num_output")

    h = await hover(client, uri, at(NET, "pool:"))
    assert h.contents.value == (
        "```proto\noptional PoolingParameter.PoolMethod pool = 1 [default = MAX];\n```\n\n"
        + _field_doc("PoolingParameter", "pool")
        + "\n\nValues: `MAX`, `AVE`, `STOCHASTIC`\n\nField of `PoolingParameter`")
    assert h.range == lsp.Range(start=at(NET, "pool:"), end=at(NET, "pool:", 4))


async def test_message_field_shows_its_message(client: LanguageClient, tmp_path: Path):
    uri = open_doc(client, tmp_path / "net.prototxt", NET)
    h = await hover(client, uri, at(NET, "weight_filler", 1))
    schema = bundled_schema()
    assert h.contents.value == (
        "```proto\noptional FillerParameter weight_filler = 7;\n```\n\n"
        + _field_doc("ConvolutionParameter", "weight_filler")
        + "\n\n`FillerParameter`: " + schema.message("FillerParameter").doc
        + "\n\nField of `ConvolutionParameter`")


async def test_layer_name_shows_type_shapes_params_and_macs(client: LanguageClient, tmp_path: Path):
    uri = open_doc(client, tmp_path / "net.prototxt", NET)
    h = await hover(client, uri, at(NET, '"conv1"', 2))
    assert h.contents.value == (
        "**conv1** · `Convolution` layer\n\n"
        "- input `data`: `1x1x28x28`\n"
        "- output `conv1`: `1x20x24x24`\n"
        "- parameters: 520 (`20x1x5x5`, `20`)\n"
        "- MACs: 288,000 · FLOPs: 576,000")
    assert h.range == span(NET, '"conv1"')

    h = await hover(client, uri, at(NET, '"ip1"', 1))
    assert h.contents.value == (
        "**ip1** · `InnerProduct` layer\n\n"
        "- input `pool1`: `1x20x12x12`\n"
        "- output `ip1`: `1x10`\n"
        "- parameters: 28,810 (`10x2880`, `10`)\n"
        "- MACs: 28,800 · FLOPs: 57,600")


async def test_bottom_blob_shows_shape_and_producer(client: LanguageClient, tmp_path: Path):
    uri = open_doc(client, tmp_path / "net.prototxt", NET)
    h = await hover(client, uri, at(NET, 'bottom: "pool1"', 10))
    assert h.contents.value == (
        "**pool1** · blob (input of `ip1`)\n\n"
        "- shape: `1x20x12x12`\n"
        "- produced by: layer `pool1` (Pooling, line 24)")
    assert h.range == span(NET, '"pool1"', 2)

    # conv1 as pool1 reads it was last written in place by relu1
    h = await hover(client, uri, at(NET, 'bottom: "conv1"', 10, 1))
    assert h.contents.value == (
        "**conv1** · blob (input of `pool1`)\n\n"
        "- shape: `1x20x24x24`\n"
        "- produced by: layer `relu1` (ReLU, line 22)")


async def test_top_blob_in_place(client: LanguageClient, tmp_path: Path):
    uri = open_doc(client, tmp_path / "net.prototxt", NET)
    h = await hover(client, uri, at(NET, 'top: "conv1" }', 7))
    assert h.contents.value == (
        "**conv1** · blob (output of `relu1`)\n\n"
        "- shape: `1x20x24x24`\n"
        "- produced by: layer `relu1` (ReLU, line 22)\n"
        "- computed in place (also a bottom of this layer)")


async def test_unknown_bottom_has_no_producer(client: LanguageClient, tmp_path: Path):
    text = NET.replace('bottom: "ip1"', 'bottom: "ip2"')
    uri = open_doc(client, tmp_path / "net.prototxt", text)
    h = await hover(client, uri, at(text, '"ip2"', 1))
    assert h.contents.value == (
        "**ip2** · blob (input of `prob`)\n\n"
        "- shape: ?\n"
        "- produced by: none: no earlier layer produces it")


async def test_enum_value_shows_its_doc(client: LanguageClient, tmp_path: Path):
    uri = open_doc(client, tmp_path / "net.prototxt", NET)
    h = await hover(client, uri, at(NET, "MAX", 1))
    doc = bundled_schema().enum("PoolingParameter.PoolMethod").values["MAX"].doc
    assert doc == "Take the largest value in the window."
    assert h.contents.value == f"**MAX** = 0 · value of `PoolingParameter.PoolMethod` (the default)\n\n{doc}"
    assert h.range == span(NET, "MAX")


async def test_layer_type_shows_registry_doc(client: LanguageClient, tmp_path: Path):
    from prototxt_ls.layers.registry import lookup

    uri = open_doc(client, tmp_path / "net.prototxt", NET)
    h = await hover(client, uri, at(NET, '"Convolution"', 4))
    assert h.contents.value == (
        "**Convolution** · BVLC Caffe layer type\n\n"
        f"{lookup('Convolution').doc}\n\n"
        "- parameters: `convolution_param` (`ConvolutionParameter`)\n"
        "- bottoms: 1 or more · tops: 1 or more\n"
        "- old names: V1 `CONVOLUTION`, V0 `\"conv\"`")
    assert h.range == span(NET, '"Convolution"')


async def test_fork_layer_type_says_which_fork(client: LanguageClient, tmp_path: Path):
    from prototxt_ls.layers.registry import lookup

    text = NET.replace('type: "Softmax"', 'type: "Upsample"')
    uri = open_doc(client, tmp_path / "net.prototxt", text)
    h = await hover(client, uri, at(text, '"Upsample"', 2))
    spec = lookup("Upsample")
    assert spec.fork == "a deployment fork"
    assert h.contents.value.startswith(
        f"**Upsample** · layer type from a deployment fork, not BVLC Caffe\n\n{spec.doc}\n\n"
        "- parameters: `upsample_param`")
    assert h.contents.value.endswith(
        "BVLC Caffe refuses this type: check the net against the fork's caffe.proto "
        "(`# proto-file:` header or the `proto` setting).")

    text = NET.replace('type: "Softmax"', 'type: "Sofmax"')
    uri = open_doc(client, tmp_path / "typo.prototxt", text)
    h = await hover(client, uri, at(text, '"Sofmax"', 2))
    assert h.contents.value == "**Sofmax** · unknown layer type: neither BVLC Caffe nor a known fork has it"


async def test_v1_net_type_enum_and_legacy_field(client: LanguageClient, tmp_path: Path):
    text = ('input: "data"\ninput_dim: 1 input_dim: 1 input_dim: 8 input_dim: 8\n'
            'layers {\n  name: "c"\n  type: CONVOLUTION\n  bottom: "data"\n  top: "c"\n'
            '  blobs_lr: 1\n  convolution_param { num_output: 4 kernel_size: 3 }\n}\n')
    uri = open_doc(client, tmp_path / "v1.prototxt", text)
    h = await hover(client, uri, at(text, "CONVOLUTION", 2))
    assert h.contents.value.startswith(
        '**CONVOLUTION** = 4 · value of `V1LayerParameter.LayerType`\n\nBecomes "Convolution".\n\n---\n\n'
        "**Convolution** · BVLC Caffe layer type")
    h = await hover(client, uri, at(text, "blobs_lr", 2))
    assert h.contents.value == (
        "```proto\nrepeated float blobs_lr = 7;\n```\n\n" + _field_doc("V1LayerParameter", "blobs_lr")
        + "\n\n**V0/V1 only.** In a V2 net: one `param { lr_mult: ... }` block per weight blob."
        + "\n\nField of `V1LayerParameter`")
    h = await hover(client, uri, at(text, '"c"', 1))
    assert h.contents.value == (
        "**c** · `Convolution` layer (written `CONVOLUTION`)\n\n"
        "- input `data`: `1x1x8x8`\n- output `c`: `1x4x6x6`\n"
        "- parameters: 40 (`4x1x3x3`, `4`)\n- MACs: 1,296 · FLOPs: 2,592")


async def test_utf16_positions_after_non_bmp_characters(client: LanguageClient, tmp_path: Path):
    uri = open_doc(client, tmp_path / "net.prototxt", NET)
    # line 1: `name: "LeNet 🚀" force_backward: false`: the rocket is 2 UTF-16 units
    pos = at(NET, "force_backward")
    assert pos.character == 17  # 16 code points before it, plus one for the surrogate pair
    h = await hover(client, uri, pos)
    assert h.contents.value.startswith("```proto\noptional bool force_backward = 5 [default = false];\n```")
    assert h.range == lsp.Range(start=lsp.Position(line=1, character=17), end=lsp.Position(line=1, character=31))
    # the last unit of the word still hovers it; the value after it is hovered too
    h = await hover(client, uri, lsp.Position(line=1, character=30))
    assert h.range.start.character == 17
    h = await hover(client, uri, at(NET, "false", 1))
    assert h.range == lsp.Range(start=lsp.Position(line=1, character=33), end=lsp.Position(line=1, character=38))
    # a token before an emoji comment, and the comment itself (nothing to say)
    h = await hover(client, uri, at(NET, '"conv1"  #', 1))
    assert h.contents.value.startswith("**conv1** · `Convolution` layer")
    assert await hover(client, uri, at(NET, "first convolution", 2)) is None


async def test_nothing_to_say_and_out_of_range(client: LanguageClient, tmp_path: Path):
    uri = open_doc(client, tmp_path / "net.prototxt", NET)
    assert await hover(client, uri, at(NET, "{", 0, 1)) is None  # a bracket
    assert await hover(client, uri, lsp.Position(line=999, character=0)) is None
    assert await hover(client, uri, lsp.Position(line=3, character=500)) is None
    assert await hover(client, uri, lsp.Position(line=0, character=0)) is None  # a comment
    unknown = open_doc(client, tmp_path / "unknown.prototxt", 'layer { nmae: "x" }\n')
    assert await hover(client, unknown, lsp.Position(line=0, character=9)) is None
    # a document the server never saw
    assert await hover(client, (tmp_path / "never.prototxt").as_uri(), lsp.Position(line=0, character=0)) is None


async def test_hover_while_typing(client: LanguageClient, tmp_path: Path):
    text = 'layer {\n  name: "c"\n  type: "Convolution"\n  convolution_param {\n    num_output: \n'
    uri = open_doc(client, tmp_path / "typing.prototxt", text)
    h = await hover(client, uri, at(text, "num_output", 2))
    assert h.contents.value.startswith("```proto\noptional uint32 num_output = 1;\n```")


@pytest.mark.corpus
@pytest.mark.skipif(not ALEXNET.is_file(), reason="corpus not present")
async def test_alexnet_per_phase(client: LanguageClient):
    text = ALEXNET.read_text()
    uri = open_doc(client, ALEXNET, text)
    h = await hover(client, uri, at(text, '"conv1"', 2))
    assert h.contents.value == (
        "**conv1** · `Convolution` layer\n\n"
        "- input `data`: `256x?x227x227` (TRAIN), `50x?x227x227` (TEST)\n"
        "- output `conv1`: `256x96x55x55` (TRAIN), `50x96x55x55` (TEST)\n"
        "- parameters: ? (`96x?x11x11`, `96`)\n"
        "- MACs: ? · FLOPs: ?")
    h = await hover(client, uri, at(text, '"data"', 2))
    assert h.contents.value == (
        "**data** · `Data` layer\n\n- phase: TRAIN only\n"
        "- output `data`: `256x?x227x227`\n- output `label`: `256`\n"
        "- parameters: 0\n- MACs: 0 · FLOPs: 0")
    h = await hover(client, uri, at(text, 'bottom: "norm1"', 10))
    assert h.contents.value == (
        "**norm1** · blob (input of `pool1`)\n\n"
        "- shape: `256x96x55x55` (TRAIN), `50x96x55x55` (TEST)\n"
        "- produced by: layer `norm1` (LRN, line 74)")
    h = await hover(client, uri, at(text, "LMDB", 1))
    assert h.contents.value == ("**LMDB** = 1 · value of `DataParameter.DB`\n\n"
                                + bundled_schema().enum("DataParameter.DB").values["LMDB"].doc)
    h = await hover(client, uri, at(text, "crop_size", 1))
    assert h.contents.value.startswith("```proto\noptional uint32 crop_size = 3 [default = 0];\n```\n\n")


FAST_RCNN_PROTO = CORPUS / Path("rbgirshick__caffe-fast-rcnn@0dcd397b/src/caffe/proto/caffe.proto")


@pytest.mark.corpus
@pytest.mark.skipif(not FAST_RCNN_PROTO.is_file(), reason="corpus not present")
async def test_layer_type_of_a_forks_schema(client: LanguageClient, tmp_path: Path):
    text = f'# proto-file: {FAST_RCNN_PROTO}\nlayer {{\n  name: "roi"\n  type: "ROIPooling"\n}}\n'
    uri = open_doc(client, tmp_path / "net.prototxt", text)
    h = await hover(client, uri, at(text, '"ROIPooling"', 1))
    assert h.contents.value == ("**ROIPooling** · layer type of the loaded schema (not a BVLC Caffe type)\n\n"
                                "- parameters: `roi_pooling_param`")
    # the fork's own doc comments are shown for its fields
    h = await hover(client, uri, at(text, "type:", 1))
    assert h.contents.value.startswith("```proto\noptional string type = 2;\n```\n\n")
