"""Helpers for LSP tests: open a document, wait for its diagnostics.

Import them from here (``from lsp_helpers import open_doc``), not from conftest.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types as lsp
from pytest_lsp import LanguageClient


def open_doc(client: LanguageClient, path: Path, text: str, version: int = 1) -> str:
    uri = path.as_uri()
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        text_document=lsp.TextDocumentItem(uri=uri, language_id="prototxt", version=version, text=text)))
    return uri


async def wait_diagnostics(client: LanguageClient, uri: str, timeout: float = 20.0):
    """The latest diagnostics published for ``uri`` (waits for the first publish)."""
    await asyncio.wait_for(client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), timeout)
    for _ in range(100):
        if uri in client.diagnostics:
            return client.diagnostics[uri]
        await asyncio.sleep(0.05)
    return client.diagnostics.get(uri, [])
