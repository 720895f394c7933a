"""``prototxt-ls weights MODEL``: what a .caffemodel holds, without loading its floats.

JSON contract: ``{"path", "size", "name", "layers": [{"name", "type", "blobs": [[dims], ...],
"params"}], "totals": {"layers", "params"}}``.
"""

from __future__ import annotations

import argparse
import json
from math import prod

from ..weights.reader import CaffemodelError, read_caffemodel
from .main import UsageError


def run_weights(args: argparse.Namespace) -> int:
    try:
        info = read_caffemodel(args.model)
    except CaffemodelError as exc:
        raise UsageError(str(exc)) from None
    rows = [{"name": layer.name, "type": layer.type, "blobs": [list(b.shape) for b in layer.blobs],
             "params": sum(prod(b.shape) for b in layer.blobs)} for layer in info.layers]
    payload = {"path": str(args.model), "size": info.size, "name": info.name, "layers": rows,
               "totals": {"layers": len(rows), "params": sum(r["params"] for r in rows)}}
    if args.json:
        print(json.dumps(payload, indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{args.model} ({info.size / 1e6:.1f} MB, {len(rows)} layers)", show_footer=True)
    table.add_column("Layer", footer="Total")
    table.add_column("Type")
    table.add_column("Blobs")
    table.add_column("Params", justify="right", footer=f"{payload['totals']['params']:,}")
    for r in rows:
        blobs = ", ".join("x".join(str(d) for d in b) or "scalar" for b in r["blobs"]) or "-"
        table.add_row(r["name"], r["type"], blobs, f"{r['params']:,}" if r["params"] else "")
    Console().print(table)
    return 0
