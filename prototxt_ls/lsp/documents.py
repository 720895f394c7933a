"""Open documents and their latest analysis.

Each document's analysis is keyed by its version: a result computed for an
older version is never published over a newer one, and features ask for the
analysis of the current text (computed on demand if an edit outran it).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from ..analysis.check import CheckResult, check_text
from ..analysis.schemas import SchemaStore
from ..config import Config, apply_table, load_config
from ..analysis.memo import Memo
from ..positions import LineIndex
from ..syntax.incremental import reparse
from ..syntax.tree import Document


def uri_to_path(uri: str) -> Path | None:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return Path(unquote(parsed.path))


@dataclass
class Analysis:
    version: int | None
    text: str
    result: CheckResult
    lines: LineIndex


class _Incremental:
    """What one document's next check may reuse: its last parse (errors and all) and per-block memo.

    Re-parsing from the last Document moves that Document's kept blocks to
    the new text (syntax/incremental.py), so it is taken out of here first
    and only the check it fed is put back.
    """

    def __init__(self) -> None:
        self.document: Document | None = None
        self.memo = Memo()


@dataclass
class Settings:
    """Editor settings (workspace/configuration section ``prototxt-ls``), layered over pyproject."""

    table: dict = field(default_factory=dict)
    inlay_shapes: bool = True


class Documents:
    """Analyses by URI, computed once per (uri, version, text)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[str, Analysis] = {}
        self._incremental: dict[str, _Incremental] = {}
        self.store = SchemaStore()
        self.settings = Settings()

    def config_for(self, path: Path | None) -> Config:
        cfg = load_config(path) if path is not None else Config()
        if self.settings.table:
            apply_table(cfg, self.settings.table, "editor settings")
        return cfg

    def analyse(self, uri: str, text: str, version: int | None) -> Analysis:
        with self._lock:
            hit = self._cache.get(uri)
            if hit is not None and hit.version == version and hit.text == text:
                return hit
        path = uri_to_path(uri)
        cfg = self.config_for(path)
        proto = None
        weights = None
        table = self.settings.table
        if table.get("proto"):
            proto = Path(table["proto"]).expanduser()
        state = self._take_incremental(uri)
        document = None
        if state.document is not None:
            document = reparse(state.document, text) if state.document.text != text else state.document
        result = check_text(text, path, cfg, proto, self.store, weights=weights, document=document,
                            memo=state.memo)
        if result.document is not None:
            state.document = result.document
        analysis = Analysis(version, text, result, result.document.lines if result.document else LineIndex(text))
        with self._lock:
            self._incremental[uri] = state
            current = self._cache.get(uri)
            if current is None or current.version is None or version is None or version >= current.version:
                self._cache[uri] = analysis
        return analysis

    def _take_incremental(self, uri: str) -> _Incremental:
        """This document's reuse state, taken so that two checks never share it
        (a concurrent check of the same document starts from scratch)."""
        with self._lock:
            return self._incremental.pop(uri, None) or _Incremental()

    def latest(self, uri: str) -> Analysis | None:
        with self._lock:
            return self._cache.get(uri)

    def forget(self, uri: str) -> None:
        with self._lock:
            self._cache.pop(uri, None)
            self._incremental.pop(uri, None)

    def invalidate_all(self) -> None:
        with self._lock:
            self._cache.clear()
            self._incremental.clear()
        self.store.invalidate()
