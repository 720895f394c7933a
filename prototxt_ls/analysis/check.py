"""``check``: one document in, diagnostics out.  The core the CLI and server share.

    text -> parse -> headers -> schema + root message -> schema walk -> style rules
         -> suppressions, select/ignore, severity overrides -> sorted diagnostics

Nothing here prints, reads configuration files or knows about LSP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..config import Config
from ..diagnostics import Diagnostic
from ..gcpause import paused_gc
from ..positions import Position, Range
from ..schema.loader import SchemaLoadError, bundled_schema
from ..schema.model import MessageDef, Schema
from ..suppressions import parse_suppressions
from ..syntax.parser import parse
from ..syntax.tree import Document
from .headers import read_headers
from .memo import Memo
from .netcheck import NetAnalysis, analyse
from .report import Sink
from .roots import guess_root
from .schema_check import SchemaChecker
from .schemas import SchemaStore, choose_schema
from .source import Source, decode
from .versions import check_styles, detect_style

_ORIGIN = Range(Position(0, 0, 0), Position(0, 0, 0))
_DEFAULT_STORE = SchemaStore()


@dataclass
class CheckResult:
    """Diagnostics plus what the check learnt, for callers that want more."""

    diagnostics: list[Diagnostic]
    document: Document | None = None
    schema: Schema | None = None
    root: MessageDef | None = None
    style: str | None = None
    #: The net's layer model and per-phase shapes (nets only).
    net: "NetAnalysis | None" = None
    #: Every finding before filtering (for the server's code actions and tests).
    unfiltered: list[Diagnostic] = field(default_factory=list)


def check_source(source: Source, config: Config | None = None, proto: Path | None = None,
                 store: SchemaStore | None = None, inputs: dict | None = None,
                 net_checks: bool = True, weights: Path | None = None,
                 document: Document | None = None, memo: Memo | None = None) -> CheckResult:
    """Check one decoded document; never raises on bad input.

    ``net_checks=False`` stops after the schema checks (no layer graph, no
    shapes): what the parse+schema benchmark measures.  ``document``: the
    text already parsed (the server's incremental re-parse), used when its
    text is the source's.  ``memo``: results per block kept from the
    previous check of this document (the server's; see analysis/memo.py).
    """
    with paused_gc():  # every object a check allocates stays alive until it returns
        return _check(source, config, proto, store, inputs, net_checks, weights, document, memo)


def _check(source: Source, config: Config | None, proto: Path | None, store: SchemaStore | None,
           inputs: dict | None, net_checks: bool, weights: Path | None,
           document: Document | None = None, memo: Memo | None = None) -> CheckResult:
    config = config or Config()
    store = store or _DEFAULT_STORE
    sink = Sink()
    sink.items.extend(source.sink.items)
    if source.binary:
        return _finish(CheckResult([]), sink, config, source, None)

    doc = document if document is not None and document.text == source.text else parse(source.text)
    for err in doc.errors:
        sink.add("S001", err.range, err.message)

    headers = read_headers(doc)
    choice, header_problem = choose_schema(proto, headers.proto_file, source.path, config.proto, config.root)
    if header_problem:
        sink.add("C902", headers.proto_file_range or _ORIGIN, header_problem)
    try:
        schema = store.get(choice)
    except SchemaLoadError as exc:
        where = headers.proto_file_range if choice.origin == "header" else _ORIGIN
        sink.add("C902", where or _ORIGIN, f"{exc}; using the bundled BVLC schema instead")
        schema = bundled_schema()
    if schema.errors:
        first = schema.errors[0]
        loc = f" (line {first.range.start.line + 1})" if first.range else ""
        where = headers.proto_file_range if choice.origin == "header" else _ORIGIN
        sink.add("C902", where or _ORIGIN, f"the schema {schema.path or 'in use'} has {len(schema.errors)} "
                 f"problem(s); first{loc}: {first.message}")

    root = None
    if headers.proto_message:
        root = schema.message(headers.proto_message)
        if root is None:
            sink.add("C903", headers.proto_message_range or _ORIGIN,
                     f"the schema has no message {headers.proto_message}")
    if root is None:
        root = guess_root(doc, schema, source.path.name if source.path else None)

    style = None
    net = None
    if memo is not None:
        memo.start(schema, root)
    if root is not None:
        SchemaChecker(schema, sink, memo, doc.lines).check_message(doc.root, root, top=True)
        if root.name == "NetParameter":
            style = detect_style(doc)
            check_styles(doc, style, sink)
            if style != "mixed" and net_checks:  # Caffe refuses a mixed net before building anything
                net = analyse(doc, schema, sink, {**config.inputs, **(inputs or {})}, memo=memo)
                _check_model(doc, net, source.path, config, weights, sink)
                from ..rules.net_rules import run_net_rules

                run_net_rules(doc, net, schema, sink, source.path, config)
        elif root.name == "SolverParameter" and net_checks:
            from ..rules.solver_rules import run_solver_rules

            run_solver_rules(doc, schema, sink, source.path, config)
    if not doc.root.fields and not doc.errors and not source.sink.items:
        sink.add("S004", _ORIGIN, "the file is empty: it defines nothing" if not source.text.strip()
                 else "the file holds only comments: it defines nothing")
    result = CheckResult([], doc, schema, root, style, net)
    return _finish(result, sink, config, source, doc)


def _check_model(doc: Document, net: NetAnalysis, path: Path | None, config: Config,
                 explicit: Path | None, sink: Sink) -> None:
    """Compare the net with its .caffemodel, when one is associated (W5xx)."""
    from ..weights.association import find_weights, load_model
    from ..weights.check import check_weights
    from ..weights.reader import CaffemodelError

    model_path, origin = find_weights(path, doc, config, explicit)
    if model_path is None:
        return
    where = origin if isinstance(origin, Range) else _ORIGIN
    try:
        model = load_model(model_path)
    except CaffemodelError as exc:
        sink.add("W506", where, str(exc))
        return
    check_weights(doc, net, model, sink, f"the model {model_path.name}")


def check_text(text: str, path: Path | None = None, config: Config | None = None,
               proto: Path | None = None, store: SchemaStore | None = None,
               inputs: dict | None = None, net_checks: bool = True, weights: Path | None = None,
               document: Document | None = None, memo: Memo | None = None) -> CheckResult:
    """Convenience for callers holding text (the server, tests)."""
    return check_source(Source(text, path), config, proto, store, inputs, net_checks, weights, document, memo)


def check_bytes(data: bytes, path: Path | None = None, config: Config | None = None,
                proto: Path | None = None, store: SchemaStore | None = None,
                inputs: dict | None = None, weights: Path | None = None) -> CheckResult:
    return check_source(decode(data, path), config, proto, store, inputs, weights=weights)


def _finish(result: CheckResult, sink: Sink, config: Config, source: Source, doc: Document | None) -> CheckResult:
    """Apply suppressions, selection and severity overrides; sort by position."""
    if doc is not None:
        sup = parse_suppressions(doc.comments, doc.text)
        for rng, sel in sup.unknown:
            sink.add("C901", rng, f"'{sel}' is not a prototxt-ls rule code or name; nothing is suppressed")
    else:
        sup = None
    result.diagnostics = select(sink.items, config, source.path, sup)
    result.unfiltered = sink.items
    return result


def select(diagnostics: list[Diagnostic], config: Config, path: Path | None, sup) -> list[Diagnostic]:
    """What the configuration (select/ignore/per-file-ignores) and the file's
    ``# prototxt-ls: disable=`` comments (``sup``, or None) keep, with the
    configured severities, sorted by position.  Lint's findings and the
    simulator's go through the same filter."""
    kept = []
    for d in diagnostics:
        if not config.enabled(d.code, path):
            continue
        if sup is not None and d.code != "C901" and sup.silenced(d.code, d.range.start.line):
            continue
        d.severity = config.severity_of(d.code, d.severity)
        kept.append(d)
    kept.sort(key=lambda d: (d.range.start.line, d.range.start.column, d.code))
    return kept
