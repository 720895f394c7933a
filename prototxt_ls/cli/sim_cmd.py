"""``prototxt-ls sim FILE``: run the net in PyTorch: ``caffe time``, GPU estimates, debug info.

Timing (the default) prints a table per layer (forward, backward, the
roofline estimate for ``--estimate GPU``, share of the time), then the lines
``caffe time`` prints (``Average time per layer:`` ... ``Total Time:``), the
peak memory, the shape proof and any T0xx diagnostics, rendered like lint's.
``--debug-info`` instead runs a few SGD iterations printing Caffe's
``debug_info`` lines and reports where numbers first go wrong (T002-T004).

``--json`` is a contract::

    {"device", "phase", "iterations", "warmup",
     "blobs": {blob: real shape},
     "layers": [{"name", "type", "forward_ms", "backward_ms", "estimated_ms",
                 "estimated_forward_ms", "estimated_backward_ms", "share", "skipped"}],
     "total_forward_ms", "total_backward_ms", "forward_backward_ms", "total_ms",
     "peak_memory_bytes", "memory_kind", "backward_seeded_by",
     "estimate": {"gpu", "fp32_tflops", "bandwidth_gbs"} | null,
     "mismatches": [{"blob", "layer", "static", "real", "inherited"}],
     "diagnostics": [lint's JSON objects],
     "debug_info": {"lines", "losses", "iterations", "base_lr"} (only with --debug-info)}

``estimated_ms`` is forward + backward (backward only for layers whose
backward ran); null without an estimate or where a shape is unknown.
Exit codes: 0 fine; 1 an error-severity T0xx finding (a shape mismatch, NaN
or Inf); 2 unusable input, options, or no PyTorch.

torch is imported only inside :func:`run_sim`, so ``prototxt-ls --help`` and
every other command stay free of it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..diagnostics import Diagnostic, Severity
from .main import UsageError

NO_TORCH = "prototxt-ls sim needs PyTorch: pip install 'prototxt-ls[sim]'"
TIMING_ITERATIONS = 10
DEBUG_ITERATIONS = 3


def _has_torch() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch is not None


def run_sim(args: argparse.Namespace) -> int:
    if not _has_torch():
        print(f"prototxt-ls: error: {NO_TORCH}", file=sys.stderr)
        return 2
    from ..sim.net import SimError
    from ..sim.weights import WeightsError

    try:
        return _run(args)
    except (SimError, WeightsError) as exc:
        raise UsageError(str(exc)) from None


# ---------------------------------------------------------------------- setup
def _device(name: str) -> str:
    import torch

    if name == "cuda":
        if not torch.cuda.is_available():
            raise UsageError("--device cuda: no CUDA device is available to PyTorch (use --device cpu)")
        # Caffe computes in float32; TF32 tensor cores would time (and round) something else.
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
    return name


def _gpu(name: str | None, device: str):
    """The GPU to estimate for: --estimate, else the CUDA device in use when the table knows it."""
    from ..sim.estimate import find_gpu, gpu_names

    if name:
        gpu = find_gpu(name)
        if gpu is None:
            raise UsageError(f"--estimate: unknown GPU {name!r}; known: {', '.join(gpu_names())}")
        return gpu
    if device == "cuda":
        import torch

        return find_gpu(torch.cuda.get_device_name())
    return None


def _base_lr(solver: Path | None, proto: Path | None) -> float:
    from ..sim.learning import DEFAULT_BASE_LR, SolverError, solver_base_lr

    if solver is None:
        return DEFAULT_BASE_LR
    try:
        lr, written = solver_base_lr(solver, proto)
    except SolverError as exc:
        raise UsageError(f"--solver: {exc}") from None
    if not written:
        print(f"prototxt-ls: {solver} sets no base_lr; using {lr:g}", file=sys.stderr)
    return lr


def _check(args: argparse.Namespace, shapes: dict):
    from .netfile import checked_net

    path = Path(args.file)
    cfg, res = checked_net(path, args.proto, shapes)
    errors = [d for d in res.diagnostics if d.severity == Severity.ERROR]
    if errors:
        print(f"prototxt-ls: {len(errors)} error(s) in {path}; `prototxt-ls lint {path}` shows them; "
              "simulating anyway", file=sys.stderr)
    return path, cfg, res


def _filtered(diags: list[Diagnostic], res, cfg, path: Path) -> list[Diagnostic]:
    """The project's select/ignore/severity settings and ``# prototxt-ls: disable=`` comments, as lint applies them."""
    from ..analysis.check import select
    from ..suppressions import parse_suppressions

    doc = res.document
    return select(diags, cfg, path, parse_suppressions(doc.comments, doc.text) if doc is not None else None)


