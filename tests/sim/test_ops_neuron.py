"""Neuron ops (and the forks' ReLU6): values computed by hand with ``math``,
static shapes, no mutation of the input (in-place use), and backward."""

from __future__ import annotations

import math

import pytest
import torch
from sim_helpers import layer_spec, make_op, run_op

from prototxt_ls.sim.ops import builder_for
from prototxt_ls.sim.ops.base import Unsupported

XS = [-2.0, -0.5, 0.0, 1.0, 3.0]


def _sig(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-v))


# (type, body, f(x) for one value x)
CASES = [
    ("ReLU", "", lambda v: max(v, 0.0)),
    ("ReLU", "relu_param { negative_slope: 0.1 }", lambda v: v if v > 0 else 0.1 * v),
    ("ELU", "elu_param { alpha: 0.5 }", lambda v: v if v > 0 else 0.5 * (math.exp(v) - 1.0)),
    ("Sigmoid", "", _sig),
    ("TanH", "", math.tanh),
    ("AbsVal", "", abs),
    ("BNLL", "", lambda v: math.log(1.0 + math.exp(v))),
    ("Power", "power_param { power: 2 scale: 3 shift: 1 }", lambda v: (1.0 + 3.0 * v) ** 2),
    ("Power", "", lambda v: v),
    ("Power", "power_param { power: 0 scale: 5 }", lambda v: 1.0),
    ("Exp", "", math.exp),
    ("Exp", "exp_param { base: 2 scale: 1 shift: 1 }", lambda v: 2.0 ** (1.0 + v)),
    ("Log", "log_param { base: 10 scale: 2 shift: 11 }", lambda v: math.log10(11.0 + 2.0 * v)),
    ("Log", "log_param { shift: 6 }", lambda v: math.log(6.0 + v)),
    ("Threshold", "threshold_param { threshold: 0.5 }", lambda v: 1.0 if v > 0.5 else 0.0),
    ("Threshold", "", lambda v: 1.0 if v > 0 else 0.0),
    ("Clip", "clip_param { min: -1 max: 2 }", lambda v: min(max(v, -1.0), 2.0)),
    ("Swish", "", lambda v: v * _sig(v)),
    ("Swish", "swish_param { beta: 2 }", lambda v: v * _sig(2.0 * v)),
    ("Dropout", "", lambda v: v),  # TEST: the identity
    ("ReLU6", "", lambda v: min(max(v, 0.0), 6.0)),
]


@pytest.mark.parametrize("type_name, body, f", CASES, ids=[f"{c[0]}:{c[1] or 'default'}" for c in CASES])
def test_values_shape_and_no_mutation(type_name, body, f):
    x = torch.tensor([XS, [v * 2.5 for v in XS]], dtype=torch.float64).reshape(2, 5, 1)
    before = x.clone()
    (y,), tops = run_op(type_name, body, x)
    assert tuple(y.shape) == tops[0] == (2, 5, 1)
    want = torch.tensor([[f(v) for v in XS], [f(v * 2.5) for v in XS]], dtype=torch.float64).reshape(2, 5, 1)
    torch.testing.assert_close(y, want, rtol=1e-12, atol=1e-12)
    assert torch.equal(x, before), "an in-place neuron must not write into its bottom"


DIFFERENTIABLE = [c for c in CASES if c[0] != "Threshold"]


@pytest.mark.parametrize("type_name, body, f", DIFFERENTIABLE,
                         ids=[f"{c[0]}:{c[1] or 'default'}" for c in DIFFERENTIABLE])
def test_backward_matches_finite_differences(type_name, body, f):
    xs = [-1.7, -0.3, 0.4, 1.2, 2.6]  # away from the kinks (0, clip bounds)
    x = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    (y,), _ = run_op(type_name, body, x)
    y.sum().backward()
    h = 1e-6
    numeric = [(f(v + h) - f(v - h)) / (2 * h) for v in xs]
    torch.testing.assert_close(x.grad, torch.tensor(numeric, dtype=torch.float64), rtol=1e-6, atol=1e-6)


