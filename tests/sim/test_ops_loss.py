"""Loss ops and Accuracy: values computed by hand with ``math``, 0-D loss tops,
normalization modes, ignore_label, and Caffe's gradients."""

from __future__ import annotations

import math

import pytest
import torch
from sim_helpers import make_op, run_op

from prototxt_ls.sim.ops.base import Unsupported


def _lse(row) -> float:
    return math.log(sum(math.exp(v) for v in row))


def _nll(row, label) -> float:
    """-log softmax(row)[label]."""
    return _lse(row) - row[label]


def _loss(out, tops):
    assert out[0].shape == () and tops[0] == ()
    return out[0].item()


# ---------------------------------------------------------------- SoftmaxWithLoss
SCORES = [[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]]


def test_softmax_with_loss_2x3():
    s = torch.tensor(SCORES, dtype=torch.float64, requires_grad=True)
    out, tops = run_op("SoftmaxWithLoss", "", s, torch.tensor([2.0, 0.0]))
    want = (_nll(SCORES[0], 2) + _nll(SCORES[1], 0)) / 2  # VALID, nothing ignored: 2 labels
    assert _loss(out, tops) == pytest.approx(want, rel=1e-12)
    out[0].backward()
    for i, label in enumerate((2, 0)):
        z = sum(math.exp(v) for v in SCORES[i])
        grad = [(math.exp(v) / z - (1.0 if k == label else 0.0)) / 2 for k, v in enumerate(SCORES[i])]
        torch.testing.assert_close(s.grad[i], torch.tensor(grad, dtype=torch.float64))


def test_softmax_with_loss_ignore_label_2x3():
    s = torch.tensor(SCORES, dtype=torch.float64, requires_grad=True)
    out, tops = run_op("SoftmaxWithLoss", "loss_param { ignore_label: 7 }", s, torch.tensor([1.0, 7.0]))
    assert _loss(out, tops) == pytest.approx(_nll(SCORES[0], 1), rel=1e-12)  # 1 valid label
    out[0].backward()
    assert torch.all(s.grad[1] == 0)


# N=2, C=3, inner=2 -> 4 positions; label 255 at one of them.
SPATIAL = [[[1.0, -1.0], [2.0, 0.0], [0.5, 3.0]],
           [[0.0, 1.5], [-2.0, 0.3], [1.0, 1.0]]]
SPATIAL_LABELS = [[0, 2], [255, 1]]


def _spatial_sum() -> float:
    total = 0.0
    for n in range(2):
        for j in range(2):
            label = SPATIAL_LABELS[n][j]
            if label != 255:
                total += _nll([SPATIAL[n][c][j] for c in range(3)], label)
    return total


@pytest.mark.parametrize("loss_param, divisor", [
    ("", 3),                                  # VALID (default): 3 labels counted
    ("normalization: VALID", 3),
    ("normalization: FULL", 4),               # outer * inner
    ("normalization: BATCH_SIZE", 2),         # outer
    ("normalization: NONE", 1),
    ("normalize: true", 3),                   # legacy: VALID
    ("normalize: false", 2),                  # legacy: BATCH_SIZE
    ("normalize: false normalization: FULL", 4),  # normalization wins
])
def test_softmax_with_loss_normalization(loss_param, divisor):
    s = torch.tensor(SPATIAL, dtype=torch.float64)
    body = f"loss_param {{ ignore_label: 255 {loss_param} }}"
    out, tops = run_op("SoftmaxWithLoss", body, s, torch.tensor(SPATIAL_LABELS, dtype=torch.float64))
    assert _loss(out, tops) == pytest.approx(_spatial_sum() / divisor, rel=1e-12)


def test_softmax_with_loss_all_ignored_is_zero_not_nan():
    out, _ = run_op("SoftmaxWithLoss", "loss_param { ignore_label: 1 }", torch.randn(2, 3), torch.tensor([1.0, 1.0]))
    assert out[0].item() == 0.0


