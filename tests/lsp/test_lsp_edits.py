"""Formatting, range formatting and code actions over a real stdio connection."""

from __future__ import annotations

from pathlib import Path

from lsp_helpers import open_doc, wait_diagnostics
from lsprotocol import types as lsp
from pygls.capabilities import ServerCapabilitiesBuilder
from pytest_lsp import LanguageClient

from prototxt_ls.analysis.check import check_text
from prototxt_ls.fixes import fix_text
from prototxt_ls.format.formatter import format_text
from prototxt_ls.format.upgrade import upgrade_text
from prototxt_ls.lsp.server import create_server

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

UGLY = ('name:"n"\nlayer{name:"data" type:"Input" top:"data"\n'
        '  input_param{shape{dim:1 dim:3 dim:8 dim:8}}}\n'
        'layer {   name: "r"\n type:"ReLU"   bottom:"data" top:"r" }\n')

TYPO = ('layer {\n  name: "data"\n  type: "Input"\n  top: "data"\n'
        '  input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } }\n}\n'
        'layer {\n  name: "r"\n  type: "ReLU"\n  bottom: "data"\n  top: "r"\n'
        '  relu_param { negative_slop: 0.1 }  # emoji \U0001F600 before nothing\n}\n')


# ---------------------------------------------------------------- helpers
def _offset(text: str, pos: lsp.Position) -> int:
    """An LSP position (UTF-16 units) as a code-point offset into ``text``."""
    lines = text.split("\n")
    off = sum(len(ln) + 1 for ln in lines[:pos.line])
    if pos.line >= len(lines):
        return len(text)
    units = 0
    for i, ch in enumerate(lines[pos.line]):
        if units >= pos.character:
            return off + i
        units += 2 if ord(ch) > 0xFFFF else 1
    return off + len(lines[pos.line])


def apply(text: str, edits: list[lsp.TextEdit]) -> str:
    spans = sorted(((_offset(text, e.range.start), _offset(text, e.range.end), e.new_text) for e in edits),
                   reverse=True)
    for a, b, new in spans:
        text = text[:a] + new + text[b:]
    return text


def edits_of(action: lsp.CodeAction, uri: str) -> list[lsp.TextEdit]:
    assert action.edit is not None and action.edit.changes is not None
    assert list(action.edit.changes) == [uri]
    return list(action.edit.changes[uri])


def whole(text: str) -> lsp.Range:
    return lsp.Range(start=lsp.Position(line=0, character=0),
                     end=lsp.Position(line=text.count("\n") + 1, character=0))


async def actions(client: LanguageClient, uri: str, rng: lsp.Range, diagnostics=(), only=None):
    return await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), range=rng,
        context=lsp.CodeActionContext(diagnostics=list(diagnostics), only=only))) or []


# ---------------------------------------------------------------- capabilities
def test_capabilities_advertised():
    server = create_server()
    fm = server.protocol.fm
    caps = ServerCapabilitiesBuilder(lsp.ClientCapabilities(), set(fm.features), fm.feature_options, [],
                                     lsp.TextDocumentSyncKind.Incremental).build()
    assert caps.document_formatting_provider and caps.document_range_formatting_provider
    assert set(caps.code_action_provider.code_action_kinds) == {"quickfix", "source.upgrade",
                                                                 "source.fixAll.prototxt-ls"}
    assert caps.inlay_hint_provider


# ---------------------------------------------------------------- formatting
async def test_formatting_equals_format_text(client: LanguageClient, tmp_path: Path):
    uri = open_doc(client, tmp_path / "ugly.prototxt", UGLY)
    edits = await client.text_document_formatting_async(lsp.DocumentFormattingParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri),
        options=lsp.FormattingOptions(tab_size=2, insert_spaces=True)))
    (edit,) = edits
    assert edit.new_text == format_text(UGLY)
    assert edit.range.start == lsp.Position(line=0, character=0)
    assert edit.range.end == lsp.Position(line=UGLY.count("\n"), character=0)
    assert apply(UGLY, edits) == format_text(UGLY)


async def test_formatting_nothing_when_formatted_or_broken(client: LanguageClient, tmp_path: Path):
    good = format_text(UGLY)
    for name, text in (("good.prototxt", good), ("broken.prototxt", 'layer { name: "x" \n')):
        uri = open_doc(client, tmp_path / name, text)
        edits = await client.text_document_formatting_async(lsp.DocumentFormattingParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            options=lsp.FormattingOptions(tab_size=2, insert_spaces=True)))
        assert not edits, name


