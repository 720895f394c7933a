"""Per-layer forward/backward (``sim.layerwise``) and ``caffe time``-style timing (``sim.timing``)."""

from __future__ import annotations

import pytest
import torch

from prototxt_ls.analysis.check import check_text
from prototxt_ls.sim.layerwise import Stepper, plan
from prototxt_ls.sim.net import build_net, make_inputs
from prototxt_ls.sim.timing import live_bytes, measure_overhead, time_layers, time_whole

# Branches, an in-place ReLU, a blob read twice (x * x), a dangling branch that feeds no loss.
NET = """
layer { name: "data" type: "Input" top: "data" top: "label"
        input_param { shape { dim: 2 dim: 3 dim: 6 dim: 6 } shape { dim: 2 } } }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
        convolution_param { num_output: 4 kernel_size: 3 pad: 1 weight_filler { type: "xavier" } } }
layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
layer { name: "conv2" type: "Convolution" bottom: "conv1" top: "conv2"
        convolution_param { num_output: 4 kernel_size: 3 pad: 1 weight_filler { type: "xavier" } } }
layer { name: "sq" type: "Eltwise" bottom: "conv2" bottom: "conv2" top: "sq" eltwise_param { operation: PROD } }
layer { name: "sum" type: "Eltwise" bottom: "sq" bottom: "conv1" top: "sum" }
layer { name: "side" type: "Convolution" bottom: "conv1" top: "side"
        convolution_param { num_output: 2 kernel_size: 1 weight_filler { type: "xavier" } } }
layer { name: "ip" type: "InnerProduct" bottom: "sum" top: "ip"
        inner_product_param { num_output: 5 weight_filler { type: "xavier" } } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
"""

DEPLOY = """
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 2 dim: 4 dim: 4 } } }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
        convolution_param { num_output: 2 kernel_size: 3 weight_filler { type: "xavier" } } }
layer { name: "prob" type: "Softmax" bottom: "conv1" top: "prob" }
"""


def _net(text: str = NET):
    res = check_text(text)
    net = build_net(res, "TRAIN")
    return res, net, make_inputs(net)


def _names(net, flags):
    return [layer.name for layer, f in zip(net.layers, flags) if f]


def test_plan_follows_net_init():
    _res, net, _inputs = _net()
    p = plan(net)
    assert p.seeded_by == "loss"
    # data needs no backward; "side" feeds no loss
    assert _names(net, p.need_backward) == ["conv1", "relu1", "conv2", "sq", "sum", "ip", "loss"]
    conv1 = next(i for i, layer in enumerate(net.layers) if layer.name == "conv1")
    assert p.bottom_grad[conv1] == {"data": False}
    loss = next(i for i, layer in enumerate(net.layers) if layer.name == "loss")
    assert p.seeds[loss] == [1.0]


def test_propagate_down_stops_a_diff():
    _res, net, _inputs = _net()
    sum_i = next(i for i, layer in enumerate(net.layers) if layer.name == "sum")
    p = plan(net, propagate_down={net.layers[sum_i].index: [True, False]})
    assert p.bottom_grad[sum_i] == {"sq": True, "conv1": False}


def test_layerwise_backward_equals_one_autograd_call():
    """Caffe-style per-layer backward gives exactly the gradients of loss.backward()."""
    _res, net, inputs = _net()
    params = [p for p in net.parameters() if p.requires_grad]
    stepper = Stepper(net, plan(net))
    stepper.zero_param_diffs()
    with torch.enable_grad():
        p = stepper.forward(inputs)
        stepper.backward(p)
    per_layer = [None if q.grad is None else q.grad.clone() for q in params]
    for q in params:
        q.grad = None
    with torch.enable_grad():
        blobs = net.forward(inputs)
        net.loss(blobs).backward()
    for mine, q in zip(per_layer, params):
        if q.grad is None:
            assert mine is None or not mine.any()
        else:
            assert mine is not None
            torch.testing.assert_close(mine, q.grad)
    side = next(layer for layer in net.layers if layer.name == "side")
    assert all(b.grad is None for b in side.op.blobs)  # the dangling branch got nothing either way


