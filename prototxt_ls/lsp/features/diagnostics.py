"""Diagnostics: pushed on open/change/save (latest version only), pulled on request,
re-checked when a related file (caffe.proto, a model, pyproject) changes, and the
editor's settings from workspace/configuration.

Checks run on one worker thread, so a long check (a 5 MB net takes seconds)
never stops the server from answering: hover, completion and the rest keep
working on other documents meanwhile.  Checks run one at a time, in the
order edits arrive; a result is published only if no newer edit of the
document has arrived since (that edit's own check publishes).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from lsprotocol import types as lsp

from ..convert import to_lsp_diagnostic
from ..documents import Analysis
from ..server import PrototxtServer, safe

DEBOUNCE_S = 0.05
_CHECKS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prototxt-ls-check")


def _lsp_items(a: Analysis, uri: str) -> list[lsp.Diagnostic]:
    return [to_lsp_diagnostic(d, a.lines, uri) for d in a.result.diagnostics]


async def _analyse_on_worker(server: PrototxtServer, uri: str, current: tuple[str, int | None]) -> Analysis | None:
    """The check of this text and version, run on the worker thread (None if it failed: logged)."""
    return await asyncio.get_running_loop().run_in_executor(_CHECKS, safe()(server.docs.analyse), uri, *current)


def register(server: PrototxtServer) -> None:
    pending: dict[str, asyncio.Task] = {}

    def publish(uri: str, a: Analysis) -> None:
        current = server.current(uri)
        if current is None or (a.version is not None and current[1] is not None and a.version != current[1]):
            return  # closed, or a newer edit arrived: its own check will publish
        server.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
            uri=uri, version=a.version, diagnostics=_lsp_items(a, uri)))

    def publish_now(uri: str) -> None:
        a = server.analysis(uri)
        if a is not None:
            publish(uri, a)

    async def check_and_publish(uri: str, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        current = server.current(uri)
        if current is None:
            return
        a = await _analyse_on_worker(server, uri, current)
        if a is not None:
            safe()(publish)(uri, a)

    def schedule(uri: str, delay: float = DEBOUNCE_S) -> None:
        task = pending.get(uri)
        if task is not None and not task.done():
            task.cancel()
        try:
            pending[uri] = asyncio.get_running_loop().create_task(check_and_publish(uri, delay))
        except RuntimeError:  # no loop (tests calling directly)
            safe()(publish_now)(uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    @safe()
    def did_open(ls: PrototxtServer, params: lsp.DidOpenTextDocumentParams) -> None:
        schedule(params.text_document.uri, 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    @safe()
    def did_change(ls: PrototxtServer, params: lsp.DidChangeTextDocumentParams) -> None:
        schedule(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    @safe()
    def did_save(ls: PrototxtServer, params: lsp.DidSaveTextDocumentParams) -> None:
        schedule(params.text_document.uri, 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    @safe()
    def did_close(ls: PrototxtServer, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.docs.forget(uri)
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(lsp.TEXT_DOCUMENT_DIAGNOSTIC,
                    lsp.DiagnosticOptions(identifier="prototxt-ls", inter_file_dependencies=True,
                                          workspace_diagnostics=False))
    async def pull(ls: PrototxtServer, params: lsp.DocumentDiagnosticParams):
        uri = params.text_document.uri
        current = ls.current(uri)
        a = await _analyse_on_worker(ls, uri, current) if current is not None else None
        items = safe(list)(_lsp_items)(a, uri) if a is not None else []
        return lsp.RelatedFullDocumentDiagnosticReport(items=items)

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    @safe()
    def watched(ls: PrototxtServer, params: lsp.DidChangeWatchedFilesParams) -> None:
        # A schema, model, net named by a solver or pyproject changed: re-check every open document.
        ls.docs.invalidate_all()
        for uri in list(ls.workspace.text_documents):
            schedule(uri, 0)

    @server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
    @safe()
    def did_change_configuration(ls: PrototxtServer, params: lsp.DidChangeConfigurationParams) -> None:
        settings = params.settings
        if isinstance(settings, dict):
            table = settings.get("prototxt-ls", settings)
            if isinstance(table, dict):
                apply_settings(ls, table)
        for uri in list(ls.workspace.text_documents):
            schedule(uri, 0)
        caps = ls.client_capabilities.workspace
        if caps is not None and caps.inlay_hint is not None and caps.inlay_hint.refresh_support:
            ls.workspace_inlay_hint_refresh(None)  # shapes may have been switched on or off

    @server.feature(lsp.INITIALIZED)
    async def initialized(ls: PrototxtServer, params: lsp.InitializedParams) -> None:
        try:
            result = await ls.workspace_configuration_async(
                lsp.ConfigurationParams(items=[lsp.ConfigurationItem(section="prototxt-ls")]))
        except Exception:  # the client may not support workspace/configuration
            return
        if result and isinstance(result[0], dict):
            apply_settings(ls, result[0])
            for uri in list(ls.workspace.text_documents):  # opened before the settings arrived
                schedule(uri, 0)


def apply_settings(ls: PrototxtServer, table: dict) -> None:
    """Editor settings: the pyproject keys (proto, select, ignore, ...) plus inlayShapes."""
    table = dict(table)
    inlay = table.pop("inlayShapes", None)
    if isinstance(inlay, bool):
        ls.docs.settings.inlay_shapes = inlay
    ls.docs.settings.table = {k: v for k, v in table.items() if v not in (None, "", [])}
    ls.docs.invalidate_all()
    from ...config import Config, apply_table

    probe = Config()
    apply_table(probe, ls.docs.settings.table, "prototxt-ls settings")
    for warning in probe.warnings:  # a bad setting falls back to its default: say so once
        ls.window_show_message(lsp.ShowMessageParams(type=lsp.MessageType.Warning, message=warning))
