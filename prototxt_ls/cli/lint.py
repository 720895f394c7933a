"""``prototxt-ls lint``: check files, print diagnostics, choose the exit code."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..analysis.check import check_bytes
from ..analysis.netcheck import parse_input_spec
from ..analysis.schemas import SchemaStore
from ..config import Config, load_config
from ..diagnostics import Diagnostic, Severity
from ..rules.registry import expand
from ..schema.loader import SchemaLoadError, load_schema
from .files import collect
from .main import UsageError


def _codes(values: list[str] | None) -> list[str]:
    out: list[str] = []
    for v in values or []:
        out.extend(x for x in v.split(",") if x.strip())
    return out


def effective_config(args: argparse.Namespace) -> Config:
    """pyproject settings for the first path, overridden by the command line."""
    if args.config is not None:
        if not args.config.is_file():
            raise UsageError(f"--config {args.config}: no such file")
        cfg = load_config(pyproject=args.config)
    else:
        first = args.stdin_filename or (args.paths[0] if args.paths and args.paths[0] != "-" else ".")
        cfg = load_config(Path(first))
    try:
        if args.select:
            cfg.select = expand(_codes(args.select))
        if args.ignore:
            cfg.ignore |= expand(_codes(args.ignore))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.fail_on:
        cfg.fail_on = Severity.parse(args.fail_on)
    return cfg


def describe(res) -> str:
    """One line about what a file turned out to be, for --verbose."""
    from ..schema.loader import bundled_schema

    if res.root is None:
        return "not checked (unreadable content)"
    root = res.root.full_name
    if res.root.name == "NetParameter":
        kind = f"{res.style} net" if res.style else "net without layers"
    elif res.root.name == "SolverParameter":
        kind = "solver"
    else:
        kind = res.root.name
    schema = "the bundled BVLC schema" if res.schema is bundled_schema() else res.schema.path
    return f"{kind} ({root}), checked against {schema}"


def _fix_file(path: Path, data: bytes, cfg: Config, args: argparse.Namespace, store, blob_shapes) -> int:
    """Apply fixes to one file in place (only when it decodes as UTF-8 text)."""
    from ..analysis.check import check_text
    from ..fixes import fix_text

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return 0

    def check(t: str):
        return check_text(t, path, cfg, args.proto, store, blob_shapes, weights=args.weights).diagnostics

    new, count = fix_text(text, check, unsafe=args.unsafe_fixes)
    if count and new != text:
        path.write_bytes(new.encode("utf-8"))
    return count


def run_lint(args: argparse.Namespace) -> int:
    cfg = effective_config(args)
    for w in cfg.warnings:
        print(f"prototxt-ls: warning: {w}", file=sys.stderr)
    if args.weights is not None and not args.weights.is_file():
        raise UsageError(f"--weights {args.weights}: no such file")
    if args.proto is not None:
        try:
            load_schema(args.proto)
        except SchemaLoadError as exc:
            raise UsageError(str(exc)) from None

    blob_shapes: dict = {}
    for spec in args.input or []:
        try:
            blob_shapes.update(parse_input_spec(spec))
        except ValueError as exc:
            raise UsageError(f"--input: {exc}") from None
    store = SchemaStore()
    results: list[tuple[str, str, list[Diagnostic]]] = []
    unreadable = False
    inputs: list[tuple[str, Path | None, bytes | None]] = []
    if args.paths == ["-"]:
        name = args.stdin_filename or "<stdin>"
        inputs.append((name, Path(args.stdin_filename) if args.stdin_filename else None,
                       sys.stdin.buffer.read()))
    else:
        files, missing = collect(args.paths, cfg)
        for m in missing:
            print(f"prototxt-ls: error: {m}: no such file or folder", file=sys.stderr)
            unreadable = True
        for f in files:
            try:
                inputs.append((str(f), f, f.read_bytes()))
            except OSError as exc:
                print(f"prototxt-ls: error: {f}: cannot read: {exc.strerror or exc}", file=sys.stderr)
                unreadable = True
    fixed_total = 0
    for name, path, data in inputs:
        if args.fix and path is not None:
            fixed_total += _fix_file(path, data, cfg, args, store, blob_shapes)
            data = path.read_bytes()
        res = check_bytes(data, path, cfg, args.proto, store, blob_shapes, args.weights)
        text = res.document.text if res.document is not None else ""
        if args.verbose:
            print(f"{name}: {describe(res)}", file=sys.stderr)
        results.append((name, text, res.diagnostics))

    if args.output_format == "json":
        from .render_machine import render_json

        print(render_json([(n, d) for n, _t, d in results]))
    elif args.output_format == "sarif":
        from .render_machine import render_sarif

        print(render_sarif([(n, d) for n, _t, d in results]))
    elif args.output_format == "github":
        from .render_machine import render_github

        out = render_github([(n, d) for n, _t, d in results])
        if out:
            print(out)
    else:
        from rich.console import Console

        from .render_text import render_text

        console = Console(no_color=args.no_color or None, highlight=False)
        if inputs or not unreadable:
            render_text(console, results, len(inputs), quiet=args.quiet)

    if args.fix:
        print(f"Fixed {fixed_total} issue{'s' if fixed_total != 1 else ''}.", file=sys.stderr)
    if unreadable:
        return 2
    if args.exit_zero:
        return 0
    worst = min((d.severity for _n, _t, ds in results for d in ds), default=None)
    return 1 if worst is not None and worst <= cfg.fail_on else 0