def test_time_layers_reports_every_layer():
    res, net, inputs = _net()
    seen = []
    t = time_layers(net, inputs, iterations=2, warmup=1, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert [lt.name for lt in t.layers] == [layer.name for layer in net.layers]
    by = {lt.name: lt for lt in t.layers}
    assert by["conv1"].forward_ms > 0 and by["conv1"].backward_ms > 0 and by["conv1"].backward
    assert not by["side"].backward and by["side"].backward_ms == 0
    assert not by["data"].backward
    assert t.forward_ms >= 0.5 * sum(lt.forward_ms for lt in t.layers)
    assert t.total_ms >= t.forward_ms + t.backward_ms  # two iterations' worth
    assert t.forward_backward_ms == pytest.approx(t.total_ms / 2)
    assert t.seeded_by == "loss" and t.device == "cpu" and t.iterations == 2
    # every blob ran with its static shape
    static = res.net.phases["TRAIN"].blobs
    assert {k: tuple(v.shape) for k, v in t.last.blobs.items()} == {k: tuple(v) for k, v in static.items()}


def test_peak_memory_counts_data_and_diffs():
    _res, net, inputs = _net()
    t = time_layers(net, inputs, iterations=1, warmup=0)
    blob_bytes = sum(v.numel() * 4 for v in t.last.blobs.values())
    param_bytes = sum(p.numel() * 4 for p in net.parameters())
    assert t.peak_memory_bytes >= blob_bytes + param_bytes
    assert t.peak_memory_bytes == live_bytes(t.last, list(net.parameters()))
    assert "live tensors" in t.memory_kind


def test_net_without_loss_seeds_its_outputs():
    """A deploy net: backward is timed from ones at the outputs (force_backward), like whole-net sum()."""
    _res, net, inputs = _net(DEPLOY)
    t = time_layers(net, inputs, iterations=1, warmup=0)
    assert t.seeded_by == "outputs"
    by = {lt.name: lt for lt in t.layers}
    assert by["conv1"].backward and by["prob"].backward
    assert plan(net, seed_outputs=False).seeded_by is None


def test_overhead_measure_runs():
    _res, net, inputs = _net()
    assert time_whole(net, inputs, iterations=1, warmup=0) > 0
    o = measure_overhead(net, inputs, iterations=1, warmup=0, rounds=1)
    assert o.whole_ms > 0 and o.layerwise_ms > 0 and o.ratio > 0


def test_iterations_must_be_positive():
    _res, net, inputs = _net(DEPLOY)
    with pytest.raises(ValueError):
        time_layers(net, inputs, iterations=0)


class _FakeEvent:
    """Stands in for torch.cuda.Event on a machine without CUDA: record() reads the CPU clock."""

    def __init__(self, enable_timing: bool = False) -> None:
        assert enable_timing
        self.t = None

    def record(self) -> None:
        import time

        self.t = time.perf_counter()

    def elapsed_time(self, end: _FakeEvent) -> float:
        assert self.t is not None and end.t is not None, "an event read before it was recorded"
        return (end.t - self.t) * 1e3


def test_cuda_clock_path_with_fake_events(monkeypatch):
    """The CUDA branch (events per layer, one synchronize per iteration, max_memory_allocated), run on CPU."""
    from prototxt_ls.sim import timing

    syncs = []
    monkeypatch.setattr(timing, "is_cuda", lambda device: True)
    monkeypatch.setattr(torch.cuda, "Event", _FakeEvent)
    monkeypatch.setattr(torch.cuda, "synchronize", lambda: syncs.append(1))
    monkeypatch.setattr(torch.cuda, "reset_peak_memory_stats", lambda: None)
    monkeypatch.setattr(torch.cuda, "max_memory_allocated", lambda: 12345)
    _res, net, inputs = _net()
    t = time_layers(net, inputs, iterations=3, warmup=1)
    assert len(syncs) >= 4  # one per iteration (and one before the timed ones)
    assert t.peak_memory_bytes == 12345 and "max_memory_allocated" in t.memory_kind
    by = {lt.name: lt for lt in t.layers}
    assert by["conv1"].forward_ms > 0 and by["conv1"].backward_ms > 0
    assert by["side"].backward_ms == 0
    assert t.forward_ms > 0 and t.backward_ms > 0