def test_softmax_with_loss_second_top_and_axis():
    s = torch.tensor([SCORES], dtype=torch.float64)  # 1 x 2 x 3, classes on axis 2
    out, tops = run_op("SoftmaxWithLoss", 'top: "loss" top: "prob" softmax_param { axis: 2 }', s,
                       torch.tensor([[2.0, 0.0]]))
    assert tops == [(), (1, 2, 3)] and tuple(out[1].shape) == tops[1]
    assert _loss(out, tops) == pytest.approx((_nll(SCORES[0], 2) + _nll(SCORES[1], 0)) / 2, rel=1e-12)
    z = sum(math.exp(v) for v in SCORES[1])
    torch.testing.assert_close(out[1][0, 1], torch.tensor([math.exp(v) / z for v in SCORES[1]], dtype=torch.float64))


def test_softmax_with_loss_floors_the_probability_at_flt_min_but_not_the_gradient():
    s = torch.tensor([[0.0, 1000.0]], requires_grad=True)
    out, _ = run_op("SoftmaxWithLoss", "", s, torch.tensor([0.0]))
    assert out[0].item() == pytest.approx(-math.log(1.1754943508222875e-38), rel=1e-6)  # 87.34
    out[0].backward()
    torch.testing.assert_close(s.grad, torch.tensor([[-1.0, 1.0]]))  # prob - onehot, as Caffe


def test_out_of_range_label_is_reported():
    with pytest.raises(ValueError, match="label 3"):
        run_op("SoftmaxWithLoss", "", torch.randn(2, 3), torch.tensor([3.0, 0.0]))


# ---------------------------------------------------------------- SigmoidCrossEntropyLoss
X_SCE = [[1.0, -2.0], [0.0, 3.0]]
T_SCE = [[1.0, 0.0], [1.0, -1.0]]


def _sce(x: float, t: float) -> float:
    p = 1.0 / (1.0 + math.exp(-x))
    return -(t * math.log(p) + (1.0 - t) * math.log(1.0 - p))


@pytest.mark.parametrize("body, ignore, divisor", [
    ("", False, 2),                                              # BATCH_SIZE by default
    ("loss_param { ignore_label: -1 }", True, 2),
    ("loss_param { ignore_label: -1 normalization: VALID }", True, 3),
    ("loss_param { normalization: FULL }", False, 4),
    ("loss_param { normalize: true ignore_label: -1 }", True, 3),  # legacy: VALID
    ("loss_param { normalization: NONE ignore_label: -1 }", True, 1),
])
def test_sigmoid_cross_entropy(body, ignore, divisor):
    x = torch.tensor(X_SCE, dtype=torch.float64, requires_grad=True)
    out, tops = run_op("SigmoidCrossEntropyLoss", body, x, torch.tensor(T_SCE, dtype=torch.float64))
    pairs = [(X_SCE[i][j], T_SCE[i][j]) for i in range(2) for j in range(2)]
    total = sum(_sce(a, t) if t >= 0 else (0.0 if ignore else _sce_raw(a, t)) for a, t in pairs)
    assert _loss(out, tops) == pytest.approx(total / divisor, rel=1e-12)
    out[0].backward()
    g = [[((1 / (1 + math.exp(-X_SCE[i][j]))) - T_SCE[i][j]) / divisor for j in range(2)] for i in range(2)]
    if ignore:
        g[1][1] = 0.0
    torch.testing.assert_close(x.grad, torch.tensor(g, dtype=torch.float64))


def _sce_raw(x: float, t: float) -> float:
    """Caffe's formula taken literally (a target outside [0, 1] is not refused)."""
    return max(x, 0.0) - x * t + math.log(1.0 + math.exp(-abs(x)))


