"""Diagnostics over a real stdio connection: push on open/change, pull, versions."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from lsp_helpers import open_doc, wait_diagnostics

NET = ('layer {\n  name: "data"\n  type: "Input"\n  top: "data"\n'
       '  input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } }\n}\n'
       'layer {\n  name: "r"\n  type: "ReLU"\n  bottom: "data"\n  top: "r"\n'
       '  relu_param { negative_slop: 0.1 }  # emoji \U0001F600 before nothing\n}\n')


async def test_push_on_open_with_utf16_ranges(client: LanguageClient, tmp_path: Path):
    uri = open_doc(client, tmp_path / "net.prototxt", NET)
    diags = await wait_diagnostics(client, uri)
    (d,) = diags
    assert d.code == "F101" and d.severity == lsp.DiagnosticSeverity.Error and d.source == "prototxt-ls"
    assert (d.range.start.line, d.range.start.character, d.range.end.character) == (11, 15, 28)


async def test_change_republishes_latest_version(client: LanguageClient, tmp_path: Path):
    uri = open_doc(client, tmp_path / "net.prototxt", NET)
    await wait_diagnostics(client, uri)
    fixed = NET.replace("negative_slop", "negative_slope")
    for v, text in ((2, NET.replace("negative_slop", "negative_sl")), (3, fixed)):
        client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=v),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)]))
    for _ in range(100):
        await asyncio.sleep(0.05)
        if uri in client.diagnostics and len(client.diagnostics[uri]) == 0:
            break
    assert uri in client.diagnostics and len(client.diagnostics[uri]) == 0


async def test_pull_diagnostics(client: LanguageClient, tmp_path: Path):
    uri = open_doc(client, tmp_path / "net.prototxt", NET)
    report = await client.text_document_diagnostic_async(
        lsp.DocumentDiagnosticParams(text_document=lsp.TextDocumentIdentifier(uri=uri)))
    assert [d.code for d in report.items] == ["F101"]


async def test_broken_text_never_kills_the_server(client: LanguageClient, tmp_path: Path):
    uri = open_doc(client, tmp_path / "bad.prototxt", 'layer { name: "x\n  }}} @@ [[ \x00')
    diags = await wait_diagnostics(client, uri)
    assert diags and all(d.code for d in diags)
    report = await client.text_document_diagnostic_async(
        lsp.DocumentDiagnosticParams(text_document=lsp.TextDocumentIdentifier(uri=uri)))
    assert report.items


async def test_bad_settings_are_shown_and_defaults_kept(client: LanguageClient, tmp_path: Path):
    uri = open_doc(client, tmp_path / "net.prototxt", NET)
    await wait_diagnostics(client, uri)
    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(
        settings={"prototxt-ls": {"select": ["F999"], "colour": True}}))
    for _ in range(100):
        await asyncio.sleep(0.05)
        if len(client.messages) >= 2:
            break
    texts = [m.message for m in client.messages]
    assert any("F999" in t for t in texts) and any("colour" in t for t in texts)
    report = await client.text_document_diagnostic_async(
        lsp.DocumentDiagnosticParams(text_document=lsp.TextDocumentIdentifier(uri=uri)))
    assert [d.code for d in report.items] == ["F101"]  # the bad `select` fell back to every rule
