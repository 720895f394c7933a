"""The roofline estimate: hand-computed on one convolution, and the GPU table's look-ups."""

from __future__ import annotations

import pytest

from prototxt_ls.analysis.check import check_text
from prototxt_ls.sim.estimate import (
    GPU,
    GPUS,
    LAUNCH_MS,
    bound,
    cost,
    estimate,
    find_gpu,
)

CONV = """
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } } }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
        convolution_param { num_output: 4 kernel_size: 3 } }
layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
"""


def _layer(name: str, text: str = CONV):
    res = check_text(text)
    return next(lr for lr in res.net.phases["TRAIN"].layers if lr.layer.name == name)


# A made-up GPU with round numbers: 1 TFLOPS = 1e9 FLOP/ms, 1 GB/s = 1e6 B/ms.
SLOW_MEMORY = GPU("test-mem", 1.0, 1.0, ())
SLOW_COMPUTE = GPU("test-flops", 0.000001, 1000.0, ())


def test_conv_cost_by_hand():
    lr = _layer("conv1")
    # top 1x4x6x6 = 144 outputs, each a 3x3x3 = 27-term dot product
    assert lr.macs == 144 * 27 == 3888
    c = cost(lr)
    # bottom 192 + top 144 + weights 108 + bias 4 = 448 floats of 4 bytes
    assert c.forward_bytes == 448 * 4 == 1792
    assert c.forward_flops == 2 * 3888
    assert c.backward_flops == 2 * c.forward_flops  # gradient of the input and of the weights
    assert c.backward_bytes == 2 * c.forward_bytes


def test_conv_estimate_memory_bound_by_hand():
    lr = _layer("conv1")
    # 7776 FLOP / 1e9 per ms = 7.8e-6 ms; 1792 B / 1e6 per ms = 1.792e-3 ms: memory wins
    assert estimate(lr, SLOW_MEMORY) == pytest.approx(1.792e-3 + LAUNCH_MS)
    assert estimate(lr, SLOW_MEMORY, "backward") == pytest.approx(2 * 1.792e-3 + 2 * LAUNCH_MS)
    assert bound(lr, SLOW_MEMORY) == "memory"


def test_conv_estimate_compute_bound_by_hand():
    lr = _layer("conv1")
    # 1e-6 TFLOPS = 1e3 FLOP/ms: 7776 FLOP -> 7.776 ms; bytes: 1792 / 1e9 per ms, negligible
    assert estimate(lr, SLOW_COMPUTE) == pytest.approx(7.776 + LAUNCH_MS)
    assert estimate(lr, SLOW_COMPUTE, "backward") == pytest.approx(2 * 7.776 + 2 * LAUNCH_MS)
    assert bound(lr, SLOW_COMPUTE) == "compute"


def test_layer_without_macs_is_memory_only():
    lr = _layer("relu1")
    c = cost(lr)
    assert c.forward_flops == 0 and c.forward_bytes == (144 + 144) * 4
    assert c.backward_flops == 0  # no weights: backward is as cheap as forward


def test_unknown_shape_gives_no_estimate():
    text = CONV.replace('input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } }', "")
    lr = _layer("conv1", text)
    assert cost(lr) is None and estimate(lr, find_gpu("V100")) is None


def test_bad_pass_name():
    with pytest.raises(ValueError):
        estimate(_layer("conv1"), find_gpu("V100"), "sideways")


@pytest.mark.parametrize("text, name", [
    ("V100", "V100"), ("h100", "H100"), ("rtx-4090", "RTX4090"), ("RTX 3090", "RTX3090"),
    ("NVIDIA H100 80GB HBM3", "H100"), ("NVIDIA H100 PCIe", "H100-PCIe"), ("NVIDIA H200", "H200"),
    ("Tesla V100-SXM2-16GB", "V100"), ("NVIDIA A100-SXM4-80GB", "A100"), ("NVIDIA A100-PCIE-40GB", "A100-40GB"),
    ("Tesla T4", "T4"), ("NVIDIA L4", "L4"), ("NVIDIA L40S", "L40S"), ("NVIDIA A10", "A10"),
    ("NVIDIA GeForce RTX 4090", "RTX4090"),
])
def test_find_gpu(text, name):
    assert find_gpu(text).name == name


def test_unknown_gpu():
    assert find_gpu("Voodoo2") is None


def test_table_is_plausible():
    """FP32 peaks and bandwidths of the datasheets (see estimate.py): spot checks and sanity."""
    by = {g.name: g for g in GPUS}
    assert (by["V100"].fp32_tflops, by["V100"].bandwidth_gbs) == (15.7, 900)
    assert (by["A100"].fp32_tflops, by["A100"].bandwidth_gbs) == (19.5, 2039)
    assert (by["H100"].fp32_tflops, by["H100"].bandwidth_gbs) == (67.0, 3350)
    assert (by["H200"].fp32_tflops, by["H200"].bandwidth_gbs) == (67.0, 4800)
    for g in GPUS:
        assert 1 < g.fp32_tflops < 200 and 100 < g.bandwidth_gbs < 10000