# ---------------------------------------------------------------- EuclideanLoss
def test_euclidean_loss():
    a = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    b = torch.tensor([[0.0, 2.0], [1.0, 1.0]]).reshape(2, 2, 1, 1)  # same count per example
    out, tops = run_op("EuclideanLoss", "", a, b)
    assert _loss(out, tops) == pytest.approx((1 + 0 + 4 + 9) / (2 * 2))
    out[0].backward()
    torch.testing.assert_close(a.grad, torch.tensor([[0.5, 0.0], [1.0, 1.5]]))


# ---------------------------------------------------------------- HingeLoss
HINGE = [[1.0, -1.0, 0.5], [0.2, 2.0, -3.0]]


@pytest.mark.parametrize("body, want", [
    ("", (0 + 0 + 1.5 + 1.2 + 0 + 0) / 2),                       # L1
    ("hinge_loss_param { norm: L2 }", (1.5 ** 2 + 1.2 ** 2) / 2),
])
def test_hinge_loss(body, want):
    x = torch.tensor(HINGE, dtype=torch.float64, requires_grad=True)
    out, tops = run_op("HingeLoss", body, x, torch.tensor([0.0, 1.0]))
    assert _loss(out, tops) == pytest.approx(want, rel=1e-12)
    out[0].backward()
    assert torch.isfinite(x.grad).all()
    assert x.grad[0, 2].item() == pytest.approx((1.0 if not body else 2 * 1.5) / 2)


# ---------------------------------------------------------------- InfogainLoss
H = [[1.0, 0.5, 0.0], [0.0, 1.0, 0.0], [0.2, 0.0, 1.0]]


def test_infogain_loss_with_h_bottom():
    s = torch.tensor(SCORES, dtype=torch.float64, requires_grad=True)
    out, tops = run_op("InfogainLoss", 'top: "loss" top: "prob"', s, torch.tensor([0.0, 2.0]),
                       torch.tensor(H, dtype=torch.float64).reshape(1, 1, 3, 3))
    total = 0.0
    for row, label in zip(SCORES, (0, 2)):
        lse = _lse(row)
        total -= sum(H[label][k] * (row[k] - lse) for k in range(3))
    assert _loss(out, tops) == pytest.approx(total / 2, rel=1e-12)
    assert tuple(out[1].shape) == tops[1] == (2, 3)
    out[0].backward()
    assert torch.isfinite(s.grad).all()


def test_infogain_identity_is_softmax_loss():
    s = torch.tensor(SCORES, dtype=torch.float64)
    out, _ = run_op("InfogainLoss", "", s, torch.tensor([1.0, 2.0]), torch.eye(3, dtype=torch.float64))
    assert out[0].item() == pytest.approx((_nll(SCORES[0], 1) + _nll(SCORES[1], 2)) / 2, rel=1e-12)


def test_infogain_from_a_file_is_unsupported():
    with pytest.raises(Unsupported, match="H.binaryproto"):
        make_op("InfogainLoss", 'infogain_loss_param { source: "H.binaryproto" }', [(2, 3), (2,)])


# ---------------------------------------------------------------- MultinomialLogisticLoss
def test_multinomial_logistic_loss():
    p = torch.tensor([[0.2, 0.8], [0.5, 0.5], [0.0, 1.0]], dtype=torch.float64, requires_grad=True)
    out, tops = run_op("MultinomialLogisticLoss", "", p, torch.tensor([1.0, 0.0, 0.0]))
    want = -(math.log(0.8) + math.log(0.5) + math.log(1e-20)) / 3  # p floored at kLOG_THRESHOLD
    assert _loss(out, tops) == pytest.approx(want, rel=1e-12)
    out[0].backward()
    assert p.grad[0, 1].item() == pytest.approx(-1 / (3 * 0.8))
    assert p.grad[2, 0].item() == pytest.approx(-1 / (3 * 1e-20))  # Caffe: -1 / max(p, 1e-20) / N


