"""``prototxt-ls`` command line: ``lint``, ``format``, ``upgrade``, ``shapes``, ``sim``, ``weights``,
``rules``, ``rule``.

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
    lint.add_argument("--output-format", choices=("text", "json", "github", "sarif"), default="text")
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

    sim = sub.add_parser("sim", help="run the net in PyTorch: per-layer times, GPU estimates, debug info",
                         description="Simulate the net in PyTorch (needs the `sim` extra: pip install "
                         "'prototxt-ls[sim]'). By default time every layer's forward and backward as `caffe time` "
                         "does; --debug-info runs a few SGD iterations printing Caffe's debug_info lines and reports "
                         "the first NaN/Inf, exploding gradients and layers that never learn. Exit codes: 0 fine; "
                         "1 an error-severity finding (shape mismatch, NaN/Inf); 2 unusable input or no PyTorch.")
    sim.add_argument("file", metavar="FILE")
    sim.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="where to run (default: cpu)")
    sim.add_argument("--iterations", type=int, default=None, metavar="N",
                     help="timed iterations (default 10), or debug-info iterations (default 3)")
    sim.add_argument("--warmup", type=int, default=1, metavar="N", help="untimed iterations first (default 1)")
    sim.add_argument("--phase", default="TRAIN", help="TRAIN or TEST (default: TRAIN, as caffe time)")
    sim.add_argument("--input", action="append", metavar="NAME=N,C,H,W",
                     help="shape of an input blob, e.g. data=1,3,224,224 (repeatable)")
    sim.add_argument("--weights", type=Path, metavar="MODEL", help=".caffemodel to take the layers' blobs from")
    sim.add_argument("--estimate", metavar="GPU",
                     help="also estimate each layer's time on this GPU (V100, A100, H100, H200, L4, T4, RTX4090...)")
    sim.add_argument("--json", action="store_true", help="machine-readable output")
    sim.add_argument("--debug-info", action="store_true",
                     help="run SGD iterations printing Caffe's debug_info lines; report NaN/Inf, exploding and "
                     "zero gradients")
    sim.add_argument("--solver", type=Path, metavar="SOLVER", help="solver whose base_lr --debug-info uses "
                     "(default 0.01)")
    sim.add_argument("--allow-python-layers", action="store_true",
                     help="import and run the modules of `type: \"Python\"` layers (runs their code)")
    sim.add_argument("--proto", type=Path, help="caffe.proto to use (a fork's, for example)")
    sim.add_argument("--no-color", action="store_true", help="plain text output")

    weights = sub.add_parser("weights", help="list a .caffemodel's layers, blobs and shapes",
                             description="Read a .caffemodel without loading its weights and list what it holds.")
    weights.add_argument("model", metavar="MODEL", type=Path)
    weights.add_argument("--json", action="store_true", help='machine-readable: {"layers": [{"name", "type", '
                         '"blobs": [[dims], ...]}]}')

    fmt = sub.add_parser("format", help="rewrite files in the canonical layout",
                         description="Rewrite prototxt files in the canonical layout (2-space indent, one field "
                         "per line, comments kept). Exit codes: 0 done; 1 a file could not be formatted, or "
                         "would change under --check; 2 usage error.")
    fmt.add_argument("paths", nargs="+", metavar="PATH",
                     help="files or folders; '-' reads standard input and writes standard output")
    fmt.add_argument("--check", action="store_true", help="write nothing; exit 1 if any file would change")
    fmt.add_argument("--diff", action="store_true", help="write nothing; print a unified diff of the changes")
    fmt.add_argument("--config", type=Path, help="pyproject.toml to read [tool.prototxt-ls] from")
    fmt.add_argument("-q", "--quiet", action="store_true", help="print only errors")

    upgrade = sub.add_parser("upgrade", help="rewrite an old (V0/V1) net as a V2 net, keeping comments",
                             description="Upgrade a Caffe net as Caffe's upgrade_net_proto_text does (V0 and V1 "
                             "layers, old transformation fields, input fields, BatchNorm params), keeping every "
                             "comment. Prints the result unless --in-place; what cannot be carried over goes to "
                             "stderr. Exit codes: 0 done; 1 would change under --check; 2 unreadable file, "
                             "syntax errors or bad options.")
    upgrade.add_argument("file", metavar="FILE", help="the net to upgrade; '-' reads standard input")
    upgrade.add_argument("-i", "--in-place", action="store_true", help="write the upgraded net back to FILE")
    upgrade.add_argument("--diff", action="store_true", help="print a unified diff instead of the upgraded net")
    upgrade.add_argument("--check", action="store_true",
                         help="print no net; exit 1 if FILE would change (with --diff: show how)")

    serve = sub.add_parser("serve", help="run the language server (stdio)")
    serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio (debugging)")
    serve.add_argument("--stdio", action="store_true", help="use stdio (the default; accepted for clients)")

    rules = sub.add_parser("rules", help="list every rule")
    rules.add_argument("--json", action="store_true", help="machine-readable list")

    rule = sub.add_parser("rule", help="explain one rule")
    rule.add_argument("code", help="rule code or name, e.g. F101 or unknown-field")

    log = sub.add_parser("log", help="summarise Caffe training logs (loss, lr, tests, debug_info, crashes)",
                         description="Parse Caffe training logs: train loss and lr per iteration, test outputs, "
                         "runs and restarts from snapshots, debug_info verdicts (first NaN/Inf, exploding or zero "
                         "diffs) and fatal lines. Exit codes: 0 fine; 1 non-finite values or fatal lines; 2 "
                         "unreadable input.")
    log.add_argument("logs", nargs="+", metavar="LOG", type=Path)
    log.add_argument("--net", type=Path, metavar="NET", help="the net's prototxt: report findings on its layers")
    log.add_argument("--json", action="store_true", help='machine-readable: {"train", "test", "verdicts", ...} '
                     "(a list of those for several logs)")
    log.add_argument("--csv", type=Path, metavar="DIR", help="write LOG.train.csv and LOG.test.csv into DIR")
    log.add_argument("--exit-zero", action="store_true", help="exit 0 even when problems were found")
    log.add_argument("--no-color", action="store_true", help="plain text output")
    log.add_argument("--plot", action="append", default=None, metavar="CHART",
                     help="draw a chart of the logs (one line per log); repeatable. CHART is all or "
                     "{test-accuracy,test-loss,lr,train-loss}-vs-{iters,seconds}, e.g. train-loss-vs-iters")
    log.add_argument("--plot-out", type=Path, default=None, metavar="PATH",
                     help="image for one chart (.png, .svg or .pdf; default CHART.png), or a folder that "
                     "gets CHART.png for each chart")
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
        if args.command == "sim":
            from .sim_cmd import run_sim

            return run_sim(args)
        if args.command == "weights":
            from .weights import run_weights

            return run_weights(args)
        if args.command == "format":
            from .format_cmd import run_format

            return run_format(args)
        if args.command == "upgrade":
            from .upgrade_cmd import run_upgrade

            return run_upgrade(args)
        if args.command == "log":
            from .log_cmd import run_log

            return run_log(args)
        if args.command == "serve":
            from ..lsp.server import serve as run_server

            return run_server(args.tcp)
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
