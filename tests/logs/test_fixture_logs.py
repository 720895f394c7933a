"""Team-written logs in tests/logs/data/: planted NaN/Inf, a restart, fatal lines."""

from __future__ import annotations

import json
import math
from pathlib import Path

from prototxt_ls.logs import parse_log, parse_log_text
from prototxt_ls.logs.debuginfo import analyse
from prototxt_ls.logs.export import test_csv as make_test_csv
from prototxt_ls.logs.export import to_json, train_csv
from prototxt_ls.logs.fatal import classify
from prototxt_ls.logs.netmap import NetMap, scan_layers
from prototxt_ls.logs.parser import to_float
from prototxt_ls.logs.sparkline import sparkline

DATA = Path(__file__).parent / "data"


def _v(verdicts):
    return [(v.iteration, v.layer, v.pass_, v.kind) for v in verdicts]


def test_nan_planted_in_forward_pass():
    log = parse_log(DATA / "nan_forward.log")
    verdicts = analyse(log)
    assert _v(verdicts) == [(2, "conv2", "forward", "nan"), (2, "loss", "backward", "nan")]
    assert verdicts[0].blob == "top blob conv2 data"
    assert [r.iteration for r in log.train] == [0, 1, 2]
    assert math.isnan(log.train[2].loss)
    # old MMDD glog crossing New Year's midnight: seconds keep rising
    secs = [r.seconds for r in log.train]
    assert secs == sorted(secs) and secs[0] > 0 and secs[-1] < 2
    doc = to_json(log, verdicts, [])
    assert doc["verdicts"][0] == {**doc["verdicts"][0], "iteration": 2, "layer": "conv2", "pass": "forward",
                                  "kind": "nan"}
    assert doc["train"][2]["loss"] == "nan"
    json.dumps(doc, allow_nan=False)  # strict JSON


def test_inf_planted_in_backward_pass_and_other_kinds():
    log = parse_log(DATA / "inf_backward.log")
    assert _v(analyse(log)) == [
        (0, "pool1", "backward", "zero"),
        (1, "relu1", "backward", "inf"),
        (1, "conv2", "backward", "exploding"),
        (1, "conv1", "backward", "param_ratio"),  # [Update] data 1e-4, diff 50
    ]
    updates = [d for d in log.debug if d.pass_ == "update"]
    assert [(u.iteration, u.layer, u.blob, u.data, u.value) for u in updates] == [
        (1, "conv1", "0", 0.0001, 50.0), (1, "ip2", "0", 0.1, 0.002)]
    # the update lines do not shift the count: iteration 2's passes are still iteration 2
    assert {d.iteration for d in log.debug if d.line > updates[-1].line} == {2}


def test_restart_from_snapshot_midnight_and_malformed_lines():
    log = parse_log(DATA / "restart.log")
    assert [(r.index, r.restored_from, r.first_iteration, r.last_iteration) for r in log.runs] == [
        (0, None, 0, 150), (1, "snapshots/lenet_iter_100.solverstate", 100, 200)]
    first = [r.iteration for r in log.train if r.run == 0]
    second = [r.iteration for r in log.train if r.run == 1]
    assert first == list(range(0, 160, 10)) and second == list(range(100, 201, 10))
    assert [r.lr for r in log.train if r.run == 0] == [0.01] * 10 + [0.001] * 6
    assert log.train[-1].loss == 0.8 and log.train[-1].lr == 0.001  # display + final line, one row
    assert [(r.iteration, r.outputs["accuracy"]) for r in log.test] == [
        (0, 0.1), (50, 0.55), (100, 0.6), (150, 0.65), (100, 0.61), (150, 0.65), (200, 0.7)]
    # the log starts at 23:59:50 on 11/26 and runs past midnight
    secs = [r.seconds for r in log.train]
    assert secs == sorted(secs) and secs[0] == 2.01 and secs[-1] > 60
    assert [n for n, _ in log.malformed] == [33, 34, 35] and log.skipped == 3
    # the training row at 70 was still read
    assert 70 in first


