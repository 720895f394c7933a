"""What a solver names on disk, and the nets it trains (R715, R716, R718).

Caffe resolves relative paths from the folder it is started in, which a
linter cannot know.  We try the solver's own folder, then the workspace root
(``config.root``) and the folders between the two; without a workspace root,
the folders above the solver (``solver-search-depth``, default 5), since
Caffe's own solvers say ``examples/mnist/...`` and are run from the Caffe root.
A path found nowhere is reported with every place tried.

A net the solver names is linted the way Caffe builds it: the train net in
the TRAIN phase with ``train_state``, each test net in the TEST phase with its
``test_state`` (NetState merging: the net's own state, then the solver's).
A net file gets what ``check_bytes`` would report on the text (syntax, schema,
formats: :func:`check_source` without the net checks), then its layer graph
is built once per build, judging exactly the phases the solver builds; the
error-level findings become one R718 on the field that names the net.  Inline
nets (``net_param`` ...) are schema-checked as part of the solver already;
their graph errors become one R718 with each error as related information.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from ..analysis.report import Sink
from ..config import Config
from ..diagnostics import Diagnostic, Severity
from ..layers.params import Params
from ..schema.loader import bundled_schema
from ..schema.model import Schema
from ..syntax.tree import Document, Field, Message, Scalar
from .solver_rules import option

_LOCAL = threading.local()
_PROTO_HEADER = re.compile(r"#\s*proto-file\s*:")
_PHASE_SUFFIX = re.compile(r" \(in the (TRAIN|TEST) phase\)$")


@dataclass(frozen=True)
class Build:
    """One net Caffe builds from a source: its phase and the solver's additions to its state."""

    label: str  # "training", "test net #0"
    phase: str
    level: int | None = None
    stages: tuple[str, ...] = ()


def check_files(doc: Document, p: Params, schema: Schema, sink: Sink, path, config: Config) -> None:
    """R715 and R716 on the paths the solver names, R718 on the nets it builds."""
    path = Path(path) if path is not None else None
    bases = search_bases(path, config)
    for name in ("net", "train_net", "test_net"):
        for f in p.fields(name):
            for v in f.values():
                if isinstance(v, Scalar) and v.kind == "string" and v.string_value:
                    found, tried = resolve(v.string_value, bases)
                    if found is None:
                        sink.add("R715", v.range, f"{name} file '{v.string_value}' not found; tried "
                                 f"{_tried(tried)}. Caffe resolves it from the folder it is started in")
    _check_snapshot(p, sink, bases)
    if not config.enabled("R718", path):
        return
    active = _active()
    key = str(path.resolve()) if path is not None else None
    if key is not None and key in active:
        return  # already linting this solver further up (nets are linted without solver rules today)
    if key is not None:
        active.add(key)
    try:
        for source, builds in plan_builds(p, schema).items():
            _check_net(p, source, builds, doc, schema, sink, path, config, bases)
    finally:
        if key is not None:
            active.discard(key)


def _active() -> set[str]:
    if not hasattr(_LOCAL, "paths"):
        _LOCAL.paths = set()
    return _LOCAL.paths


# ---------------------------------------------------------------------- paths
def search_bases(path: Path | None, config: Config) -> list[tuple[Path, str]]:
    """Folders relative paths are tried from, each with a label for messages."""
    folder = (path.parent if path is not None else Path.cwd()).absolute()
    out = [(folder, "the solver's folder" if path is not None else "the current folder")]
    root = config.root.absolute() if config.root is not None else None
    if root is not None:
        if folder == root or root in folder.parents:
            for anc in folder.parents:
                if anc == root:
                    break
                out.append((anc, "a parent folder"))
        if folder != root:
            out.append((root, "the workspace root"))
    else:
        depth = int(option(config, "solver-search-depth"))
        parents = [anc for anc in folder.parents if anc.parent != anc]  # not the filesystem root
        out.extend((anc, "a parent folder") for anc in parents[:max(depth, 0)])
    return out


def resolve(raw: str, bases: list[tuple[Path, str]], want_dir: bool = False) -> tuple[Path | None, list]:
    """The first existing candidate for ``raw``, and every (candidate, label) tried."""
    p = Path(os.path.expanduser(raw))
    tried = [(p, "absolute path")] if p.is_absolute() else [(b / p, label) for b, label in bases]
    for cand, _ in tried:
        if cand.is_dir() if want_dir else cand.is_file():
            return cand, tried
    return None, tried


def _tried(tried: list) -> str:
    return ", ".join(f"{c} ({label})" for c, label in tried)