def _run(args: argparse.Namespace) -> int:
    from ..sim.inputs import InputShapeError
    from ..sim.net import build_net, make_inputs
    from .netfile import input_shapes

    shapes = input_shapes(args.input)
    phase = args.phase.upper()
    if phase not in ("TRAIN", "TEST"):
        raise UsageError(f"unknown phase {args.phase!r}: use TRAIN or TEST")
    device = _device(args.device)
    gpu = _gpu(args.estimate, device)
    base_lr = _base_lr(args.solver, args.proto) if args.debug_info else None
    iterations = args.iterations if args.iterations is not None else (
        DEBUG_ITERATIONS if args.debug_info else TIMING_ITERATIONS)
    if iterations < 1 or args.warmup < 0:
        raise UsageError("--iterations must be at least 1 and --warmup at least 0")
    path, cfg, res = _check(args, shapes)
    net = build_net(res, phase, weights=args.weights, device=device, allow_python=args.allow_python_layers,
                    net_dir=path.resolve().parent)
    net.keep_going = True  # an op that fails becomes a T006 finding, not a crash
    try:
        inputs = make_inputs(net, overrides=shapes)
    except InputShapeError as exc:
        raise UsageError(str(exc)) from None
    if args.debug_info:
        return _debug(args, path, cfg, res, net, inputs, iterations, base_lr)
    return _time(args, path, cfg, res, net, inputs, iterations, gpu)