async def test_range_formatting_changes_only_the_selected_layer(client: LanguageClient, tmp_path: Path):
    uri = open_doc(client, tmp_path / "ugly.prototxt", UGLY)
    # select the last layer's two lines (3 and 4), ending at column 0 of the line after
    rng = lsp.Range(start=lsp.Position(line=3, character=2), end=lsp.Position(line=5, character=0))
    edits = await client.text_document_range_formatting_async(lsp.DocumentRangeFormattingParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), range=rng,
        options=lsp.FormattingOptions(tab_size=2, insert_spaces=True)))
    assert edits
    new = apply(UGLY, edits)
    head = UGLY.split("\n")[:3]
    assert new.split("\n")[:3] == head  # the header and the first layer: byte for byte
    formatted_last = format_text(UGLY).split("layer {")[-1]
    assert new.endswith("layer {" + formatted_last)
    assert all(e.range.start.line >= 3 for e in edits)


# ---------------------------------------------------------------- quick fixes
async def test_typo_quick_fix_from_context(client: LanguageClient, tmp_path: Path):
    uri = open_doc(client, tmp_path / "net.prototxt", TYPO)
    (diag,) = await wait_diagnostics(client, uri)
    assert diag.code == "F101"
    got = await actions(client, uri, diag.range, [diag])
    (fix,) = [a for a in got if a.kind == lsp.CodeActionKind.QuickFix]
    assert fix.title == "Rename to 'negative_slope'"
    assert fix.is_preferred is not True  # a did-you-mean is not a safe fix
    assert list(fix.diagnostics) == [diag]
    assert edits_of(fix, uri) == [lsp.TextEdit(
        range=lsp.Range(start=lsp.Position(line=11, character=15), end=lsp.Position(line=11, character=28)),
        new_text="negative_slope")]
    assert "negative_slope: 0.1" in apply(TYPO, edits_of(fix, uri))


async def test_quick_fix_without_context_uses_own_diagnostics(client: LanguageClient, tmp_path: Path):
    uri = open_doc(client, tmp_path / "net.prototxt", TYPO)
    cursor = lsp.Position(line=11, character=20)
    got = await actions(client, uri, lsp.Range(start=cursor, end=cursor))
    (fix,) = [a for a in got if a.kind == lsp.CodeActionKind.QuickFix]
    assert fix.title == "Rename to 'negative_slope'"
    (d,) = fix.diagnostics
    assert d.code == "F101" and d.source == "prototxt-ls"
    # nowhere near the typo: no quick fix
    far = lsp.Position(line=1, character=2)
    got = await actions(client, uri, lsp.Range(start=far, end=far), only=[lsp.CodeActionKind.QuickFix])
    assert got == []


async def test_mixed_styles_fix_edits_only_the_old_blocks(client: LanguageClient, tmp_path: Path):
    text = (EXAMPLES / "mixed_styles.prototxt").read_text()
    uri = open_doc(client, tmp_path / "mixed.prototxt", text)
    diags = await wait_diagnostics(client, uri)
    (v201,) = [d for d in diags if d.code == "V201"]
    got = await actions(client, uri, v201.range, [v201], only=[lsp.CodeActionKind.QuickFix])
    (fix,) = [a for a in got if list(a.diagnostics) == [v201]]
    assert fix.kind == lsp.CodeActionKind.QuickFix and fix.is_preferred is True
    edits = edits_of(fix, uri)
    first_old = text.index("layers {")
    first_old_line = text[:first_old].count("\n")
    assert all(e.range.start.line >= first_old_line for e in edits)
    new = apply(text, edits)
    assert new[:first_old] == text[:first_old]  # comments, name and the V2 layer untouched
    assert "layers" not in new[first_old:] and 'type: "Convolution"' in new and 'type: "ReLU"' in new
    # the fixed text is a V2 net Caffe would load
    assert not [d for d in check_text(new, tmp_path / "mixed.prototxt").diagnostics if d.code.startswith("V")]


# ---------------------------------------------------------------- source actions
async def test_source_upgrade_on_a_v1_net(client: LanguageClient, tmp_path: Path):
    text = (EXAMPLES / "tiny_v1_legacy.prototxt").read_text()
    uri = open_doc(client, tmp_path / "v1.prototxt", text)
    got = await actions(client, uri, lsp.Range(start=lsp.Position(line=0, character=0),
                                               end=lsp.Position(line=0, character=0)),
                        only=[lsp.CodeActionKind.Source])
    (up,) = [a for a in got if a.kind == "source.upgrade"]
    assert up.title == "Upgrade to the current format"
    (edit,) = edits_of(up, uri)
    assert edit.range == whole(text) or edit.range.start == lsp.Position(line=0, character=0)
    assert apply(text, [edit]) == upgrade_text(text).text
    assert "layers {" not in edit.new_text and 'type: "Input"' in edit.new_text