def test_fatal_lines_mapped_to_layers():
    log = parse_log(DATA / "fatal.log")
    found = classify(log.fatal)
    assert [(f.line, f.layer, f.layer_type) for f in found] == [
        (5, "conv1", None), (9, None, "Convolutoin"), (13, "ip2", None)]
    assert found[0].message.startswith("Check failed: num_output_ > 0")
    net = NetMap((DATA / "net.prototxt").read_text())
    assert net.find("conv1").line == 5 and net.find("ip2").line == 29


def test_netmap_positions_and_splits():
    layers = scan_layers((DATA / "net.prototxt").read_text())
    assert [(x.name, x.type, x.line, x.column) for x in layers][:4] == [
        ("data", "DummyData", 2, 9), ("conv1", "Convolution", 5, 3), ("pool1", "Pooling", 11, 9),
        ("conv2", "Convolution", 14, 3)]
    net = NetMap('layers { layer { name: "old" type: "conv" } }\nlayer { name: "ip2" # c { }\n type: "X" }\n')
    assert [(x.name, x.type, x.line) for x in net.layers] == [("old", "conv", 1), ("ip2", "X", 2)]
    assert net.find("ip2_ip2_0_split").name == "ip2"
    assert net.find("nope") is None and net.by_type("X")[0].name == "ip2"


def test_malformed_lines_never_fatal():
    lines = [
        "I0101 10:00:00.000000 1 solver.cpp:239] Iteration 0 (1 iter/s, 1s/1 iters), loss = 1.5",
        "I0101 10:00:01.000000 1 solver.cpp:239] Iteration 1 (1 iter/s, 1s/1 iters), loss = not-a-number",
        "I0101 10:00:01.000000 1 solver.cpp:258]     Train net output #0: loss = 1.5 (* 1 = 1.5 loss)",
        "I0101 10:00:02.000000 1 net.cpp:593]     [Forward] Layer conv1, top blob conv1 data: ???",
        "I0101 10:00:02.000000 1 net.cpp:593]     [Forward] Layer conv1, garbage",
        "I0101 99:00:02.000000 1 solver.cpp:1] Iteration 3, lr = 0.1",
        "I01",
        "random text",
        "",
        "\x00\xff binary junk",
        "I0101 10:00:03.000000 1 solver.cpp:347]     Test net output #0: accuracy = 0.5",
    ]
    log = parse_log_text("\n".join(lines))
    assert [r.iteration for r in log.train] == [0]
    assert [n for n, _ in log.malformed] == [2, 4, 5, 6, 11]


def test_to_float_variants():
    assert math.isnan(to_float("-nan")) and math.isnan(to_float("1.#QNAN"))
    assert to_float("-inf") == -math.inf and to_float("1.#INF") == math.inf
    assert to_float("1e-05") == 1e-05


def test_csv_tables():
    log = parse_log(DATA / "restart.log")
    train = train_csv(log).splitlines()
    assert train[0] == "NumIters,Seconds,LearningRate,loss" and train[1] == "0,2.01,0.01,2.0"
    test = make_test_csv(log).splitlines()
    assert test[0] == "NumIters,Seconds,accuracy,loss" and test[1].startswith("0,") and test[1].endswith(",0.1,2.3")
    assert train[-1] == f"200,{log.train[-1].seconds!r},0.001,0.8"


def test_sparkline():
    line, logscale = sparkline([2.0, 1.0, 0.1, 0.001])
    assert logscale and line[0] == "█" and line[-1] == "▁" and len(line) == 4
    line, logscale = sparkline([1.0, 2.0, float("nan"), 3.0])
    assert not logscale and line == "▁▅!█"
    assert len(sparkline(list(range(1, 500)), width=30)[0]) == 30
    assert sparkline([5.0, 5.0])[0] == "▁▁"
