"""Finding the files a ``lint`` or ``format`` run should look at.

Explicit files are always taken (whatever their extension); folders are
walked recursively for the include patterns (default ``*.prototxt``, ``*.pt``),
skipping hidden folders, ``node_modules``, virtual environments and the
configured excludes.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..config import Config

_SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".mypy_cache"}


def collect(paths: list[str], config: Config) -> tuple[list[Path], list[str]]:
    """Files to check, in a stable order, and the paths that do not exist."""
    out: list[Path] = []
    missing: list[str] = []
    seen: set[Path] = set()
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
                for name in sorted(files):
                    f = Path(root) / name
                    if config.is_included(f) and not config.is_excluded(f):
                        key = f.resolve()
                        if key not in seen:
                            seen.add(key)
                            out.append(f)
        elif p.exists():
            key = p.resolve()
            if key not in seen:
                seen.add(key)
                out.append(p)
        else:
            missing.append(raw)
    return out, missing
