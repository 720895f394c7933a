"""``prototxt-ls shapes FILE``: per-layer output shapes, parameters, MACs and memory.

The terminal table is what people open the Netscope analyzer for; ``--json``
is a contract::

    {"phase": "TEST", "blobs": {blob: shape},
     "layers": [{"name", "type", "line", "tops": [{"name", "shape"}], "params", "macs", "memory"}],
     "totals": {"params", "macs", "memory", "layers"}}

A shape is a list of ints with null for unknown dims (a scalar loss is ``[]``);
``params``/``macs``/``memory`` are null when unknown; memory is the bytes of
the layer's float32 outputs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..analysis.inference import LayerResult, PhaseResult
from ..diagnostics import Severity
from ..layers.shapes import count, fmt, to_json
from .main import UsageError
from .netfile import checked_net, input_shapes

FLOAT_BYTES = 4


def layer_row(lr: LayerResult) -> dict:
    layer = lr.layer
    anchor = layer.anchor()
    params = None if any(count(w) is None for w in lr.weights) else sum(count(w) for w in lr.weights)
    memory = None if any(count(t) is None for t in lr.tops) else sum(count(t) for t in lr.tops) * FLOAT_BYTES
    return {"name": layer.name, "type": layer.type or layer.type_written,
            "line": anchor.name_range.start.line + 1 if anchor is not None else None,
            "tops": [{"name": t.name, "shape": to_json(s)} for t, s in zip(layer.tops, lr.tops)],
            "weights": [to_json(w) for w in lr.weights],
            "params": params, "macs": lr.macs, "memory": memory}


def phase_json(result: PhaseResult) -> dict:
    rows = [layer_row(lr) for lr in result.layers]

    def total(key: str):
        """Sum over layers; null when any layer's value is unknown (a partial sum would mislead)."""
        values = [r[key] for r in rows]
        return None if any(v is None for v in values) else sum(values)

    return {"phase": result.phase,
            "blobs": {name: to_json(shape) for name, shape in result.blobs.items()},
            "layers": rows,
            "totals": {"params": total("params"), "macs": total("macs"), "memory": total("memory"),
                       "layers": len(rows),
                       "unknown": {k: sum(1 for r in rows if r[k] is None) for k in ("params", "macs", "memory")}}}


def _human(n: int | None, unit: str = "") -> str:
    if n is None:
        return "?"
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= div:
            return f"{n / div:.2f}{suffix}{unit}"
    return f"{n}{unit}"


def run_shapes(args: argparse.Namespace) -> int:
    path = Path(args.file)
    _, res = checked_net(path, args.proto, input_shapes(args.input))
    phase = args.phase.upper()
    result = res.net.phases.get(phase)
    if result is None:
        raise UsageError(f"unknown phase {args.phase!r}: use TRAIN or TEST")
    errors = [d for d in res.diagnostics if d.severity == Severity.ERROR]
    payload = phase_json(result)
    if args.json:
        print(json.dumps(payload, indent=2))
    else:
        _table(payload, str(path))
    if errors:
        print(f"prototxt-ls: {len(errors)} error(s) in {path}; `prototxt-ls lint {path}` shows them",
              file=sys.stderr)
        return 1
    return 0


def _cell(n: int | None) -> str:
    """Blank for zero (most layers have no weights), '?' for unknown."""
    return "" if n == 0 else _human(n)


def _table(payload: dict, title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{title} ({payload['phase']})", show_footer=True)
    totals = payload["totals"]
    table.add_column("Layer", footer="Total")
    table.add_column("Type", footer=f"{totals['layers']} layers")
    table.add_column("Output")
    table.add_column("Params", justify="right", footer=_human(totals["params"]))
    table.add_column("MACs", justify="right", footer=_human(totals["macs"]))
    table.add_column("Memory", justify="right", footer=_human(totals["memory"], "B"))
    for row in payload["layers"]:
        outs = ", ".join(f"{t['name']} {fmt(tuple(t['shape']) if t['shape'] is not None else None)}"
                         for t in row["tops"]) or "-"
        table.add_row(row["name"], row["type"], outs, _cell(row["params"]), _cell(row["macs"]),
                      _human(row["memory"], "B"))
    Console().print(table)