def _check_snapshot(p: Params, sink: Sink, bases) -> None:
    f = p.field("snapshot_prefix")
    if f is None or not isinstance(f.value, Scalar) or f.value.kind != "string":
        return
    prefix = f.value.string_value
    snapshot = p.get("snapshot")
    after = p.get("snapshot_after_train")
    if not prefix or not ((isinstance(snapshot, int) and snapshot > 0) or after is not False):
        return
    folder = prefix.rstrip("/") if prefix.endswith("/") else os.path.dirname(prefix)
    if not folder:
        return  # the folder caffe runs in
    found, tried = resolve(folder, bases, want_dir=True)
    if found is None and resolve(prefix, bases, want_dir=True)[0] is None:
        sink.add("R716", f.value.range,
                 f"snapshot_prefix '{prefix}' writes into the folder '{folder}', which does not exist; tried "
                 f"{_tried(tried)}. Caffe does not create it: with `snapshot` set it aborts before training "
                 "(\"Cannot write to snapshot prefix\"), else the final snapshot is lost")


# ---------------------------------------------------------------------- builds
def _state(p: Params | None, phase: str, label: str) -> Build:
    if p is None or p.node is None:
        return Build(label, phase)
    ph = p.get("phase") if p.has("phase") else phase
    level = p.get("level") if p.has("level") else None
    return Build(label, ph if ph in ("TRAIN", "TEST") else phase, level if isinstance(level, int) else None,
                 tuple(s for s in p.all("stage") if isinstance(s, str)))


def plan_builds(p: Params, schema: Schema) -> dict[tuple[str, int], list[Build]]:
    """Net source (field name, index of its value) -> the builds Caffe makes of it.

    Mirrors Solver::InitTrainNet and InitTestNets: test_net_param first, then
    test_net files, then the generic net (net / net_param) once per remaining
    test_iter; test_state[i] applies to test net #i.
    """
    out: dict[tuple[str, int], list[Build]] = {}
    train = [n for n in ("train_net_param", "train_net", "net_param", "net") if p.has(n)]
    if len(train) == 1:  # R714 reports the other cases; Caffe would stop there
        out.setdefault((train[0], 0), []).append(_state(p.message("train_state"), "TRAIN", "training"))
    states = p.messages("test_state")
    sources = [("test_net_param", i) for i in range(len(p.fields("test_net_param")))]
    sources += [("test_net", i) for i in range(sum(len(f.values()) for f in p.fields("test_net")))]
    n_iter = sum(len(f.values()) for f in p.fields("test_iter"))
    generic = "net_param" if p.has("net_param") else "net" if p.has("net") else None
    if generic is not None:
        sources += [(generic, 0)] * max(0, n_iter - len(sources))
    elif n_iter != len(sources):
        sources = sources[:n_iter]  # R712; build what Caffe would have reached
    for i, src in enumerate(sources):
        st = states[i] if i < len(states) else None
        out.setdefault(src, []).append(_state(st, "TEST", f"test net #{i}"))
    return out


def _source_value(p: Params, name: str, index: int) -> tuple[Field, Scalar | Message] | None:
    i = 0
    for f in p.fields(name):
        for v in f.values():
            if i == index:
                return f, v
            i += 1
    return None


# ---------------------------------------------------------------------- nets
def _check_net(p: Params, source: tuple[str, int], builds: list[Build], doc: Document, schema: Schema,
               sink: Sink, path: Path | None, config: Config, bases) -> None:
    found = _source_value(p, *source)
    if found is None:
        return
    field, value = found
    what = _what(builds)
    if isinstance(value, Message):
        net_doc = Document(doc.text, value, doc.comments, [], doc.lines)
        found_all = graph_findings(net_doc, schema, path, config, builds)
        items = [d for d in _filtered(found_all, doc, path, config) if d.severity == Severity.ERROR]
        if items:
            first = items[0]
            sink.add("R718", field.name_range,
                     f"the inline {field.name} has {_count(len(items))} when Caffe builds it for {what}: first at "
                     f"line {first.range.start.line + 1}: {first.message} ({first.code})",
                     related=[(d.range, f"{d.code} {d.message}") for d in items[:20]])
        return
    if not isinstance(value, Scalar) or value.kind != "string":
        return
    net_path, _ = resolve(value.string_value, bases)
    if net_path is None or (path is not None and net_path.resolve() == path.resolve()):
        return
    errors = lint_net_file(net_path, config, builds, schema)
    if errors:
        first = errors[0]
        sink.add("R718", value.range,
                 f"the net {value.string_value} has {_count(len(errors))} when Caffe builds it for {what}: first "
                 f"at line {first.range.start.line + 1}: {first.message} ({first.code})")


