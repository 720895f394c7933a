"""Completion over a real stdio connection, on documents caught mid-edit.

A ``‸`` in a test text marks the cursor; it is removed before the document is opened.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import pytest_lsp
from corpus_paths import CORPUS
from lsp_helpers import open_doc
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from prototxt_ls.layers.registry import lookup
from prototxt_ls.schema.loader import bundled_schema

pytestmark = pytest.mark.asyncio(loop_scope="module")

ROOT = Path(__file__).resolve().parents[2]
ALEXNET = CORPUS / Path("BVLC__caffe/models/bvlc_alexnet/train_val.prototxt")
CURSOR = "\u2038"

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
  convolution_param {
    num_output: 20
    kernel_size: 5
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
    result = await lsp_client.initialize_session(lsp.InitializeParams(
        capabilities=lsp.ClientCapabilities(), root_uri=ROOT.as_uri()))
    lsp_client.init_result = result
    yield
    await lsp_client.shutdown_session()


def _utf16(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


def _position(text: str, off: int) -> lsp.Position:
    start = text.rfind("\n", 0, off) + 1
    return lsp.Position(line=text.count("\n", 0, off), character=_utf16(text[start:off]))


async def complete(client: LanguageClient, path: Path, marked: str, trigger: str | None = None,
                   position: lsp.Position | None = None) -> list[lsp.CompletionItem]:
    """Open ``marked`` (cursor at ``‸``) and complete there; items in sort_text order."""
    off = marked.index(CURSOR)
    text = marked.replace(CURSOR, "", 1)
    uri = open_doc(client, path, text)
    context = None
    if trigger is not None:
        context = lsp.CompletionContext(trigger_kind=lsp.CompletionTriggerKind.TriggerCharacter,
                                        trigger_character=trigger)
    result = await client.text_document_completion_async(lsp.CompletionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=position or _position(text, off),
        context=context))
    assert isinstance(result, lsp.CompletionList) and result.is_incomplete is False
    return sorted(result.items, key=lambda i: (i.sort_text or i.label, i.label))


def cursor_span(marked: str) -> tuple[int, int, int]:
    """(line, character, character) of the cursor mark, in UTF-16 units."""
    pos = _position(marked, marked.index(CURSOR))
    return pos.line, pos.character, pos.character


def labels(items: list[lsp.CompletionItem]) -> list[str]:
    return [i.label for i in items]


def edit_span(item: lsp.CompletionItem) -> tuple[int, int, int]:
    r = item.text_edit.range
    assert r.start.line == r.end.line
    return r.start.line, r.start.character, r.end.character


def by_label(items: list[lsp.CompletionItem], label: str) -> lsp.CompletionItem:
    (item,) = [i for i in items if i.label == label]
    return item


async def test_trigger_characters_are_registered(client: LanguageClient):
    provider = client.init_result.capabilities.completion_provider
    assert list(provider.trigger_characters) == [":", " ", '"', "{"]


async def test_enum_values_after_pool_while_typing(client: LanguageClient, tmp_path: Path):
    # unclosed blocks at the end of the file: the parser still yields pooling_param
    marked = NET + 'layer {\n  name: "pool2"\n  type: "Pooling"\n  bottom: "ip1"\n  pooling_param { pool: ' + CURSOR
    items = await complete(client, tmp_path / "net.prototxt", marked)
    assert labels(items) == ["MAX", "AVE", "STOCHASTIC"]
    enum = bundled_schema().enum("PoolingParameter.PoolMethod")
    for item in items:
        assert item.kind == lsp.CompletionItemKind.EnumMember
        assert item.documentation.value == enum.values[item.label].doc
        assert item.text_edit.new_text == item.label
        assert edit_span(item) == cursor_span(marked)
    assert [i.detail for i in items] == ["= 0 (default)", "= 1", "= 2"]

    # `pool:` with the ':' trigger: a space goes in front
    marked = NET.replace("pool: MAX", "pool:" + CURSOR)
    items = await complete(client, tmp_path / "colon.prototxt", marked, trigger=":")
    assert [i.text_edit.new_text for i in items] == [" MAX", " AVE", " STOCHASTIC"]

    # a prefix is replaced
    marked = NET.replace("pool: MAX", "pool: AV" + CURSOR)
    items = await complete(client, tmp_path / "prefix.prototxt", marked)
    assert edit_span(by_label(items, "AVE")) == (25, 24, 26)


async def test_layer_types_in_type_string(client: LanguageClient, tmp_path: Path):
    marked = NET.replace('type: "InnerProduct"', 'type: "' + CURSOR + '"')
    items = await complete(client, tmp_path / "net.prototxt", marked, trigger='"')
    assert labels(items)[:6] == ["Convolution", "ReLU", "Pooling", "InnerProduct", "Input", "Data"]
    assert {"Deconvolution", "SoftmaxWithLoss", "BatchNorm", "LSTM"} <= set(labels(items))
    assert not {"PriorBox", "Upsample"} & set(labels(items))  # forks' types: not under BVLC's schema
    conv = by_label(items, "Convolution")
    assert conv.kind == lsp.CompletionItemKind.Class and conv.detail == "BVLC Caffe"
    assert conv.documentation.value == lookup("Convolution").doc + "\n\nParameters: `convolution_param`"
    assert conv.text_edit.new_text == "Convolution"  # the closing quote is already there
    assert edit_span(conv) == (29, 9, 9)

    # unterminated string at the end of the file, with a prefix: adds the closing quote
    marked = NET + 'layer {\n  name: "x"\n  type: "Conv' + CURSOR
    items = await complete(client, tmp_path / "open.prototxt", marked)
    conv = by_label(items, "Convolution")
    line, start, end = cursor_span(marked)
    assert conv.text_edit.new_text == 'Convolution"' and edit_span(conv) == (line, start - 4, end)

    # a bare value gets quotes
    marked = NET.replace('type: "InnerProduct"', "type: " + CURSOR)
    items = await complete(client, tmp_path / "bare.prototxt", marked, trigger=" ")
    assert by_label(items, "Convolution").text_edit.new_text == '"Convolution"'


async def test_bottom_lists_earlier_tops_closest_first(client: LanguageClient, tmp_path: Path):
    marked = NET + 'layer {\n  name: "loss"\n  type: "Softmax"\n  bottom: "' + CURSOR + '"\n}\n'
    items = await complete(client, tmp_path / "net.prototxt", marked, trigger='"')
    assert labels(items) == ["prob", "ip1", "pool1", "conv1", "data"]
    assert [i.detail for i in items] == [
        "1x10 · from prob (Softmax)", "1x10 · from ip1 (InnerProduct)", "1x20x12x12 · from pool1 (Pooling)",
        "1x20x24x24 · from relu1 (ReLU)", "1x1x28x28 · from data (Input)"]
    assert all(i.kind == lsp.CompletionItemKind.Variable for i in items)
    assert by_label(items, "ip1").text_edit.new_text == "ip1"

    # in the middle of the net: only what earlier layers made
    marked = NET.replace('bottom: "pool1"', 'bottom: "' + CURSOR + '"')
    items = await complete(client, tmp_path / "middle.prototxt", marked)
    assert labels(items) == ["pool1", "conv1", "data"]


async def test_top_and_name_values(client: LanguageClient, tmp_path: Path):
    marked = NET + 'layer {\n  top: "scores"\n  name: ' + CURSOR + "\n}\n"
    items = await complete(client, tmp_path / "name.prototxt", marked, trigger=" ")
    assert labels(items) == ["scores"] and items[0].text_edit.new_text == '"scores"'
    marked = NET + 'layer {\n  name: ' + CURSOR + "\n}\n"
    assert await complete(client, tmp_path / "noname.prototxt", marked, trigger=" ") == []
    marked = NET + 'layer {\n  name: "relu9"\n  bottom: "ip1"\n  top: "' + CURSOR + '"\n}\n'
    items = await complete(client, tmp_path / "top.prototxt", marked)
    assert labels(items) == ["relu9", "ip1"] and [i.detail for i in items] == ["the layer's name", "in place"]


async def test_true_false_for_bool_fields(client: LanguageClient, tmp_path: Path):
    marked = NET.replace("    kernel_size: 5\n", "    kernel_size: 5\n    bias_term: " + CURSOR + "\n")
    items = await complete(client, tmp_path / "net.prototxt", marked, trigger=" ")
    assert labels(items) == ["true", "false"]
    assert all(i.kind == lsp.CompletionItemKind.Keyword for i in items)
    assert [i.detail for i in items] == ["(default)", None]  # bias_term defaults to true


async def test_fields_of_an_empty_layer_block(client: LanguageClient, tmp_path: Path):
    marked = NET + "layer { " + CURSOR + " }\n"
    items = await complete(client, tmp_path / "net.prototxt", marked, trigger="{")
    names = labels(items)
    assert names[:4] == ["name", "type", "bottom", "top"]
    assert names[4:10] == ["include", "exclude", "param", "loss_weight", "propagate_down", "phase"]
    assert names[-1] == "blobs"
    assert not {"blobs_lr", "weight_decay", "layer", "num_output"} & set(names)  # V0/V1 fields: never in V2
    assert all(i.kind == lsp.CompletionItemKind.Field and not i.tags for i in items)
    conv = by_label(items, "convolution_param")
    assert conv.insert_text_format == lsp.InsertTextFormat.Snippet
    assert conv.text_edit.new_text == "convolution_param {\n\t$0\n}"
    assert conv.documentation.value == bundled_schema().message("LayerParameter").fields["convolution_param"].doc
    assert conv.detail == "optional ConvolutionParameter"
    name = by_label(items, "name")
    assert name.text_edit.new_text == 'name: "$0"' and name.insert_text_format == lsp.InsertTextFormat.Snippet
    lw = by_label(items, "loss_weight")
    assert lw.text_edit.new_text == "loss_weight: " and lw.insert_text_format == lsp.InsertTextFormat.PlainText


async def test_type_param_comes_right_after_the_head(client: LanguageClient, tmp_path: Path):
    marked = NET + 'layer {\n  name: "p2"\n  type: "Pooling"\n  ' + CURSOR + "\n}\n"
    items = await complete(client, tmp_path / "net.prototxt", marked)
    assert labels(items)[:4] == ["bottom", "top", "pooling_param", "include"]  # name/type set: not offered
    marked = NET + 'layer {\n  name: "d"\n  type: "Data"\n  ' + CURSOR + "\n}\n"
    items = await complete(client, tmp_path / "data.prototxt", marked)
    assert labels(items)[:5] == ["bottom", "top", "data_param", "transform_param", "include"]


async def test_new_line_inside_convolution_param(client: LanguageClient, tmp_path: Path):
    marked = NET.replace("    kernel_size: 5\n", "    kernel_size: 5\n    " + CURSOR + "\n")
    items = await complete(client, tmp_path / "net.prototxt", marked)
    names = labels(items)
    conv = bundled_schema().message("ConvolutionParameter")
    # declaration order; set singular fields left out, repeated ones kept
    assert names == [n for n in conv.fields if n not in ("num_output", "weight_filler")]
    assert names[:3] == ["bias_term", "pad", "kernel_size"]
    bias = by_label(items, "bias_filler")
    assert bias.text_edit.new_text == "bias_filler {\n\t$0\n}" and bias.detail == "optional FillerParameter"
    assert by_label(items, "bias_term").detail == "optional bool = true"

    # a word being typed: prefix replaced, the same list
    marked = NET.replace("    kernel_size: 5\n", "    kernel_size: 5\n    bias_t" + CURSOR + "\n")
    items = await complete(client, tmp_path / "prefix.prototxt", marked)
    assert edit_span(by_label(items, "bias_term")) == (16, 4, 10)
    # a name already followed by ':' gets no second one
    marked = NET.replace("    kernel_size: 5\n", "    kernel_size: 5\n    bias_t" + CURSOR + ": false\n")
    items = await complete(client, tmp_path / "colon.prototxt", marked)
    assert by_label(items, "bias_term").text_edit.new_text == "bias_term"


async def test_deprecated_and_v1_only_fields_are_tagged(client: LanguageClient, tmp_path: Path):
    items = await complete(client, tmp_path / "net.prototxt", NET + CURSOR)
    deprecated = [i.label for i in items if list(i.tags or ()) == [lsp.CompletionItemTag.Deprecated]]
    assert deprecated == ["input", "input_shape", "input_dim", "layers"]
    # `name` and `force_backward` are set already; deprecated ones ranked last
    assert labels(items) == ["layer", "state", "debug_info", "input", "input_shape", "input_dim", "layers"]
    assert by_label(items, "layers").documentation.value.endswith(
        "**V0/V1 only.** In a V2 net: `layer` blocks with string types (Caffe upgrades V1 `layers` on load).")

    v1 = 'layers {\n  name: "c"\n  type: CONVOLUTION\n  ' + CURSOR + "\n}\n"
    items = await complete(client, tmp_path / "v1.prototxt", v1)
    deprecated = [i.label for i in items if list(i.tags or ()) == [lsp.CompletionItemTag.Deprecated]]
    assert deprecated == ["blob_share_mode", "blobs_lr", "weight_decay", "layer"]
    assert labels(items)[:3] == ["bottom", "top", "convolution_param"]
    assert by_label(items, "blobs_lr").documentation.value.endswith(
        "**V0/V1 only.** In a V2 net: one `param { lr_mult: ... }` block per weight blob.")

    v1 = 'layers {\n  name: "c"\n  type: CONV' + CURSOR + "\n}\n"
    items = await complete(client, tmp_path / "v1type.prototxt", v1)
    conv = by_label(items, "CONVOLUTION")
    assert conv.kind == lsp.CompletionItemKind.EnumMember
    assert conv.documentation.value == 'Becomes "Convolution".\n\n' + lookup("Convolution").doc


async def test_utf16_positions_after_non_bmp_characters(client: LanguageClient, tmp_path: Path):
    # `name: "LeNet 🚀" force_backward: ‸`: the rocket takes two UTF-16 units
    marked = NET.replace("force_backward: false", "force_backward: " + CURSOR + " debug_info: false")
    items = await complete(client, tmp_path / "net.prototxt", marked, trigger=" ")
    assert labels(items) == ["true", "false"]
    assert edit_span(items[0]) == (1, 33, 33)
    # inside a comment, after its emoji: nothing
    marked = NET.replace("first convolution", "first " + CURSOR + "convolution")
    assert await complete(client, tmp_path / "comment.prototxt", marked) == []
    # after the emoji of a string on the same line, in a block
    marked = NET + 'layer { name: "\U0001F680" type: "Pooling" pooling_param { pool: ' + CURSOR + " } }\n"
    items = await complete(client, tmp_path / "string.prototxt", marked)
    assert labels(items) == ["MAX", "AVE", "STOCHASTIC"]
    assert edit_span(items[0]) == cursor_span(marked) == (35, 57, 57)  # 56 code points


async def test_trigger_characters_only_open_useful_lists(client: LanguageClient, tmp_path: Path):
    marked = NET.replace('name: "ip1"', 'name: "ip1" ' + CURSOR)
    assert await complete(client, tmp_path / "space.prototxt", marked, trigger=" ") == []
    items = await complete(client, tmp_path / "invoked.prototxt", marked)  # asked for: the layer's fields
    assert labels(items)[:4] == ["bottom", "top", "include", "exclude"]  # inner_product_param is set
    marked = NET.replace("  convolution_param {\n", "  convolution_param {" + CURSOR + "\n")
    items = await complete(client, tmp_path / "brace.prototxt", marked, trigger="{")
    assert "bias_term" in labels(items)
    # `layer ` waits for its '{': nothing to offer
    marked = NET + "layer " + CURSOR
    assert await complete(client, tmp_path / "layer.prototxt", marked, trigger=" ") == []
    assert await complete(client, tmp_path / "layer2.prototxt", marked) == []


async def test_out_of_range_and_unknown_answer_empty(client: LanguageClient, tmp_path: Path):
    assert await complete(client, tmp_path / "a.prototxt", NET + CURSOR,
                          position=lsp.Position(line=999, character=0)) == []
    assert await complete(client, tmp_path / "b.prototxt", NET + CURSOR,
                          position=lsp.Position(line=3, character=500)) == []
    # a field name the schema does not know: no fields for its block
    marked = 'layer {\n  convolution_prm {\n    ' + CURSOR + "\n  }\n}\n"
    assert await complete(client, tmp_path / "c.prototxt", marked) == []
    result = await client.text_document_completion_async(lsp.CompletionParams(
        text_document=lsp.TextDocumentIdentifier(uri=(tmp_path / "never.prototxt").as_uri()),
        position=lsp.Position(line=0, character=0)))
    assert list(result.items) == []


async def test_empty_file_offers_net_fields(client: LanguageClient, tmp_path: Path):
    items = await complete(client, tmp_path / "empty.prototxt", CURSOR)
    assert labels(items)[:2] == ["name", "layer"]
    assert by_label(items, "layer").text_edit.new_text == "layer {\n\t$0\n}"


@pytest.mark.corpus
@pytest.mark.skipif(not ALEXNET.is_file(), reason="corpus not present")
async def test_alexnet(client: LanguageClient):
    text = ALEXNET.read_text()
    marked = text.replace('bottom: "norm1"', 'bottom: "' + CURSOR + '"', 1)
    items = await complete(client, ALEXNET, marked, trigger='"')
    assert labels(items) == ["norm1", "conv1", "data", "label"]
    assert items[0].detail == "256x96x55x55 (TRAIN), 50x96x55x55 (TEST) · from norm1 (LRN)"
    assert items[1].detail == "256x96x55x55 (TRAIN), 50x96x55x55 (TEST) · from relu1 (ReLU)"

    marked = text.replace("backend: LMDB", "backend: " + CURSOR, 1)
    items = await complete(client, ALEXNET, marked)
    assert labels(items) == ["LEVELDB", "LMDB"]
    assert items[0].detail == "= 0 (default)"


FAST_RCNN_PROTO = CORPUS / Path("rbgirshick__caffe-fast-rcnn@0dcd397b/src/caffe/proto/caffe.proto")


@pytest.mark.corpus
@pytest.mark.skipif(not FAST_RCNN_PROTO.is_file(), reason="corpus not present")
async def test_layer_types_of_a_forks_schema(client: LanguageClient, tmp_path: Path):
    marked = f'# proto-file: {FAST_RCNN_PROTO}\nlayer {{\n  name: "roi"\n  type: "{CURSOR}"\n}}\n'
    items = await complete(client, tmp_path / "net.prototxt", marked)
    schema_only = [(i.label, i.detail) for i in items if i.detail == "the loaded schema"]
    assert schema_only == [("ROIPooling", "the loaded schema"), ("SmoothL1Loss", "the loaded schema")]
    assert by_label(items, "ROIPooling").documentation.value == (
        "A layer type of the loaded caffe.proto (its parameters: `roi_pooling_param`).")
    assert not [i for i in items if i.detail and "SSD" in i.detail]  # that fork's schema has no prior_box_param
