"""``prototxt-ls`` command line: ``lint``, ``rules``, ``rule``.

Exit codes: 0 clean (nothing at or above ``--fail-on``), 1 findings at or
above it, 2 usage errors or unreadable inputs.  Each subcommand is a small
function; heavy imports (rich) happen inside them so ``--help`` stays quick,
and nothing here imports pygls or torch.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import __version__


class UsageError(Exception):
    """A problem with how the command was called (exit code 2)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="prototxt-ls", description="Linter and language server for Caffe "
                                     ".prototxt nets and solvers.")
    parser.add_argument("--version", action="version", version=f"prototxt-ls {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    lint = sub.add_parser("lint", help="check files or folders", description="Check prototxt files "
                          "(folders are searched recursively) against caffe.proto.")
    lint.add_argument("paths", nargs="*", default=["."], metavar="PATH",
                      help="files or folders (default: .); '-' reads standard input")
    lint.add_argument("--proto", type=Path, help="caffe.proto to check against (a fork's, for example)")
    lint.add_argument("--select", action="append", default=None, metavar="CODES",
                      help="only these rules (codes, names or prefixes, comma-separated)")
    lint.add_argument("--ignore", action="append", default=None, metavar="CODES",
                      help="skip these rules (codes, names or prefixes, comma-separated)")
    lint.add_argument("--output-format", choices=("text", "json", "github"), default="text")
    lint.add_argument("--fail-on", choices=("error", "warning", "info", "hint"), default=None,
                      help="lowest severity that makes the exit code 1 (default: error)")
    lint.add_argument("--exit-zero", action="store_true",
                      help="exit 0 even when diagnostics were found (2 still means unusable input)")
    lint.add_argument("--config", type=Path, help="pyproject.toml to read [tool.prototxt-ls] from")
    lint.add_argument("--fix", action="store_true", help="apply the safe fixes to the files")
    lint.add_argument("--unsafe-fixes", action="store_true",
                      help="with --fix, also apply fixes that may change meaning (did-you-mean renames)")
    lint.add_argument("--weights", type=Path, metavar="MODEL",
                      help=".caffemodel to check the net(s) against (shapes, blob counts, names)")
    lint.add_argument("--input", action="append", metavar="NAME=N,C,H,W",
                      help="shape of a blob Caffe sizes at run time, e.g. data=1,3,224,224 (repeatable)")
    lint.add_argument("--stdin-filename", help="path to report for '-' (also picks config and schema)")
    lint.add_argument("-v", "--verbose", action="store_true",
                      help="also print, per file, its format (V0/V1/V2), root message and schema")
    lint.add_argument("-q", "--quiet", action="store_true", help="print only the summary")
    lint.add_argument("--no-color", action="store_true", help="plain text output")

    shapes = sub.add_parser("shapes", help="per-layer shapes, parameters, MACs and memory",
                            description="Infer every blob's shape the way Caffe does and tabulate the layers.")
    shapes.add_argument("file", metavar="FILE")
    shapes.add_argument("--phase", default="TEST", help="TRAIN or TEST (default: TEST)")
    shapes.add_argument("--input", action="append", metavar="NAME=N,C,H,W",
                        help="shape of a blob Caffe sizes at run time (repeatable; '?' for unknown)")
    shapes.add_argument("--proto", type=Path, help="caffe.proto to use (a fork's, for example)")
    shapes.add_argument("--json", action="store_true", help="machine-readable output")

    weights = sub.add_parser("weights", help="list a .caffemodel's layers, blobs and shapes",
                             description="Read a .caffemodel without loading its weights and list what it holds.")
    weights.add_argument("model", metavar="MODEL", type=Path)
    weights.add_argument("--json", action="store_true", help='machine-readable: {"layers": [{"name", "type", '
                         '"blobs": [[dims], ...]}]}')

    rules = sub.add_parser("rules", help="list every rule")
    rules.add_argument("--json", action="store_true", help="machine-readable list")

    rule = sub.add_parser("rule", help="explain one rule")
    rule.add_argument("code", help="rule code or name, e.g. F101 or unknown-field")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "lint":
            from .lint import run_lint

            return run_lint(args)
        if args.command == "shapes":
            from .shapes import run_shapes

            return run_shapes(args)
        if args.command == "weights":
            from .weights import run_weights

            return run_weights(args)
        if args.command == "rules":
            return _rules(args)
        if args.command == "rule":
            return _rule(args)
        parser.print_help()
        return 2
    except UsageError as exc:
        print(f"prototxt-ls: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


def _rules(args: argparse.Namespace) -> int:
    from ..rules.registry import all_rules

    rules = all_rules()
    if args.json:
        import json

        print(json.dumps([{"code": r.code, "name": r.name, "severity": r.severity.label,
                           "family": r.family, "summary": r.summary} for r in rules], indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title="prototxt-ls rules", show_lines=False)
    table.add_column("Code", style="bold magenta")
    table.add_column("Name")
    table.add_column("Severity")
    table.add_column("What it reports")
    for r in rules:
        table.add_row(r.code, r.name, r.severity.label, r.summary)
    Console().print(table)
    return 0


def _rule(args: argparse.Namespace) -> int:
    from ..rules.registry import lookup, _ensure_loaded

    _ensure_loaded()
    r = lookup(args.code)
    if r is None:
        raise UsageError(f"no rule {args.code!r}; `prototxt-ls rules` lists them")
    from rich.console import Console
    from rich.markdown import Markdown

    console = Console()
    if console.is_terminal:
        console.print(Markdown(r.doc_markdown()))
    else:
        print(r.doc_markdown())
    return 0


def entry() -> None:
    """Console-script entry point."""
    sys.exit(main())