def _count(n: int) -> str:
    return f"{n} error" if n == 1 else f"{n} errors"


def _what(builds: list[Build]) -> str:
    """"training", "test net #0", "training and 2 test nets", ..."""
    parts = ["training"] if any(b.label == "training" for b in builds) else []
    tests = [b.label for b in builds if b.label != "training"]
    if tests:
        parts.append(tests[0] if len(tests) == 1 else f"{len(tests)} test nets")
    return " and ".join(parts)


def lint_net_file(net_path: Path, config: Config, builds: list[Build], solver_schema: Schema) -> list[Diagnostic]:
    """Error-level findings of a net file, for the builds the solver makes of it."""
    from ..analysis.check import check_source
    from ..analysis.source import decode

    try:
        data = net_path.read_bytes()
    except OSError:
        return []
    proto = None
    if solver_schema is not bundled_schema() and solver_schema.path and not _PROTO_HEADER.search(
            data[:4096].decode("utf-8", "replace")):
        proto = Path(solver_schema.path)  # the net is read by the same Caffe build as the solver
    result = check_source(decode(data, net_path), config, proto=proto, net_checks=False)
    out = [d for d in result.diagnostics if d.severity == Severity.ERROR]
    if result.document is None or result.root is None or result.root.name != "NetParameter":
        return out
    found = graph_findings(result.document, result.schema, net_path, config, builds)
    return sorted(out + [d for d in _filtered(found, result.document, net_path, config)
                         if d.severity == Severity.ERROR],
                  key=lambda d: (d.range.start.line, d.range.start.column))


def _filtered(items: list[Diagnostic], doc: Document, path: Path | None, config: Config) -> list[Diagnostic]:
    """Selection, suppressions and severity overrides of the net file (as check_source applies them)."""
    from ..suppressions import parse_suppressions

    sup = parse_suppressions(doc.comments, doc.text)
    out = []
    for d in items:
        if not config.enabled(d.code, path) or sup.silenced(d.code, d.range.start.line):
            continue
        d.severity = config.severity_of(d.code, d.severity)
        out.append(d)
    return out


def graph_findings(doc: Document, schema: Schema, path: Path | None, config: Config,
                   builds: list[Build]) -> list[Diagnostic]:
    """Build the net's layer graph for each build, as Caffe would, and return every finding.

    Phase-independent findings come once; a finding seen in only some builds
    says in which.
    """
    from ..analysis.netcheck import NetAnalysis, check_layers, inputs_from_comments
    from ..analysis.versions import check_styles, detect_style
    from ..model.net import build_net
    from ..model.phase import NetStateView

    sink = Sink()
    style = detect_style(doc)
    check_styles(doc, style, sink)
    if style == "mixed" or style is None:
        return sink.items
    net = build_net(doc, schema)
    inputs = inputs_from_comments(doc, sink)
    inputs.update(config.inputs)
    check_layers(net, schema, sink)
    own_stages, own_level = list(net.stages), net.level
    merged: dict[tuple, tuple[object, list[str]]] = {}
    results = {}
    for b in builds:
        level = b.level if b.level is not None else own_level
        state = NetStateView(b.phase, level, tuple(own_stages + list(b.stages)))
        result, findings = _run_build(net, schema, state, inputs)
        results.setdefault(b.phase, result)
        for f in findings:
            key = (f.code, f.rng.start.offset, f.rng.end.offset, f.message)
            merged.setdefault(key, (f, []))[1].append(b.label)
    for f, labels in merged.values():
        suffix = f" (in {' and '.join(labels)} only)" if len(labels) < len(builds) else ""
        sink.add(f.code, f.rng, f.message + suffix, f.fixes, f.related)
    from .net_rules import run_net_rules

    run_net_rules(doc, NetAnalysis(net, results), schema, sink, path, config)
    return sink.items


def _run_build(net, schema: Schema, state, inputs: dict):
    """One build's shapes and findings, judged even where the net file's own include rules never name
    the phase (``run_phases`` skips those: the file alone does not say it is built there; a solver does)."""
    try:
        from ..analysis.inference import _PhaseRun
    except ImportError:  # the analysis changed shape: fall back to the public entry point
        from ..analysis.inference import run_phases

        saved = list(net.stages), net.level
        net.stages, net.level = list(state.stages), state.level
        try:
            results, findings = run_phases(net, schema, inputs, (state.phase,))
        finally:
            net.stages, net.level = saved
        return results[state.phase], [f for f, _ in findings]
    run = _PhaseRun(net, schema, state, inputs)
    return run.run(), run.findings
