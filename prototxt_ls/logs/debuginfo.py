"""Verdicts from ``debug_info`` lines: where training first went wrong.

Why: with ``debug_info: true`` Caffe prints the mean absolute value of every
top blob (forward), bottom diff and param diff (backward) per layer.  Reading
hundreds of such lines by eye to find the first NaN is what people actually do;
this does it.  For each iteration, phase and pass it keeps the *first* layer
showing each kind of trouble, in log order, so the first verdict is where the
first non-finite value appeared.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .parser import DebugLine, LogData

EXPLODING = 1e8  # a mean |diff| above this is exploding
PARAM_RATIO = 1e4  # param diff this many times its data is "far above"

#: kind -> (code, severity, text)
KINDS = {
    "nan": ("L901", "error", "NaN"),
    "inf": ("L902", "error", "Inf"),
    "exploding": ("L903", "warning", "exploding diff"),
    "zero": ("L904", "warning", "diff exactly zero (nothing learns below here)"),
    "param_ratio": ("L905", "warning", "param diff far above param data"),
}


@dataclass
class Verdict:
    iteration: int | None
    layer: str
    pass_: str  # "forward" / "backward"
    kind: str  # key of KINDS
    phase: str
    blob: str
    value: float
    line: int

    @property
    def code(self) -> str:
        return KINDS[self.kind][0]

    @property
    def severity(self) -> str:
        return KINDS[self.kind][1]

    def message(self) -> str:
        what = KINDS[self.kind][2]
        where = f"{self.phase} iteration {self.iteration if self.iteration is not None else '?'}"
        return (f"{what} first seen in layer '{self.layer}' ({self.pass_} pass, {self.blob}, "
                f"value {_fmt(self.value)}) at {where}")

    def to_json(self) -> dict:
        return {"iteration": self.iteration, "layer": self.layer, "pass": self.pass_, "kind": self.kind,
                "phase": self.phase, "blob": self.blob, "value": _json_num(self.value), "line": self.line}


def _fmt(v: float) -> str:
    return f"{v:g}"


def _json_num(v: float):
    return v if math.isfinite(v) else str(v)


def _kinds(d: DebugLine, param_data: dict[tuple, float]) -> list[str]:
    v = d.value
    if math.isnan(v):
        return ["nan"]
    if math.isinf(v):
        return ["inf"]
    out = []
    if d.what == "diff":
        if abs(v) > EXPLODING:
            out.append("exploding")
        if v == 0 and d.role != "param":
            out.append("zero")
        if d.role == "param":
            data = d.data if d.data is not None else param_data.get((d.layer, d.blob))
            if data is not None and math.isfinite(data) and data != 0 and abs(v) > PARAM_RATIO * abs(data):
                out.append("param_ratio")
    return out


def _blob_text(d: DebugLine) -> str:
    if d.role == "param":
        return f"param {d.blob} {d.what}"
    return f"{d.role} blob {d.blob} {d.what}"


def analyse(log: LogData) -> list[Verdict]:
    verdicts: list[Verdict] = []
    seen: set[tuple] = set()
    param_data: dict[tuple, float] = {}  # last forward param data per (layer, param index)
    for d in log.debug:
        if d.role == "param" and d.what == "data":
            param_data[(d.layer, d.blob)] = d.value
            if math.isfinite(d.value):
                continue  # finite weights say nothing by themselves; NaN/Inf weights are a verdict
        for kind in _kinds(d, param_data):
            pass_ = "forward" if d.pass_ == "forward" else "backward"
            key = (d.iteration, d.phase, pass_, kind, d.pass_index if d.iteration is None else None)
            if key in seen:
                continue
            seen.add(key)
            verdicts.append(Verdict(d.iteration, d.layer, pass_, kind, d.phase, _blob_text(d), d.value, d.line))
    return verdicts