async def test_no_upgrade_for_a_current_net(client: LanguageClient, tmp_path: Path):
    text = (EXAMPLES / "lenet_v2.prototxt").read_text()
    uri = open_doc(client, tmp_path / "lenet.prototxt", text)
    got = await actions(client, uri, whole(text), only=[lsp.CodeActionKind.Source])
    assert [a for a in got if a.kind == "source.upgrade"] == []


async def test_fix_all_safe_problems(client: LanguageClient, tmp_path: Path):
    text = (EXAMPLES / "field_mistakes.prototxt").read_text()
    path = tmp_path / "mistakes.prototxt"
    uri = open_doc(client, path, text)
    got = await actions(client, uri, whole(text), only=[lsp.CodeActionKind.SourceFixAll])
    assert [a.kind for a in got] == ["source.fixAll.prototxt-ls"]
    (fix_all,) = got
    assert fix_all.title == "Fix all safe problems"
    expected, count = fix_text(text, lambda t: check_text(t, path).diagnostics)
    assert count > 0
    assert apply(text, edits_of(fix_all, uri)) == expected
    assert "num_ouptut" in expected  # the unsafe did-you-mean is left alone
    # a clean file gets no fix-all
    uri2 = open_doc(client, tmp_path / "clean.prototxt", expected.replace("num_ouptut", "num_output"))
    got2 = await actions(client, uri2, whole(expected), only=["source.fixAll"])
    assert [a for a in got2 if a.kind == "source.fixAll.prototxt-ls" and
            apply(expected, edits_of(a, uri2)) == expected] == []


async def test_only_filter(client: LanguageClient, tmp_path: Path):
    text = (EXAMPLES / "tiny_v1_legacy.prototxt").read_text()
    uri = open_doc(client, tmp_path / "v1.prototxt", text)
    quick = await actions(client, uri, whole(text), only=[lsp.CodeActionKind.QuickFix])
    assert quick and all(a.kind == lsp.CodeActionKind.QuickFix for a in quick)
    everything = await actions(client, uri, whole(text))
    assert {a.kind for a in everything} >= {lsp.CodeActionKind.QuickFix, "source.upgrade"}


async def test_quick_fix_edit_counts_utf16_units(client: LanguageClient, tmp_path: Path):
    text = ('layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 3 } } }\n'
            'layer { name: "r\U0001F600" type: "ReLU" bottom: "data" top: "r" relu_param { negative_slop: 0.1 } }\n')
    uri = open_doc(client, tmp_path / "emoji.prototxt", text)
    (diag,) = await wait_diagnostics(client, uri)
    column = text.split("\n")[1].index("negative_slop")  # code points
    assert diag.range.start == lsp.Position(line=1, character=column + 1)  # the emoji is two UTF-16 units
    (fix,) = await actions(client, uri, diag.range, [diag])
    (edit,) = edits_of(fix, uri)
    assert edit.range == diag.range
    assert apply(text, [edit]) == text.replace("negative_slop", "negative_slope")


def test_versioned_edits_when_the_client_takes_them(tmp_path: Path):
    from types import SimpleNamespace

    from prototxt_ls.lsp.documents import Documents
    from prototxt_ls.lsp.features.edits import _workspace_edit

    uri = (tmp_path / "n.prototxt").as_uri()
    a = Documents().analyse(uri, TYPO, 7)
    edits = [lsp.TextEdit(range=lsp.Range(start=lsp.Position(line=0, character=0),
                                          end=lsp.Position(line=0, character=0)), new_text="# x\n")]
    caps = lsp.ClientCapabilities(workspace=lsp.WorkspaceClientCapabilities(
        workspace_edit=lsp.WorkspaceEditClientCapabilities(document_changes=True)))
    versioned = _workspace_edit(SimpleNamespace(client_capabilities=caps), uri, a, edits)
    (change,) = versioned.document_changes
    assert change.text_document.version == 7 and change.edits == edits and versioned.changes is None
    plain = _workspace_edit(SimpleNamespace(client_capabilities=lsp.ClientCapabilities()), uri, a, edits)
    assert plain.changes == {uri: edits} and plain.document_changes is None
