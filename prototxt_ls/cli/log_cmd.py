"""``prototxt-ls log``: read Caffe training logs.

Prints a summary per log (rich table + sparklines), the debug_info verdicts and
fatal lines; ``--json`` / ``--csv DIR`` export the tables instead.  With
``--plot CHART`` draws the charts of Caffe's plot_training_log.py (needs
matplotlib: ``prototxt-ls[plot]``).  With
``--net`` each verdict and fatal line that names a layer is reported on that
layer in the net, as ``path:line:col: CODE severity message`` like ``lint``.

Exit codes: 0 nothing alarming; 1 a non-finite value or a fatal line was found
(unless ``--exit-zero``); 2 unreadable files.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..logs.debuginfo import Verdict, analyse
from ..logs.export import test_csv, to_json, train_csv
from ..logs.fatal import FatalFinding, classify
from ..logs.netmap import NetMap
from ..logs.parser import LogData, parse_log
from ..logs.sparkline import sparkline
from .main import UsageError


def run_log(args: argparse.Namespace) -> int:
    results: list[tuple[LogData, list[Verdict], list[FatalFinding]]] = []
    for path in args.logs:
        try:
            log = parse_log(path)
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror or exc}")
        results.append((log, analyse(log), classify(log.fatal)))
    net = None
    if args.net is not None:
        try:
            net_text = args.net.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise UsageError(f"cannot read {args.net}: {exc.strerror or exc}")
        net = NetMap(net_text, str(args.net))

    plots = getattr(args, "plot", None)
    if plots:
        _write_plots([log for log, _, _ in results], plots, getattr(args, "plot_out", None))
    if args.csv is not None:
        args.csv.mkdir(parents=True, exist_ok=True)
        for log, _, _ in results:
            stem = Path(log.path).name
            (args.csv / f"{stem}.train.csv").write_text(train_csv(log), encoding="utf-8")
            (args.csv / f"{stem}.test.csv").write_text(test_csv(log), encoding="utf-8")
    if args.json:
        docs = [to_json(*r) for r in results]
        print(json.dumps(docs[0] if len(docs) == 1 else docs, indent=2))
    elif args.csv is None and not plots:
        _print_text(results, net, args)
    bad = any(v.severity == "error" for _, vs, _ in results for v in vs) or any(f for _, _, f in results)
    return 1 if bad and not args.exit_zero else 0


def _print_text(results, net: NetMap | None, args: argparse.Namespace) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(no_color=args.no_color, highlight=False, soft_wrap=True)
    for log, verdicts, fatal in results:
        table = Table(title=f"{log.path}", show_header=False)
        table.add_column("", style="bold")
        table.add_column("")
        iters = [r.iteration for r in log.train]
        table.add_row("runs", ", ".join(_run_text(r) for r in log.runs) or "none")
        if iters:
            table.add_row("iterations", f"{min(iters)}..{max(iters)} ({len(log.train)} train rows)")
        losses = [r.loss for r in log.train if r.loss is not None]
        if losses:
            line, logs = sparkline(losses)
            table.add_row("train loss", f"{losses[0]:g} -> {losses[-1]:g}  {line}{' (log)' if logs else ''}")
        lrs = [r.lr for r in log.train if r.lr is not None]
        if lrs:
            line, logs = sparkline(lrs)
            table.add_row("lr", f"{lrs[0]:g} -> {lrs[-1]:g}  {line}{' (log)' if logs else ''}")
        for name in log.test_names():
            vals = [r.outputs[name] for r in log.test if name in r.outputs]
            line, logs = sparkline(vals)
            table.add_row(f"test {name}", f"{vals[0]:g} -> {vals[-1]:g}  {line}{' (log)' if logs else ''}")
        secs = [r.seconds for r in log.train + log.test if r.seconds is not None]
        if secs:
            table.add_row("seconds", f"{max(secs):.1f}")
        table.add_row("debug_info lines", str(len(log.debug)))
        table.add_row("skipped lines", str(log.skipped))
        table.add_row("verdicts", str(len(verdicts)) if verdicts else "none")
        table.add_row("fatal lines", str(len(fatal)) if fatal else "none")
        console.print(table)
        for v in verdicts:
            console.print(_located(net, v.layer, None, v.code, v.severity, v.message(), log.path, v.line),
                          markup=False)
        for f in fatal:
            console.print(_located(net, f.layer, f.layer_type, f.code, "error", f"fatal: {f.message}", log.path,
                                   f.line), markup=False)


def _write_plots(logs: list[LogData], names: list[str], out: Path | None) -> None:
    from ..logs.plots import FORMATS, PlotUnavailable, render, resolve_charts

    try:
        charts = resolve_charts(names)
    except ValueError as exc:
        raise UsageError(str(exc))
    if len(charts) == 1 and (out is None or out.suffix.lower() in FORMATS):
        targets = [(charts[0], out or Path(f"{charts[0].name}.png"))]
    else:
        if out is not None and out.suffix.lower() in FORMATS:
            raise UsageError(f"--plot-out {out}: several charts need a folder, not an image file")
        folder = out or Path(".")
        targets = [(c, folder / f"{c.name}.png") for c in charts]
    for chart, target in targets:
        try:
            render(logs, chart, target)
        except PlotUnavailable:
            raise UsageError("--plot needs matplotlib, which is not installed: pip install 'prototxt-ls[plot]'")
        except ValueError as exc:
            raise UsageError(str(exc))
        except OSError as exc:
            raise UsageError(f"cannot write {target}: {exc.strerror or exc}")
        print(f"wrote {target}")


def _run_text(r) -> str:
    span = f"{r.first_iteration}..{r.last_iteration}" if r.first_iteration is not None else "no iterations"
    restored = f" (restored from {r.restored_from})" if r.restored_from else ""
    return f"#{r.index} line {r.line}: {span}{restored}"


def _located(net: NetMap | None, layer: str | None, layer_type: str | None, code: str, severity: str,
             message: str, log_path: str, log_line: int) -> str:
    where = f"{log_path}:{log_line}:1"
    if net is not None:
        pos = net.find(layer) if layer else None
        if pos is None and layer_type:
            found = net.by_type(layer_type)
            pos = found[0] if found else None
        if pos is not None:
            return f"{net.path}:{pos.line}:{pos.column}: {code} {severity} {message} (log line {log_line})"
    return f"{where}: {code} {severity} {message}"

