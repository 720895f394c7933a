"""CSV and JSON tables, shaped like Caffe's ``tools/extra/parse_log.py`` output.

Why: people feed these tables to spreadsheets and their own plotting scripts;
parse_log.py's columns (NumIters, Seconds, LearningRate, loss / test outputs)
are what existing scripts expect, so the CSV keeps them.  JSON uses the
documented shape: ``train``, ``test``, ``verdicts`` (plus ``runs``, ``fatal``,
``skipped``).
"""

from __future__ import annotations

import csv
import io
import math

from .debuginfo import Verdict
from .fatal import FatalFinding
from .parser import LogData


def _num(v):
    if v is None:
        return None
    return v if math.isfinite(v) else str(v)


def to_json(log: LogData, verdicts: list[Verdict], fatal: list[FatalFinding]) -> dict:
    train = [{"iteration": r.iteration, "seconds": r.seconds, "loss": _num(r.loss), "lr": _num(r.lr)}
             for r in log.train]
    test = []
    for r in log.test:
        row = {"iteration": r.iteration, "seconds": r.seconds}
        row.update({k: _num(v) for k, v in r.outputs.items()})
        test.append(row)
    runs = [{"index": r.index, "line": r.line, "restored_from": r.restored_from,
             "first_iteration": r.first_iteration, "last_iteration": r.last_iteration} for r in log.runs]
    return {"path": log.path, "train": train, "test": test, "verdicts": [v.to_json() for v in verdicts],
            "fatal": [f.to_json() for f in fatal], "runs": runs, "skipped": log.skipped,
            "malformed_lines": [n for n, _ in log.malformed]}


def _cell(v) -> str:
    if v is None:
        return ""
    return repr(v) if isinstance(v, float) else str(v)


def train_csv(log: LogData) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["NumIters", "Seconds", "LearningRate", "loss"])
    for r in log.train:
        w.writerow([r.iteration, _cell(r.seconds), _cell(r.lr), _cell(r.loss)])
    return buf.getvalue()


def test_csv(log: LogData) -> str:
    names = log.test_names()
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["NumIters", "Seconds", *names])
    for r in log.test:
        w.writerow([r.iteration, _cell(r.seconds), *(_cell(r.outputs.get(n)) for n in names)])
    return buf.getvalue()
