"""Locating files that ship with the package (grammars, the bundled schema).

In a source checkout the grammars are in ``grammar/`` at the top of the
repository; an installed wheel carries the same files as the
``prototxt_ls.grammar`` package (see ``package-dir`` in pyproject.toml).
"""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent


def grammar_path(name: str) -> Path:
    """Path of ``grammar/<name>``, wherever this copy of the package lives."""
    for candidate in (_PKG.parent / "grammar" / name, _PKG / "grammar" / name):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"grammar file {name} not found next to {_PKG}")
