"""A real LSP client over stdio (pytest-lsp) talking to ``python -m prototxt_ls serve``.

Use the ``client`` fixture: it starts the server, initializes it, and shuts it
down after the test.  ``open_doc(client, path_or_uri, text)`` opens a document
and ``wait_diagnostics(client, uri)`` waits for its published diagnostics.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

ROOT = Path(__file__).resolve().parents[2]


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "prototxt_ls", "serve"]))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(lsp.InitializeParams(
        capabilities=lsp.ClientCapabilities(), root_uri=ROOT.as_uri()))
    yield
    await lsp_client.shutdown_session()


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
