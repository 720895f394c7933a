"""``prototxt-ls sim --debug-info``: Caffe's debug_info lines and the T002-T004 verdicts."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
import torch

from prototxt_ls.analysis.check import check_text
from prototxt_ls.cli.main import main
from prototxt_ls.logs.debuginfo import analyse
from prototxt_ls.logs.parser import parse_log_text
from prototxt_ls.rules.registry import _ensure_loaded, lookup
from prototxt_ls.sim.debuginfo import debug_diagnostics, debug_info, mean_abs
from prototxt_ls.sim.net import build_net, make_inputs

ROOT = Path(__file__).resolve().parents[2]
BLOWUP = ROOT / "examples" / "sim_blowup.prototxt"


def _run(text: str, iterations: int = 2, base_lr: float = 0.01):
    res = check_text(text)
    net = build_net(res, "TRAIN")
    run = debug_info(net, make_inputs(net), iterations=iterations, base_lr=base_lr)
    return net, run, debug_diagnostics(net, run)


def _line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing ``needle``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_planted_prod_blowup_is_traced_to_the_prod_layer():
    text = BLOWUP.read_text()
    _net, run, diags = _run(text)
    t002 = [d for d in diags if d.code == "T002"]
    assert len(t002) == 1
    d = t002[0]
    assert "'sq3'" in d.message and "Inf" in d.message and "forward" in d.message
    assert d.range.start.line + 1 == _line_of(text, 'name: "sq3"')
    assert d.severity.label == "error"
    assert run.iterations == 1  # stopped after the first non-finite value
    assert math.isnan(run.losses[0])


def test_blowup_cli_exit_code_and_frame(capsys):
    code = main(["sim", str(BLOWUP), "--debug-info", "--iterations", "1", "--no-color"])
    out = capsys.readouterr().out
    assert code == 1
    line = _line_of(BLOWUP.read_text(), 'name: "sq3"')
    assert re.search(rf"sim_blowup\.prototxt:{line}:\d+: T002 error", out)
    assert "[Forward] Layer sq3, top blob sq3 data: inf" in out


def test_lines_follow_caffe_net_cpp():
    text = BLOWUP.read_text().replace("value: 100000", "value: 0.1")
    _net, run, diags = _run(text, iterations=1)
    assert not [d for d in diags if d.code == "T002"]
    glog = re.compile(r"^[IE]\d{4} \d\d:\d\d:\d\d\.\d{6} \d+ [\w.]+:\d+\] ")
    assert all(glog.match(line) for line in run.lines)
    msgs = [glog.sub("", line) for line in run.lines]
    assert "    [Forward] Layer conv1, param blob 0 data: " in "\n".join(msgs)
    assert any(m.startswith("    [Forward] Layer conv1, top blob conv1 data: ") for m in msgs)
    assert any(m.startswith("    [Backward] Layer sq1, bottom blob conv1 diff: ") for m in msgs)
    assert any(m.startswith("    [Backward] Layer conv1, param blob 1 diff: ") for m in msgs)
    assert any(m.startswith("    [Backward] All net params (data, diff): L1 norm = (") for m in msgs)
    assert any(re.match(r"Iteration 0 \(.* iter/s, .*s/1 iters\), loss = ", m) for m in msgs)
    assert "Iteration 0, lr = 0.01" in msgs
    assert any(re.match(r"    \[Update\] Layer fc, param 0 data: \S+; diff: \S+$", m) for m in msgs)
    # data never needs a diff: no bottom line for it
    assert not any("bottom blob data diff" in m for m in msgs)


def test_printed_value_is_mean_absolute_value():
    assert mean_abs(torch.tensor([1.0, -3.0])) == 2.0  # asum / count, as Caffe prints
    assert math.isinf(mean_abs(torch.tensor([1.0, float("inf")])))
    assert math.isnan(mean_abs(torch.tensor([float("nan"), 1.0])))


def test_our_log_parser_reads_the_lines():
    text = BLOWUP.read_text()
    _net, run, _diags = _run(text)
    log = parse_log_text("\n".join(run.lines) + "\n")
    assert not log.malformed
    debug = [line for line in run.lines if "] " in line and re.search(r"\[(Forward|Backward|Update)\] Layer", line)]
    assert len(log.debug) == len(debug)
    assert [r.iteration for r in log.train] == [0]
    verdicts = analyse(log)
    assert verdicts[0].layer == "sq3" and verdicts[0].kind == "inf" and verdicts[0].pass_ == "forward"


def test_parser_places_iterations_of_a_clean_run():
    text = BLOWUP.read_text().replace("value: 100000", "value: 0.1")
    _net, run, _diags = _run(text, iterations=3)
    log = parse_log_text("\n".join(run.lines) + "\n")
    assert [r.iteration for r in log.train] == [0, 1, 2]
    assert {d.iteration for d in log.debug} == {0, 1, 2}
    assert [r.lr for r in log.train] == [0.01, 0.01, 0.01]


def test_base_lr_changes_the_update(tmp_path, capsys):
    solver = tmp_path / "solver.prototxt"
    solver.write_text('net: "x.prototxt"\nbase_lr: 0.5\nlr_policy: "fixed"\n')
    clean = tmp_path / "clean.prototxt"
    clean.write_text(BLOWUP.read_text().replace("value: 100000", "value: 0.1"))
    assert main(["sim", str(clean), "--debug-info", "--iterations", "1", "--solver", str(solver), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["debug_info"]["base_lr"] == 0.5
    assert any("Iteration 0, lr = 0.5" in line for line in payload["debug_info"]["lines"])


def test_lr_mult_zero_freezes_and_is_not_no_learning():
    text = BLOWUP.read_text().replace("value: 100000", "value: 0.1").replace(
        'name: "fc"\n  type: "InnerProduct"', 'name: "fc"\n  type: "InnerProduct"\n  param { lr_mult: 0 }\n'
        '  param { lr_mult: 0 }')
    net, run, diags = _run(text, iterations=1)
    fc = next(layer for layer in net.layers if layer.name == "fc")
    assert not any(b.requires_grad for b in fc.op.blobs)
    assert not [d for d in diags if d.code == "T004"]
    assert not any("Layer fc, param blob 0 diff" in line for line in run.lines)
    assert any("Layer fc, param blob 0 data" in line for line in run.lines)  # forward still shows it


def test_net_without_loss_runs_forward_only():
    text = BLOWUP.read_text().replace("value: 100000", "value: 0.1")
    text = text[: text.index('layer {\n  name: "loss"')]
    _net, run, diags = _run(text, iterations=1)
    assert run.seeded_by is None
    assert not any("[Backward]" in line for line in run.lines)
    assert not [d for d in diags if d.code == "T004"]


# ---------------------------------------------------------------- the rule table's examples
def _rule(code: str):
    _ensure_loaded()
    return lookup(code)


@pytest.mark.parametrize("code", ["T002", "T003", "T004"])
def test_rule_examples_under_sim_debug_info(code, tmp_path, capsys):
    """`prototxt-ls sim --debug-info` on the rule's bad example reports it; on the good one it does not."""
    rule = _rule(code)
    found = {}
    for kind in ("bad", "good"):
        path = tmp_path / f"{kind}.prototxt"
        path.write_text(getattr(rule, kind))
        main(["sim", str(path), "--debug-info", "--iterations", "2", "--json"])
        payload = json.loads(capsys.readouterr().out)
        found[kind] = [d["code"] for d in payload["diagnostics"]]
    assert code in found["bad"], found
    assert code not in found["good"], found
    assert not [c for c in found["good"] if c in ("T001", "T002", "T003", "T004")], found


