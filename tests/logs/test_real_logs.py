"""The two real Caffe logs in the corpus, read value by value.

The expected values are read here with plain string splitting, independently of
the regexes in prototxt_ls.logs.parser, and compared for every row.
"""

from __future__ import annotations

import math

import pytest
from corpus_paths import CORPUS

from prototxt_ls.logs import parse_log
from prototxt_ls.logs.debuginfo import analyse
from prototxt_ls.logs.export import to_json

LOGS = CORPUS / "oracle" / "logs"
NORMAL = LOGS / "normal.log"
DEBUG = LOGS / "debug.log"

pytestmark = pytest.mark.corpus


def _need(path):
    if not path.is_file():
        pytest.skip(f"{path} not present")


def _msgs(path):
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if "] " in line and line[:1] in "IWEF" and line[1:2].isdigit():
            yield n, line.split("] ", 1)[1]


def _expected_tables(path):
    train, test = {}, {}
    cur_test = None
    for _, msg in _msgs(path):
        if msg.startswith("Iteration ") and ", Testing net" in msg:
            cur_test = int(msg.split()[1].rstrip(","))
            test[cur_test] = {}
        elif "Test net output" in msg:
            name, value = msg.split(": ", 1)[1].split(" = ", 1)
            test[cur_test][name] = float(value.split()[0])
        elif msg.startswith("Iteration ") and "loss = " in msg:
            it = int(msg.split()[1].rstrip(","))
            train.setdefault(it, {})["loss"] = float(msg.rsplit("loss = ", 1)[1])
        elif msg.startswith("Iteration ") and "lr = " in msg:
            it = int(msg.split()[1].rstrip(","))
            train.setdefault(it, {})["lr"] = float(msg.rsplit("lr = ", 1)[1])
    return train, test


def test_normal_log_every_value():
    _need(NORMAL)
    log = parse_log(NORMAL)
    train, test = _expected_tables(NORMAL)
    assert [r.iteration for r in log.train] == list(range(0, 201, 10))
    assert sorted(train) == list(range(0, 201, 10))
    for row in log.train:
        assert row.loss == train[row.iteration]["loss"]
        assert row.lr == train[row.iteration].get("lr")
    # step policy: 2e-4 until iteration 100, 2e-5 from there (the final line has no lr)
    assert all(r.lr == 0.0002 for r in log.train if r.iteration < 100)
    assert all(r.lr == 2e-05 for r in log.train if 100 <= r.iteration < 200)
    assert [r.iteration for r in log.test] == [0, 50, 100, 150, 200]
    for row in log.test:
        assert row.outputs == test[row.iteration]
    assert log.test[0].outputs == {"accuracy": 0.08, "loss": 2.04833}
    assert log.test[-1].outputs == {"accuracy": 1.0, "loss": 0.000100193}
    assert log.skipped == 0 and log.fatal == [] and log.debug == []
    assert len(log.runs) == 1 and log.runs[0].first_iteration == 0 and log.runs[0].last_iteration == 200
    secs = [r.seconds for r in log.train]
    assert secs == sorted(secs) and 0 < secs[-1] < 10
    # line 544: 23:59:18.256759, first timestamp (line 1) 23:59:18.142573 or so: measured from the file's start
    first = NORMAL.read_text().splitlines()[0].split()[1]
    assert log.train[0].seconds == pytest.approx(18.256759 - float(first.split(":")[2]), abs=1e-6)


def test_normal_log_json_shape():
    _need(NORMAL)
    log = parse_log(NORMAL)
    doc = to_json(log, analyse(log), [])
    assert set(doc["train"][0]) == {"iteration", "seconds", "loss", "lr"}
    assert doc["train"][-1] == {"iteration": 200, "seconds": doc["train"][-1]["seconds"], "loss": 9.2048e-05,
                                "lr": None}
    assert doc["test"][1]["accuracy"] == 1.0 and doc["test"][1]["iteration"] == 50
    assert doc["verdicts"] == []


def test_debug_log_every_debug_line():
    _need(DEBUG)
    log = parse_log(DEBUG)
    expected = []
    for n, msg in _msgs(DEBUG):
        body = msg.strip()
        if body.startswith(("[Forward] Layer", "[Backward] Layer")):
            head, value = body.rsplit(": ", 1)
            pass_, rest = head.split("] Layer ", 1)
            layer, blob = rest.split(", ", 1)
            expected.append((n, pass_[1:].lower(), layer, blob, float(value)))
    assert len(expected) == 298
    got = [(d.line, d.pass_, d.layer,
            (f"{d.role} blob {d.blob} {d.what}"), d.value) for d in log.debug]
    assert got == expected
    # which iteration each line belongs to: 5 test passes at iteration 0, then training iterations 0..4
    # (forward + backward) and the final forward-only pass for iteration 5.
    test_lines = [d for d in log.debug if d.phase == "test"]
    assert len(test_lines) == 115 and {d.iteration for d in test_lines} == {0}
    assert all(542 < d.line < 658 for d in test_lines)
    train_lines = [d for d in log.debug if d.phase == "train"]
    display = {r.iteration: r.line for r in log.train}
    for d in train_lines:
        # each training line comes after the previous iteration's display and before its own
        assert d.line < display[d.iteration]
        if d.iteration - 1 in display:
            assert d.line > display[d.iteration - 1]
    counts = {}
    for d in train_lines:
        counts[(d.iteration, d.pass_)] = counts.get((d.iteration, d.pass_), 0) + 1
    assert counts == {**{(i, "forward"): 18 for i in range(6)}, **{(i, "backward"): 15 for i in range(5)}}


def test_debug_log_tables_and_no_verdicts():
    _need(DEBUG)
    log = parse_log(DEBUG)
    assert [(r.iteration, r.loss) for r in log.train] == [(0, 1.96455), (1, 1.8817), (2, 1.70183),
                                                           (3, 1.32682), (4, 0.944137), (5, 0.65312)]
    assert [r.lr for r in log.train] == [0.0002] * 5 + [None]
    assert [(r.iteration, r.outputs) for r in log.test] == [(0, {"accuracy": 0.08, "loss": 2.04833})]
    assert analyse(log) == []
    assert all(math.isfinite(d.value) for d in log.debug)