# ---------------------------------------------------------------------- timing
def _progress(enabled: bool):
    """A rich progress bar on a terminal's stderr (a context manager) and its per-iteration callback."""
    import contextlib

    from rich.console import Console

    console = Console(stderr=True)
    if not enabled or not console.is_terminal:
        return contextlib.nullcontext(), None
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    bar = Progress(TextColumn("[bold]timing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   console=console, transient=True)
    task = bar.add_task("iterations", total=None)

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return bar, update


def _time(args, path: Path, cfg, res, net, inputs, iterations: int, gpu) -> int:
    from ..sim.learning import freeze_zero_lr, net_learning, propagate_down_flags
    from ..sim.proof import prove, sim_diagnostics
    from ..sim.timing import time_layers

    learning = net_learning(net)
    freeze_zero_lr(net, learning)
    bar, update = _progress(not args.json)
    with bar:
        timing = time_layers(net, inputs, iterations=iterations, warmup=args.warmup, progress=update,
                             propagate_down=propagate_down_flags(learning))
    blobs = timing.last.blobs if timing.last is not None else {}
    mismatches = prove(net, blobs)
    diags = _filtered(sim_diagnostics(net, mismatches), res, cfg, path)
    payload = timing_json(net, timing, gpu, blobs, mismatches, diags, str(path))
    if args.json:
        print(json.dumps(payload, indent=2))
    else:
        render_timing(payload, timing, str(path), res.document.text if res.document else "", diags,
                      no_color=args.no_color)
    return _exit(diags)


def _exit(diags: list[Diagnostic]) -> int:
    return 1 if any(d.severity == Severity.ERROR for d in diags) else 0


def _mismatch_json(m) -> dict:
    from ..layers.shapes import to_json

    return {"blob": m.blob, "layer": m.layer.name, "static": to_json(m.static), "real": list(m.real),
            "inherited": m.inherited}


def layer_rows(net, timing, gpu) -> list[dict]:
    """One row per layer: measured times, the GPU estimate, and the share of the measured total."""
    from ..sim.estimate import estimate

    total = sum(lt.forward_ms + lt.backward_ms for lt in timing.layers) or 1.0
    rows = []
    for layer, lt in zip(net.layers, timing.layers):
        est_f = est_b = est = None
        if gpu is not None:
            est_f = estimate(layer.result, gpu, "forward")
            est_b = estimate(layer.result, gpu, "backward") if lt.backward else 0.0
            if est_f is not None and est_b is not None:
                est = est_f + est_b
        rows.append({"name": lt.name, "type": lt.type, "forward_ms": lt.forward_ms, "backward_ms": lt.backward_ms,
                     "estimated_ms": est, "estimated_forward_ms": est_f,
                     "estimated_backward_ms": est_b if est_f is not None else None,
                     "share": (lt.forward_ms + lt.backward_ms) / total, "skipped": lt.skipped})
    return rows


def timing_json(net, timing, gpu, blobs: dict, mismatches, diags: list[Diagnostic], path: str) -> dict:
    from .render_machine import to_json_obj

    return {"device": timing.device, "phase": net.phase, "iterations": timing.iterations, "warmup": timing.warmup,
            "blobs": {name: list(t.shape) for name, t in blobs.items()},
            "layers": layer_rows(net, timing, gpu),
            "total_forward_ms": timing.forward_ms, "total_backward_ms": timing.backward_ms,
            "forward_backward_ms": timing.forward_backward_ms, "total_ms": timing.total_ms,
            "peak_memory_bytes": timing.peak_memory_bytes, "memory_kind": timing.memory_kind,
            "backward_seeded_by": timing.seeded_by,
            "estimate": ({"gpu": gpu.name, "fp32_tflops": gpu.fp32_tflops, "bandwidth_gbs": gpu.bandwidth_gbs}
                         if gpu is not None else None),
            "mismatches": [_mismatch_json(m) for m in mismatches],
            "diagnostics": [to_json_obj(path, d) for d in diags]}


# ---------------------------------------------------------------------- debug info
def _debug(args, path: Path, cfg, res, net, inputs, iterations: int, base_lr: float) -> int:
    from ..sim.debuginfo import debug_diagnostics, debug_info
    from ..sim.proof import prove, sim_diagnostics
    from .render_machine import to_json_obj

    run = debug_info(net, inputs, iterations=iterations, base_lr=base_lr,
                     emit=None if args.json else print)
    mismatches = prove(net, run.blobs)
    diags = _filtered(sim_diagnostics(net, mismatches) + debug_diagnostics(net, run), res, cfg, path)
    if args.json:
        payload = {"device": str(net.device), "phase": net.phase, "iterations": run.iterations,
                   "blobs": {name: list(t.shape) for name, t in run.blobs.items()},
                   "mismatches": [_mismatch_json(m) for m in mismatches],
                   "diagnostics": [to_json_obj(str(path), d) for d in diags],
                   "debug_info": {"lines": run.lines, "losses": [_num(v) for v in run.losses],
                                  "iterations": run.iterations, "base_lr": run.base_lr}}
        print(json.dumps(payload, indent=2))
    else:
        if run.seeded_by is None:
            print("prototxt-ls: the net has no loss: forward only, nothing learns", file=sys.stderr)
        render_diagnostics(str(path), res.document.text if res.document else "", diags, no_color=args.no_color)
    return _exit(diags)


def _num(v: float):
    import math

    return v if math.isfinite(v) else str(v)


# ---------------------------------------------------------------------- text output
def _console(no_color: bool):
    from rich.console import Console

    return Console(no_color=no_color or None, highlight=False)


def _ms(v: float | None) -> str:
    return "?" if v is None else f"{v:.3f}"


def _pct(v: float | None) -> str:
    return "" if v is None else f"{100 * v:.1f}%"


def _table(console, payload: dict, title: str) -> None:
    from rich.table import Table

    rows = payload["layers"]
    est = payload["estimate"]
    table = Table(title=f"{title} ({payload['phase']}, {payload['device']}, {payload['iterations']} iterations)",
                  show_footer=True)
    table.add_column("Layer", footer="Total")
    table.add_column("Type", footer=f"{len(rows)} layers")
    table.add_column("Fwd ms", justify="right", footer=_ms(sum(r["forward_ms"] for r in rows)))
    table.add_column("Bwd ms", justify="right", footer=_ms(sum(r["backward_ms"] for r in rows)))
    est_total = None
    if est is not None:
        known = [r["estimated_ms"] for r in rows if r["estimated_ms"] is not None]
        est_total = sum(known) if known else None
        table.add_column(f"Est. ms ({est['gpu']})", justify="right", footer=_ms(est_total))
        table.add_column("Est. share", justify="right")
    table.add_column("Share", justify="right")
    for r in rows:
        cells = [r["name"], r["type"] + (" (skipped)" if r["skipped"] else ""), _ms(r["forward_ms"]),
                 _ms(r["backward_ms"])]
        if est is not None:
            share = r["estimated_ms"] / est_total if r["estimated_ms"] is not None and est_total else None
            cells += [_ms(r["estimated_ms"]), _pct(share)]
        cells.append(_pct(r["share"]))
        table.add_row(*cells)
    console.print(table)


def caffe_time_lines(payload: dict) -> list[str]:
    """The summary ``caffe time`` logs (tools/caffe.cpp), in its layout: name right-aligned in 10."""
    g = "{:g}".format
    lines = ["Average time per layer: "]
    for r in payload["layers"]:
        lines.append(f"{r['name']:>10}\tforward: {g(r['forward_ms'])} ms.")
        lines.append(f"{r['name']:>10}\tbackward: {g(r['backward_ms'])} ms.")
    lines += [f"Average Forward pass: {g(payload['total_forward_ms'])} ms.",
              f"Average Backward pass: {g(payload['total_backward_ms'])} ms.",
              f"Average Forward-Backward: {g(payload['forward_backward_ms'])} ms.",
              f"Total Time: {g(payload['total_ms'])} ms.",
              "*** Benchmark ends ***"]
    return lines


def _bytes(n: int) -> str:
    for div, unit in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
        if n >= div:
            return f"{n / div:.1f} {unit}"
    return f"{n} B"


def render_timing(payload: dict, timing, path: str, text: str, diags: list[Diagnostic],
                  no_color: bool = False) -> None:
    console = _console(no_color)
    _table(console, payload, path)
    for line in caffe_time_lines(payload):
        print(line)
    print(f"Peak memory: {_bytes(payload['peak_memory_bytes'])} ({payload['memory_kind']})")
    seeded = payload["backward_seeded_by"]
    if seeded == "outputs":
        print("Backward: the net has no loss; each output's diff was set to ones (as force_backward would)")
    elif seeded is None:
        print("Backward: nothing to differentiate (no loss and no output needs a diff)")
    if payload["estimate"] is not None:
        e = payload["estimate"]
        print(f"Estimate: roofline for {e['gpu']} ({e['fp32_tflops']:g} FP32 TFLOPS, {e['bandwidth_gbs']:g} GB/s), "
              "a lower bound; see prototxt_ls/sim/estimate.py")
    wrong = [m for m in payload["mismatches"] if not m["inherited"]]
    print(f"Shape proof: {len(payload['blobs'])} blobs run, "
          + ("all match static inference" if not payload["mismatches"]
             else f"{len(payload['mismatches'])} differ from static inference ({len(wrong)} first)"))
    render_diagnostics(path, text, diags, no_color=no_color, console=console)


def render_diagnostics(path: str, text: str, diags: list[Diagnostic], no_color: bool = False,
                       console=None) -> None:
    from .render_text import render_text

    console = console or _console(no_color)
    console.print()
    render_text(console, [(path, text, diags)], 1)
