"""Choosing and loading the caffe.proto that applies to a file.

Highest first: an explicit path (CLI ``--proto``, editor setting); the file's
``# proto-file:`` header (relative to the file, then to the project root);
``proto`` in ``[tool.prototxt-ls]``; ``$CAFFE_ROOT/src/caffe/proto/caffe.proto``;
else the bundled BVLC schema.  Loaded schemas are kept per path and
modification time, so linting a folder loads each schema once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..schema.loader import SchemaLoadError, bundled_schema, load_schema
from ..schema.model import Schema


@dataclass(frozen=True)
class SchemaChoice:
    path: Path | None  # None: the bundled schema
    origin: str  # "option", "header", "config", "CAFFE_ROOT", "bundled"


def choose_schema(explicit: Path | None, header: str | None, file_path: Path | None,
                  config_proto: Path | None, project_root: Path | None) -> tuple[SchemaChoice, str | None]:
    """Pick the schema; the second item is a problem with the header, if any."""
    if explicit is not None:
        return SchemaChoice(explicit, "option"), None
    problem = None
    if header:
        candidates = []
        hp = Path(os.path.expanduser(header))
        if hp.is_absolute():
            candidates.append(hp)
        else:
            if file_path is not None:
                candidates.append(file_path.parent / hp)
            if project_root is not None:
                candidates.append(project_root / hp)
            candidates.append(Path.cwd() / hp)
        for c in candidates:
            if c.is_file():
                return SchemaChoice(c, "header"), None
        problem = f"the `# proto-file:` header names {header}, which does not exist " \
                  f"(looked in {', '.join(str(c.parent) for c in candidates)}); using the default schema"
    if config_proto is not None:
        return SchemaChoice(config_proto, "config"), problem
    root = os.environ.get("CAFFE_ROOT")
    if root:
        p = Path(root) / "src" / "caffe" / "proto" / "caffe.proto"
        if p.is_file():
            return SchemaChoice(p, "CAFFE_ROOT"), problem
    return SchemaChoice(None, "bundled"), problem


class SchemaStore:
    """Loaded schemas by path, reloaded when the file changes."""

    def __init__(self) -> None:
        self._cache: dict[Path, tuple[float, Schema]] = {}

    def get(self, choice: SchemaChoice) -> Schema:
        """Load the chosen schema; SchemaLoadError if its file cannot be read."""
        if choice.path is None:
            return bundled_schema()
        path = choice.path.resolve()
        try:
            mtime = path.stat().st_mtime
        except OSError as exc:
            raise SchemaLoadError(path, exc.strerror or str(exc)) from exc
        hit = self._cache.get(path)
        if hit is not None and hit[0] == mtime:
            return hit[1]
        schema = load_schema(path)
        self._cache[path] = (mtime, schema)
        return schema

    def invalidate(self, path: Path | None = None) -> None:
        if path is None:
            self._cache.clear()
        else:
            self._cache.pop(path.resolve(), None)