# ---------------------------------------------------------------- ContrastiveLoss
def _pairs():
    a = torch.tensor([[0.0, 0.0], [1.0, 1.0], [0.0, 0.0], [2.0, 2.0]]).reshape(4, 2, 1, 1)
    b = torch.tensor([[3.0, 4.0], [1.0, 1.0], [0.3, 0.4], [2.0, 2.0]]).reshape(4, 2, 1, 1)
    sim = torch.tensor([0.0, 1.0, 0.0, 0.0]).reshape(4, 1, 1, 1)
    return a.requires_grad_(), b, sim  # distances 5, 0, 0.5, 0


@pytest.mark.parametrize("body, per_pair", [
    ("", [0.0, 0.0, (1 - 0.5) ** 2, 1.0]),                                    # max(m - d, 0)^2
    ("contrastive_loss_param { legacy_version: true }", [0.0, 0.0, 1 - 0.25, 1.0]),  # max(m - d^2, 0)
    ("contrastive_loss_param { margin: 6 }", [1.0, 0.0, 5.5 ** 2, 36.0]),
])
def test_contrastive_loss(body, per_pair):
    a, b, sim = _pairs()
    out, tops = run_op("ContrastiveLoss", body, a, b, sim)
    assert _loss(out, tops) == pytest.approx(sum(per_pair) / (2 * 4), rel=1e-6)
    out[0].backward()
    assert torch.isfinite(a.grad).all()  # identical dissimilar pair: Caffe's dist + 1e-4


def test_contrastive_similar_pair_gradient():
    a = torch.tensor([[1.0, 2.0]]).reshape(1, 2, 1, 1).requires_grad_()
    b = torch.tensor([[0.0, 0.0]]).reshape(1, 2, 1, 1)
    out, _ = run_op("ContrastiveLoss", "", a, b, torch.tensor([1.0]))
    assert out[0].item() == pytest.approx(5 / 2)
    out[0].backward()
    torch.testing.assert_close(a.grad.reshape(2), torch.tensor([1.0, 2.0]))  # diff / N


# ---------------------------------------------------------------- Accuracy
ACC = [[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.3, 0.3, 0.4], [0.2, 0.5, 0.3]]
ACC_LABELS = [1.0, 1.0, 0.0, 2.0]


@pytest.mark.parametrize("body, want", [
    ("", 1 / 4),                                           # only row 0
    ("accuracy_param { top_k: 2 }", 3 / 4),                # rows 0, 1, 3; row 2 loses a tie
    ("accuracy_param { top_k: 3 }", 1.0),
    ("accuracy_param { ignore_label: 2 }", 1 / 3),
    ("accuracy_param { top_k: 2 ignore_label: 1 }", 1 / 2),  # rows 2 (wrong), 3 (right)
])
def test_accuracy(body, want):
    out, tops = run_op("Accuracy", body, torch.tensor(ACC), torch.tensor(ACC_LABELS))
    assert out[0].shape == () and tops == [()]
    assert out[0].item() == pytest.approx(want)


def test_accuracy_per_class_top():
    out, tops = run_op("Accuracy", 'top: "acc" top: "per_class"', torch.tensor(ACC), torch.tensor(ACC_LABELS))
    assert tops == [(), (3,)] and tuple(out[1].shape) == (3,)
    torch.testing.assert_close(out[1], torch.tensor([0.0, 0.5, 0.0]))


def test_accuracy_on_a_spatial_axis():
    scores = torch.tensor(ACC).t().reshape(1, 3, 4)  # N=1, C=3, 4 positions
    out, _ = run_op("Accuracy", "", scores, torch.tensor(ACC_LABELS).reshape(1, 4))
    assert out[0].item() == pytest.approx(1 / 4)


def test_accuracy_with_nothing_counted_is_zero():
    out, _ = run_op("Accuracy", "accuracy_param { ignore_label: 0 }", torch.randn(2, 3), torch.tensor([0.0, 0.0]))
    assert out[0].item() == 0.0