def test_threshold_carries_no_gradient():
    x = torch.tensor(XS, requires_grad=True)
    (y,), _ = run_op("Threshold", "", x)
    assert not y.requires_grad


def test_relu_gradient_at_zero_is_the_negative_slope():
    """Caffe's ReLU backward tests x > 0: at exactly 0 the slope side applies."""
    x = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    (y,), _ = run_op("ReLU", "relu_param { negative_slope: 0.25 }", x)
    y.sum().backward()
    assert x.grad.item() == 0.25


# ---------------------------------------------------------------- PReLU
def test_prelu_channelwise():
    x = torch.tensor([[[[-1.0, 2.0]], [[-3.0, 4.0]]]], requires_grad=True)  # 1 x 2 x 1 x 2
    op, tops = make_op("PReLU", "", [x.shape], blobs=[torch.tensor([0.1, 0.5])])
    (y,) = op(x)
    assert tuple(y.shape) == tops[0]
    torch.testing.assert_close(y, torch.tensor([[[[-0.1, 2.0]], [[-1.5, 4.0]]]]))
    y.sum().backward()
    # d/da_c = sum of min(x, 0) over the channel; d/dx = a_c where x < 0, else 1.
    torch.testing.assert_close(op.blobs[0].grad, torch.tensor([-1.0, -3.0]))
    torch.testing.assert_close(x.grad, torch.tensor([[[[0.1, 1.0]], [[0.5, 1.0]]]]))


def test_prelu_on_a_2d_blob_and_channel_shared():
    x = torch.tensor([[-2.0, 3.0, -4.0]])
    (y,), tops = run_op("PReLU", "", x, blobs=[torch.tensor([0.5, 0.25, 0.1])])
    assert tops == [(1, 3)]
    torch.testing.assert_close(y, torch.tensor([[-1.0, 3.0, -0.4]]))
    (y,), _ = run_op("PReLU", "prelu_param { channel_shared: true }", x, blobs=[torch.tensor(0.5)])
    torch.testing.assert_close(y, torch.tensor([[-1.0, 3.0, -2.0]]))


# ---------------------------------------------------------------- Dropout
def test_dropout_train_keeps_and_scales_by_one_over_keep_probability():
    torch.manual_seed(0)
    x = torch.full((200, 100), 3.0, requires_grad=True)
    (y,), tops = run_op("Dropout", "dropout_param { dropout_ratio: 0.2 }", x, phase="TRAIN")
    assert tuple(y.shape) == tops[0]
    kept = y != 0
    torch.testing.assert_close(y[kept], torch.full_like(y[kept], 3.0 / 0.8))
    assert abs(kept.float().mean().item() - 0.8) < 0.02
    y.sum().backward()
    torch.testing.assert_close(x.grad, kept.float() / 0.8)


def test_dropout_test_phase_is_the_identity_and_a_new_tensor():
    x = torch.randn(4, 5)
    (y,), _ = run_op("Dropout", "dropout_param { dropout_ratio: 0.7 }", x, phase="TEST")
    assert torch.equal(y, x) and y is not x


def test_dropout_scale_train_false():
    """Fast R-CNN's fork: unscaled in TRAIN, times (1 - ratio) in TEST."""
    body = "dropout_param { dropout_ratio: 0.25 scale_train: false }"
    x = torch.full((50, 40), 2.0)
    (y,), _ = run_op("Dropout", body, x, phase="TRAIN")
    assert set(torch.unique(y).tolist()) <= {0.0, 2.0}
    (y,), _ = run_op("Dropout", body, x, phase="TEST")
    torch.testing.assert_close(y, torch.full_like(x, 1.5))


def test_dropout_ratio_one_is_unsupported():
    with pytest.raises(Unsupported):
        make_op("Dropout", "dropout_param { dropout_ratio: 1 }", [(2, 2)], phase="TRAIN")


def test_every_neuron_type_has_a_builder():
    for name in ("ReLU", "PReLU", "ELU", "Sigmoid", "TanH", "AbsVal", "BNLL", "Power", "Exp", "Log",
                 "Threshold", "Dropout", "Clip", "Swish", "ReLU6"):
        assert callable(builder_for(layer_spec(name))), name
