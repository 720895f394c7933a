"""Diagnostics: pushed on open/change/save (latest version only), pulled on request,
re-checked when a related file (caffe.proto, a model, pyproject) changes, and the
editor's settings from workspace/configuration."""

from __future__ import annotations

import asyncio

from lsprotocol import types as lsp

from ..convert import to_lsp_diagnostic
from ..server import PrototxtServer, safe

DEBOUNCE_S = 0.05


def _lsp_diagnostics(server: PrototxtServer, uri: str) -> tuple[int | None, list[lsp.Diagnostic]]:
    a = server.analysis(uri)
    if a is None:
        return None, []
    return a.version, [to_lsp_diagnostic(d, a.lines, uri) for d in a.result.diagnostics]


def register(server: PrototxtServer) -> None:
    pending: dict[str, asyncio.Task] = {}

    def publish_now(uri: str) -> None:
        version, diags = _lsp_diagnostics(server, uri)
        try:
            current = server.workspace.get_text_document(uri).version
        except Exception:
            return
        if version is not None and current is not None and version != current:
            return  # a newer edit arrived: its own publish will follow
        server.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, version=version, diagnostics=diags))

    async def publish_later(uri: str) -> None:
        await asyncio.sleep(DEBOUNCE_S)
        safe()(publish_now)(uri)

    def schedule(uri: str) -> None:
        task = pending.get(uri)
        if task is not None and not task.done():
            task.cancel()
        try:
            pending[uri] = asyncio.get_running_loop().create_task(publish_later(uri))
        except RuntimeError:  # no loop (tests calling directly)
            safe()(publish_now)(uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    @safe()
    def did_open(ls: PrototxtServer, params: lsp.DidOpenTextDocumentParams) -> None:
        publish_now(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    @safe()
    def did_change(ls: PrototxtServer, params: lsp.DidChangeTextDocumentParams) -> None:
        schedule(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    @safe()
    def did_save(ls: PrototxtServer, params: lsp.DidSaveTextDocumentParams) -> None:
        publish_now(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    @safe()
    def did_close(ls: PrototxtServer, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.docs.forget(uri)
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(lsp.TEXT_DOCUMENT_DIAGNOSTIC,
                    lsp.DiagnosticOptions(identifier="prototxt-ls", inter_file_dependencies=True,
                                          workspace_diagnostics=False))
    @safe(lambda: lsp.RelatedFullDocumentDiagnosticReport(items=[]))
    def pull(ls: PrototxtServer, params: lsp.DocumentDiagnosticParams):
        _, diags = _lsp_diagnostics(ls, params.text_document.uri)
        return lsp.RelatedFullDocumentDiagnosticReport(items=diags)

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    @safe()
    def watched(ls: PrototxtServer, params: lsp.DidChangeWatchedFilesParams) -> None:
        # A schema, model, net named by a solver or pyproject changed: re-check every open document.
        ls.docs.invalidate_all()
        for uri in list(ls.workspace.text_documents):
            publish_now(uri)

    @server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
    @safe()
    def did_change_configuration(ls: PrototxtServer, params: lsp.DidChangeConfigurationParams) -> None:
        settings = params.settings
        if isinstance(settings, dict):
            table = settings.get("prototxt-ls", settings)
            if isinstance(table, dict):
                apply_settings(ls, table)
        for uri in list(ls.workspace.text_documents):
            publish_now(uri)
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
                safe()(publish_now)(uri)


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
