"""Server wiring: the pygls LanguageServer, safe handlers, features registered from modules.

Each feature module (``lsp/features/*.py``) has ``register(server)``; this
module only creates the server, the document store and the ``safe`` wrapper
that turns a failing handler into a logged error and an empty answer, so one
bug in hover never takes the server down.
"""

from __future__ import annotations

import functools
import importlib
import logging
import traceback

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from .. import __version__
from .documents import Analysis, Documents

log = logging.getLogger("prototxt_ls.lsp")

#: Feature modules under lsp/features/, each with register(server).
FEATURES = ("diagnostics", "hover", "completion", "navigation", "structure", "edits", "inlay")


class PrototxtServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("prototxt-ls", __version__)
        self.docs = Documents()

    def current(self, uri: str) -> tuple[str, int | None] | None:
        """The open document's (text, version); None when it is not open."""
        if uri not in self.workspace.text_documents:
            return None  # never opened: pygls would read it from disk
        try:
            doc = self.workspace.get_text_document(uri)
        except Exception:  # unknown document
            return None
        return doc.source, doc.version

    def analysis(self, uri: str) -> Analysis | None:
        """The analysis of the document's current text (computed if needed)."""
        current = self.current(uri)
        return self.docs.analyse(uri, *current) if current is not None else None


def safe(default=None):
    """Decorator: log and answer ``default`` when a handler raises."""

    def wrap(fn):
        @functools.wraps(fn)
        def inner(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except Exception:  # noqa: BLE001 - a feature must never kill the server
                log.error("prototxt-ls: %s failed:\n%s", fn.__name__, traceback.format_exc())
                return default() if callable(default) else default
        return inner
    return wrap


def create_server() -> PrototxtServer:
    server = PrototxtServer()
    for name in FEATURES:
        try:
            module = importlib.import_module(f"{__package__}.features.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__package__}.features.{name}":
                continue  # feature not built yet
            raise
        module.register(server)
    return server


def serve(tcp: str | None = None) -> int:
    logging.basicConfig(level=logging.WARNING)
    server = create_server()
    if tcp:
        host, _, port = tcp.rpartition(":")
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        server.start_io()
    return 0


__all__ = ["PrototxtServer", "create_server", "lsp", "safe", "serve"]