def test_t004_names_the_dangling_branch():
    diags = _run(_rule("T004").bad)[2]
    t004 = [d for d in diags if d.code == "T004"]
    assert len(t004) == 1 and "'side'" in t004[0].message


def test_t003_names_the_first_layer_in_backward_order():
    diags = _run(_rule("T003").bad, iterations=1)[2]
    t003 = [d for d in diags if d.code == "T003"]
    assert len(t003) == 1 and "'ip'" in t003[0].message and "L2 norm" in t003[0].message


def test_a_shared_blob_is_updated_once():
    """``param { name }`` sharing: one blob, one [Update] line, one SGD step (by its owner)."""
    text = ('layer { name: "data" type: "Input" top: "data" top: "label"\n'
            '        input_param { shape { dim: 2 dim: 4 } shape { dim: 2 dim: 4 } } }\n'
            'layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1" param { name: "w" }\n'
            '        inner_product_param { num_output: 4 bias_term: false weight_filler { type: "xavier" } } }\n'
            'layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2" param { name: "w" }\n'
            '        inner_product_param { num_output: 4 bias_term: false weight_filler { type: "xavier" } } }\n'
            'layer { name: "loss" type: "EuclideanLoss" bottom: "ip2" bottom: "label" top: "loss" }\n')
    res = check_text(text)
    net = build_net(res, "TRAIN")
    ip1, ip2 = (next(layer for layer in net.layers if layer.name == n) for n in ("ip1", "ip2"))
    assert ip1.op.blobs[0] is ip2.op.blobs[0]
    before = ip1.op.blobs[0].detach().clone()
    run = debug_info(net, make_inputs(net), iterations=1, base_lr=0.1)
    updates = [line for line in run.lines if "[Update]" in line]
    assert len(updates) == 1 and "Layer ip1, param w data: " in updates[0]
    assert any("[Forward] Layer ip2, param blob w data: " in line for line in run.lines)
    grad = ip1.op.blobs[0].grad
    torch.testing.assert_close(ip1.op.blobs[0].detach(), before - 0.1 * grad)
