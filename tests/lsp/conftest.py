"""A real LSP client over stdio (pytest-lsp) talking to ``python -m prototxt_ls serve``.

Use the ``client`` fixture: it starts the server, initializes it, and shuts it
down after the test.  ``open_doc(client, path_or_uri, text)`` opens a document
and ``wait_diagnostics(client, uri)`` waits for its published diagnostics.
"""

from __future__ import annotations

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


from lsp_helpers import open_doc, wait_diagnostics  # noqa: E402,F401  (old imports)
