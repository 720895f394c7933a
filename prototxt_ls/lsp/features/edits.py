"""Edits: formatting, range formatting and code actions.

* ``textDocument/formatting``: the project's formatter as one whole-document
  edit; nothing when the file has syntax errors (or is already formatted).
* ``textDocument/rangeFormatting``: :func:`format_range`, which reformats the
  top-level fields the selection touches.
* ``textDocument/codeAction``:
    - a quick fix per fix each diagnostic carries (did-you-mean, upgrade a
      style, rename a layer for the weights), ``is_preferred`` when the fix
      is safe, with ``diagnostics`` set to the client's matching diagnostic
      (same code and range) or our own;
    - ``source.upgrade``: "Upgrade to the current format", the whole file
      through :func:`upgrade_text`, only when that changes it;
    - ``source.fixAll.prototxt-ls``: every safe fix (:func:`fix_text`), only
      when some diagnostic has one.

Positions are converted in :mod:`..convert` only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from enum import Enum
from pathlib import Path

from lsprotocol import types as lsp

from ...diagnostics import Diagnostic, Fix
from ...diagnostics import TextEdit as OurEdit
from ...fixes import fix_text
from ...format.formatter import FormatError, format_range, format_text
from ...format.upgrade import UpgradeError, upgrade_text
from ..convert import from_lsp_range, to_lsp_diagnostic, to_lsp_range
from ..documents import Analysis, uri_to_path
from ..server import PrototxtServer, safe

#: The kind of the "upgrade the whole file" source action.
UPGRADE_KIND = f"{lsp.CodeActionKind.Source.value}.upgrade"
#: The kind of "fix all safe problems" (``source.fixAll`` + the server's name, as LSP suggests).
FIX_ALL_KIND = f"{lsp.CodeActionKind.SourceFixAll.value}.prototxt-ls"
UPGRADE_TITLE = "Upgrade to the current format"
FIX_ALL_TITLE = "Fix all safe problems"

KINDS = [lsp.CodeActionKind.QuickFix, UPGRADE_KIND, FIX_ALL_KIND]


# ---------------------------------------------------------------- helpers
def whole_range(a: Analysis) -> lsp.Range:
    """The LSP range covering the whole document."""
    return to_lsp_range(a.lines.range(0, len(a.text)), a.lines)


def _edits(edits: tuple[OurEdit, ...] | list[OurEdit], a: Analysis) -> list[lsp.TextEdit]:
    return [lsp.TextEdit(range=to_lsp_range(e.range, a.lines), new_text=e.new_text) for e in edits]


def _workspace_edit(ls: PrototxtServer, uri: str, a: Analysis, edits: list[lsp.TextEdit]) -> lsp.WorkspaceEdit:
    """``document_changes`` pinned to the analysed version when the client takes them, else ``changes``."""
    caps = ls.client_capabilities
    wants_versioned = bool(caps and caps.workspace and caps.workspace.workspace_edit
                           and caps.workspace.workspace_edit.document_changes)
    if wants_versioned and a.version is not None:
        return lsp.WorkspaceEdit(document_changes=[lsp.TextDocumentEdit(
            text_document=lsp.OptionalVersionedTextDocumentIdentifier(uri=uri, version=a.version),
            edits=edits)])
    return lsp.WorkspaceEdit(changes={uri: edits})


def _pos(p: lsp.Position) -> tuple[int, int]:
    return (p.line, p.character)


def _overlaps(a: lsp.Range, b: lsp.Range) -> bool:
    """Closed-interval overlap, so a cursor touching a diagnostic's edge counts."""
    return _pos(a.start) <= _pos(b.end) and _pos(b.start) <= _pos(a.end)


def _same(d: lsp.Diagnostic, code: str, rng: lsp.Range) -> bool:
    return str(d.code) == code and d.range == rng


def _wanted(kind: str, only: list[str] | None) -> bool:
    """LSP's hierarchical filter: ``source`` asks for ``source.fixAll.prototxt-ls`` too."""
    if not only:
        return True
    wanted = [o.value if isinstance(o, Enum) else str(o) for o in only]
    return any(kind == o or kind.startswith(f"{o}.") for o in wanted)


class _Cache:
    """Whole-file results (upgrade, fix-all) per document and kind, for one analysis.

    Keyed by the Analysis object itself: the document store makes a new one when the
    text, the settings or a related file change, so a result never outlives its inputs.
    Bounded (the diagnostics module owns didClose): the oldest entry goes first.
    """

    SIZE = 32

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[tuple[str, str], tuple[Analysis, str | None]] = {}

    def get(self, uri: str, kind: str, a: Analysis, compute: Callable[[], str | None]) -> str | None:
        with self._lock:
            hit = self._items.get((uri, kind))
        if hit is not None and hit[0] is a:
            return hit[1]
        value = compute()
        with self._lock:
            self._items.pop((uri, kind), None)
            self._items[(uri, kind)] = (a, value)
            while len(self._items) > self.SIZE:
                del self._items[next(iter(self._items))]
        return value


