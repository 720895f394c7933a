"""Project configuration: ``[tool.prototxt-ls]`` in the nearest pyproject.toml.

Recognised keys (all optional)::

    [tool.prototxt-ls]
    proto = "third_party/caffe/src/caffe/proto/caffe.proto"  # schema for every file
    select = ["F", "V201"]            # codes, names or prefixes; default: all
    ignore = ["V202"]
    include = ["models/**/*.prototxt"] # what `lint DIR` picks up (default *.prototxt, *.pt)
    exclude = ["build/**"]
    fail-on = "warning"               # exit 1 at or above this severity

    [tool.prototxt-ls.severity]       # re-grade rules
    V202 = "warning"

    [tool.prototxt-ls.per-file-ignores]
    "legacy/*.prototxt" = ["V202"]

    [tool.prototxt-ls.inputs]         # sizes Caffe learns only at run time
    data = [1, 3, 224, 224]

    [tool.prototxt-ls.weights]        # net (path or glob) -> .caffemodel to check it against
    "models/deploy.prototxt" = "models/bvlc_alexnet.caffemodel"

Unknown keys and bad values do not stop the linter: they become
``warnings`` that the CLI prints, and the default is used instead (the way
jedi-language-server treats bad options).  Command-line options override
the file.
"""

from __future__ import annotations

import fnmatch
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .diagnostics import Severity
from .rules.registry import expand

DEFAULT_INCLUDE = ("*.prototxt", "*.pt", "*.prototxt.txt")
_KNOWN_KEYS = {"proto", "select", "ignore", "extend-select", "include", "exclude", "fail-on", "severity",
               "per-file-ignores", "weights", "inputs", "options"}


@dataclass
class Config:
    """Effective settings for linting a set of files."""

    root: Path | None = None  # folder holding the pyproject.toml, if any
    proto: Path | None = None
    select: set[str] | None = None  # None: every rule
    ignore: set[str] = field(default_factory=set)
    severity: dict[str, Severity] = field(default_factory=dict)
    per_file_ignores: list[tuple[str, set[str]]] = field(default_factory=list)
    include: tuple[str, ...] = DEFAULT_INCLUDE
    exclude: tuple[str, ...] = ()
    fail_on: Severity = Severity.ERROR
    #: Shapes for blobs Caffe only sizes at run time: {"data": (1, 3, 224, 224)}.
    inputs: dict[str, tuple] = field(default_factory=dict)
    #: Rule thresholds and switches from [tool.prototxt-ls.options] (each rule documents its keys).
    options: dict[str, object] = field(default_factory=dict)
    #: Net path or glob (relative to the root) -> .caffemodel path.
    weights: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def enabled(self, code: str, path: Path | None = None) -> bool:
        """Is ``code`` reported for ``path`` under select/ignore/per-file-ignores?"""
        if self.select is not None and code not in self.select:
            return False
        if code in self.ignore:
            return False
        if path is not None and self.per_file_ignores:
            rel = self.relative(path)
            for pattern, codes in self.per_file_ignores:
                if code in codes and _match(rel, pattern):
                    return False
        return True

    def severity_of(self, code: str, default: Severity) -> Severity:
        return self.severity.get(code, default)

    def relative(self, path: Path) -> str:
        """``path`` relative to the config root (posix), for glob matching."""
        p = path.resolve()
        if self.root is not None:
            try:
                return p.relative_to(self.root).as_posix()
            except ValueError:
                pass
        return p.as_posix()

    def is_excluded(self, path: Path) -> bool:
        rel = self.relative(path)
        return any(_match(rel, pat) for pat in self.exclude)

    def is_included(self, path: Path) -> bool:
        rel = self.relative(path)
        return any(_match(rel, pat) or fnmatch.fnmatch(path.name, pat) for pat in self.include)


