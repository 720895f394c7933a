"""Which .caffemodel goes with a net.

Highest first: an explicit path (``lint --weights``, an editor setting); a
``# prototxt-ls: weights=PATH`` comment in the net (relative to the net's
folder); ``[tool.prototxt-ls.weights]`` in pyproject.toml, mapping net paths
or globs (relative to the project root) to model paths; else the single
``.caffemodel`` beside the net whose name starts with the net's stem
(``deploy.prototxt`` -> ``deploy_iter_10000.caffemodel``).  Models are read
once per path and modification time.
"""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

from ..config import Config
from ..syntax.tree import Document
from .reader import ModelInfo, read_caffemodel

_DIRECTIVE = re.compile(r"prototxt-ls\s*:\s*weights\s*=\s*(\S+)")
_CACHE: dict[Path, tuple[tuple[float, int], ModelInfo]] = {}


def find_weights(net_path: Path | None, doc: Document, config: Config,
                 explicit: Path | None = None) -> tuple[Path | None, object]:
    """The model path and where the choice came from (a Range for the directive, else a word)."""
    if explicit is not None:
        return explicit, "option"
    for c in doc.comments:
        m = _DIRECTIVE.search(c.text)
        if m:
            p = Path(m.group(1)).expanduser()
            if not p.is_absolute() and net_path is not None:
                p = net_path.parent / p
            return p, c.range
    if net_path is None:
        return None, None
    if config.weights and config.root is not None:
        rel = config.relative(net_path)
        for pattern, model in config.weights.items():
            if rel == pattern or fnmatch.fnmatch(rel, pattern):
                p = Path(model).expanduser()
                return (p if p.is_absolute() else config.root / p), "config"
    stem = net_path.name.split(".")[0]
    try:
        candidates = [p for p in net_path.parent.glob("*.caffemodel") if p.name.startswith(stem)]
    except OSError:
        candidates = []
    if len(candidates) == 1:
        return candidates[0], "beside"
    return None, None


def load_model(path: Path) -> ModelInfo:
    """Read (or reuse) a model; CaffemodelError when it cannot be read."""
    key = path.resolve()
    try:
        st = key.stat()
        stamp = (st.st_mtime, st.st_size)
    except OSError:
        stamp = None
    hit = _CACHE.get(key)
    if hit is not None and stamp is not None and hit[0] == stamp:
        return hit[1]
    info = read_caffemodel(path)
    if stamp is not None:
        _CACHE[key] = (stamp, info)
    return info