def _checker(ls: PrototxtServer, uri: str):
    """``text -> diagnostics`` under the same configuration as the document's own analysis."""
    from ...analysis.check import check_text

    path = uri_to_path(uri)
    cfg = ls.docs.config_for(path)
    table = ls.docs.settings.table
    proto = Path(table["proto"]).expanduser() if table.get("proto") else None

    def check(text: str) -> list[Diagnostic]:
        return check_text(text, path, cfg, proto, ls.docs.store).diagnostics

    return check


# ---------------------------------------------------------------- features
def formatting_edits(a: Analysis) -> list[lsp.TextEdit]:
    try:
        new = format_text(a.text)
    except FormatError:
        return []
    if new == a.text:
        return []
    return [lsp.TextEdit(range=whole_range(a), new_text=new)]


def range_formatting_edits(a: Analysis, rng: lsp.Range) -> list[lsp.TextEdit]:
    ours = from_lsp_range(rng, a.lines)
    start, end = ours.start.line, ours.end.line
    # A selection of whole lines ends at column 0 of the next line: that line is not selected.
    if end > start and rng.end.character == 0:
        end -= 1
    try:
        edits = format_range(a.text, start, end)
    except FormatError:
        return []
    return _edits(edits, a)


def quick_fixes(ls: PrototxtServer, uri: str, a: Analysis, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
    out: list[lsp.CodeAction] = []
    context = params.context.diagnostics or []
    for d in a.result.diagnostics:
        if not d.fixes:
            continue
        rng = to_lsp_range(d.range, a.lines)
        match = next((c for c in context if _same(c, d.code, rng)), None)
        if match is None:
            if not _overlaps(rng, params.range):
                continue
            match = to_lsp_diagnostic(d, a.lines, uri)
        for fix in d.fixes:
            out.append(_fix_action(ls, uri, a, fix, match))
    return out


def _fix_action(ls: PrototxtServer, uri: str, a: Analysis, fix: Fix, diag: lsp.Diagnostic) -> lsp.CodeAction:
    return lsp.CodeAction(
        title=fix.title, kind=lsp.CodeActionKind.QuickFix, diagnostics=[diag],
        is_preferred=True if fix.safe else None,
        edit=_workspace_edit(ls, uri, a, _edits(fix.edits, a)))


def _upgraded(a: Analysis) -> str | None:
    try:
        result = upgrade_text(a.text, schema=a.result.schema)
    except UpgradeError:
        return None
    return result.text if result.changed else None


def _fixed_all(ls: PrototxtServer, uri: str, a: Analysis) -> str | None:
    if not any(f.safe for d in a.result.diagnostics for f in d.fixes):
        return None
    new, count = fix_text(a.text, _checker(ls, uri))
    return new if count and new != a.text else None


def register(server: PrototxtServer) -> None:
    cache = _Cache()

    @server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
    @safe(list)
    def formatting(ls: PrototxtServer, params: lsp.DocumentFormattingParams):
        a = ls.analysis(params.text_document.uri)
        return formatting_edits(a) if a is not None else []

    @server.feature(lsp.TEXT_DOCUMENT_RANGE_FORMATTING)
    @safe(list)
    def range_formatting(ls: PrototxtServer, params: lsp.DocumentRangeFormattingParams):
        a = ls.analysis(params.text_document.uri)
        return range_formatting_edits(a, params.range) if a is not None else []

    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION,
                    lsp.CodeActionOptions(code_action_kinds=KINDS, resolve_provider=False))
    @safe(list)
    def code_action(ls: PrototxtServer, params: lsp.CodeActionParams):
        uri = params.text_document.uri
        a = ls.analysis(uri)
        if a is None:
            return []
        only = params.context.only
        actions: list[lsp.CodeAction] = []
        if _wanted(lsp.CodeActionKind.QuickFix.value, only):
            actions.extend(quick_fixes(ls, uri, a, params))
        if _wanted(UPGRADE_KIND, only):
            new = cache.get(uri, UPGRADE_KIND, a, lambda: _upgraded(a))
            if new is not None:
                actions.append(lsp.CodeAction(
                    title=UPGRADE_TITLE, kind=UPGRADE_KIND,
                    edit=_workspace_edit(ls, uri, a, [lsp.TextEdit(range=whole_range(a), new_text=new)])))
        if _wanted(FIX_ALL_KIND, only):
            new = cache.get(uri, FIX_ALL_KIND, a, lambda: _fixed_all(ls, uri, a))
            if new is not None:
                actions.append(lsp.CodeAction(
                    title=FIX_ALL_TITLE, kind=FIX_ALL_KIND,
                    edit=_workspace_edit(ls, uri, a, [lsp.TextEdit(range=whole_range(a), new_text=new)])))
        return actions


__all__ = ["FIX_ALL_KIND", "FIX_ALL_TITLE", "UPGRADE_KIND", "UPGRADE_TITLE", "formatting_edits",
           "range_formatting_edits", "register"]