def _match(rel: str, pattern: str) -> bool:
    """Glob match where ``**`` spans folders and a bare name matches anywhere."""
    if fnmatch.fnmatch(rel, pattern):
        return True
    if pattern.startswith("**/") and fnmatch.fnmatch(rel, pattern[3:]):
        return True
    if "/" not in pattern:
        return fnmatch.fnmatch(rel.rsplit("/", 1)[-1], pattern)
    return False


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above ``start`` that has [tool.prototxt-ls]."""
    cur = start.resolve()
    if cur.is_file():
        cur = cur.parent
    for folder in (cur, *cur.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                data = tomllib.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                continue
            if "prototxt-ls" in data.get("tool", {}):
                return candidate
    return None


def load_config(start: Path | None = None, pyproject: Path | None = None) -> Config:
    """Read the configuration that applies to files under ``start``."""
    path = pyproject or (find_pyproject(start) if start is not None else None)
    cfg = Config()
    if path is None:
        return cfg
    cfg.root = path.parent.resolve()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        cfg.warnings.append(f"{path}: cannot read [tool.prototxt-ls]: {exc}")
        return cfg
    apply_table(cfg, data.get("tool", {}).get("prototxt-ls", {}), str(path))
    return cfg


def apply_table(cfg: Config, table: dict, where: str) -> None:
    """Merge a ``[tool.prototxt-ls]``-shaped table (or LSP settings) into ``cfg``."""
    for key in table:
        if key not in _KNOWN_KEYS:
            cfg.warnings.append(f"{where}: unknown setting '{key}' in [tool.prototxt-ls]")

    def codes(key: str) -> set[str] | None:
        value = table.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            value = [value]
        try:
            return expand([str(v) for v in value])
        except ValueError as exc:
            cfg.warnings.append(f"{where}: {key}: {exc}")
            return None

    if isinstance(table.get("proto"), str) and table["proto"]:
        p = Path(os.path.expandvars(os.path.expanduser(table["proto"])))
        cfg.proto = p if p.is_absolute() or cfg.root is None else cfg.root / p
    sel = codes("select")
    if sel is not None:
        cfg.select = sel
    extra = codes("extend-select")
    if extra:
        cfg.select = (cfg.select or set()) | extra if cfg.select is not None else None
    ign = codes("ignore")
    if ign:
        cfg.ignore |= ign
    for code, sev in (table.get("severity") or {}).items():
        try:
            for c in expand([code]):
                cfg.severity[c] = Severity.parse(str(sev))
        except ValueError as exc:
            cfg.warnings.append(f"{where}: severity: {exc}")
    for pattern, sels in (table.get("per-file-ignores") or {}).items():
        try:
            cfg.per_file_ignores.append((pattern, expand([sels] if isinstance(sels, str) else list(sels))))
        except ValueError as exc:
            cfg.warnings.append(f"{where}: per-file-ignores: {exc}")
    for key, attr in (("include", "include"), ("exclude", "exclude")):
        value = table.get(key)
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list):
            setattr(cfg, attr, tuple(str(v) for v in value))
    raw_options = table.get("options")
    if isinstance(raw_options, dict):
        cfg.options.update(raw_options)
    elif raw_options is not None:
        cfg.warnings.append(f"{where}: options: expected a table of rule settings")
    raw_weights = table.get("weights")
    if isinstance(raw_weights, dict):
        cfg.weights.update({str(k): str(v) for k, v in raw_weights.items() if isinstance(v, str)})
    elif raw_weights is not None:
        cfg.warnings.append(f"{where}: weights: expected a table like {{\"nets/deploy.prototxt\" = \"x.caffemodel\"}}")
    raw_inputs = table.get("inputs")
    if isinstance(raw_inputs, dict):
        for name, dims in raw_inputs.items():
            if isinstance(dims, list) and all(isinstance(d, int) or d is None or d == "?" for d in dims):
                cfg.inputs[str(name)] = tuple(d if isinstance(d, int) else None for d in dims)
            else:
                cfg.warnings.append(f"{where}: inputs.{name}: expected a list of integers, got {dims!r}")
    elif raw_inputs is not None:
        cfg.warnings.append(f"{where}: inputs: expected a table like {{data = [1, 3, 224, 224]}}")
    if "fail-on" in table:
        try:
            cfg.fail_on = Severity.parse(str(table["fail-on"]))
        except ValueError as exc:
            cfg.warnings.append(f"{where}: fail-on: {exc}")
