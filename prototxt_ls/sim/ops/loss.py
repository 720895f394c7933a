"""Torch ops for the loss layers and Accuracy (mirrors ``prototxt_ls.layers.loss``).

A loss top is a 0-D tensor (Caffe's blob with no axes); the loss_weight that
scales it in the net's objective is the net builder's business, not the op's.
Labels arrive as float tensors, as in Caffe, and are read with C's
``static_cast<int>`` (truncation toward zero).

Where Caffe clamps a probability before its log (``FLT_MIN`` in
SoftmaxWithLoss, ``kLOG_THRESHOLD`` = 1e-20 elsewhere), its Backward does not
see the clamp; :func:`clamp_keep_grad` reproduces both halves.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ...layers.shapes import canonical_axis
from .base import CaffeOp, OpContext, Unsupported

#: C's FLT_MIN, SoftmaxWithLoss's floor for a probability before its log.
FLT_MIN = 1.1754943508222875e-38
#: Caffe's kLOG_THRESHOLD (loss_layer.hpp), the floor of the other losses.
LOG_THRESHOLD = 1e-20


def clamp_keep_grad(t: torch.Tensor, lo: float) -> torch.Tensor:
    """``max(t, lo)`` in value, but the gradient of ``t`` itself: Caffe's Backward
    differentiates the unclamped expression."""
    return t + (t.clamp(min=lo) - t).detach()


def as_labels(t: torch.Tensor) -> torch.Tensor:
    """Labels as Caffe reads them: ``static_cast<int>`` of each float value."""
    return t.detach().to(torch.int64) if t.is_floating_point() else t.detach().long()


def scalar(t: torch.Tensor) -> torch.Tensor:
    return t.reshape(())


# ---------------------------------------------------------------- normalization
def normalization_mode(ctx: OpContext, default: str = "VALID") -> str:
    """LossParameter's mode: ``normalization`` if written; else the deprecated
    ``normalize`` (true: VALID, false: BATCH_SIZE); else ``default`` (VALID, the
    proto default, for SoftmaxWithLoss and InfogainLoss; BATCH_SIZE for
    SigmoidCrossEntropyLoss, which kept its old behaviour)."""
    lp = ctx.param("loss_param")
    if lp.has("normalization"):
        return lp.get("normalization")
    if lp.has("normalize"):
        return "VALID" if lp.get("normalize") else "BATCH_SIZE"
    return default


def normalizer(mode: str, outer: int, inner: int, valid: torch.Tensor | None, dtype) -> torch.Tensor | float:
    """Caffe's get_normalizer, at least 1 (so that a batch whose labels are all
    ignored gives 0, not NaN).  ``valid``: the number of counted positions, None
    when nothing can be ignored (VALID is then FULL)."""
    if mode == "FULL" or (mode == "VALID" and valid is None):
        return float(max(1, outer * inner))
    if mode == "VALID":
        return torch.clamp(valid.to(dtype), min=1.0)
    if mode == "BATCH_SIZE":
        return float(max(1, outer))
    if mode == "NONE":
        return 1.0
    raise Unsupported(f"unknown loss normalization mode {mode}")


def ignore_label(params) -> int | None:
    """The ``ignore_label`` of a LossParameter/AccuracyParameter block, None when unset."""
    return int(params.get("ignore_label")) if params.has("ignore_label") else None


def class_view(x: torch.Tensor, axis: int) -> tuple[torch.Tensor, int, int]:
    """Scores as (outer, classes, inner) around the class axis, as Caffe indexes them."""
    outer = math.prod(x.shape[:axis])
    inner = math.prod(x.shape[axis + 1:])
    return x.reshape(outer, x.shape[axis], inner), outer, inner


def _check_range(labels: torch.Tensor, valid: torch.Tensor, classes: int, who: str) -> None:
    if labels.device.type == "meta":
        return  # shapes only (the corpus proof of large nets): there are no label values to check
    bad = valid & ((labels < 0) | (labels >= classes))
    if bool(bad.any()):
        value = int(labels[bad][0])
        raise ValueError(f"{who}: label {value} is outside [0, {classes}) (Caffe reads out of bounds here)")


def _valid_mask(labels: torch.Tensor, ignore: int | None) -> torch.Tensor:
    return labels != ignore if ignore is not None else torch.ones_like(labels, dtype=torch.bool)


class _Op(CaffeOp):
    """A loss op whose forward is a method bound at build time."""

    def __init__(self, ctx: OpContext, fn, describe: str = "") -> None:
        super().__init__(ctx)
        self.fn = fn
        self.describe = describe
        self.n_tops = max(1, ctx.layer.n_tops)

    def forward(self, *bottoms: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return tuple(self.fn(*bottoms))[: self.n_tops]

    def extra_repr(self) -> str:
        return self.describe


# ---------------------------------------------------------------- softmax-based
def _softmax_nll(scores: torch.Tensor, labels: torch.Tensor, axis_param: int, ignore: int | None,
                 mode: str, floor: float, weights: torch.Tensor | None, who: str, want_prob: bool):
    """-sum(log p[label]) (or, with an infogain matrix, -sum_l H[label, l] log p_l) over the
    non-ignored positions, divided by the normalizer; and the probabilities when a
    second top wants them (None otherwise)."""
    axis = canonical_axis(axis_param, scores.dim())
    view, outer, inner = class_view(scores, axis)
    classes = view.shape[1]
    lab = as_labels(labels).reshape(outer, inner)
    valid = _valid_mask(lab, ignore)
    _check_range(lab, valid, classes, who)
    logp = torch.log_softmax(view, dim=1)
    logp = clamp_keep_grad(logp, math.log(floor))
    safe = torch.where(valid, lab, torch.zeros_like(lab))
    if weights is None:
        per = -logp.gather(1, safe.unsqueeze(1)).squeeze(1)
    else:
        rows = weights.reshape(classes, classes).to(view.dtype)[safe]  # (outer, inner, classes)
        per = -(rows.permute(0, 2, 1) * logp).sum(1)
    per = torch.where(valid, per, torch.zeros_like(per))
    norm = normalizer(mode, outer, inner, valid.sum() if ignore is not None else None, per.dtype)
    prob = torch.softmax(scores, dim=axis) if want_prob else None
    return scalar(per.sum() / norm), prob


def softmax_with_loss(ctx: OpContext) -> CaffeOp:
    """SoftmaxWithLossLayer: softmax over softmax_param.axis, then -log p[label]
    (p floored at FLT_MIN) summed over positions whose label is not
    loss_param.ignore_label, divided by the normalizer (VALID by default:
    the number of positions counted).  Second top: the probabilities."""
    axis = ctx.param("softmax_param").get("axis")
    ignore = ignore_label(ctx.param("loss_param"))
    mode = normalization_mode(ctx)
    want_prob = ctx.layer.n_tops >= 2

    def fn(scores, labels):
        return _softmax_nll(scores, labels, axis, ignore, mode, FLT_MIN, None, "SoftmaxWithLoss", want_prob)

    return _Op(ctx, fn, f"axis={axis}, normalization={mode}, ignore_label={ignore}")


def infogain_loss(ctx: OpContext) -> CaffeOp:
    """InfogainLossLayer (BVLC master): softmax over infogain_loss_param.axis, then
    -sum_l H[label, l] * log(max(p_l, 1e-20)), normalized like SoftmaxWithLoss.

    H comes from a third bottom; a ``source`` file is not read by the
    simulator (Unsupported); with neither, H is the identity, which makes it
    SoftmaxWithLoss."""
    if len(ctx.layer.bottoms) < 3 and ctx.p.get("source"):
        raise Unsupported(f"InfogainLoss reads its matrix H from {ctx.p.get('source')!r}; the simulator "
                          "does not load files: give H as a third bottom instead")
    if ctx.param("loss_param").has("normalize"):
        raise Unsupported("InfogainLoss refuses the deprecated loss_param { normalize }")
    axis = ctx.p.get("axis")
    ignore = ignore_label(ctx.param("loss_param"))
    mode = normalization_mode(ctx)
    want_prob = ctx.layer.n_tops >= 2

    def fn(scores, labels, h=None):
        if h is None:
            classes = scores.shape[canonical_axis(axis, scores.dim())]
            h = torch.eye(classes, dtype=scores.dtype, device=scores.device)
        return _softmax_nll(scores, labels, axis, ignore, mode, LOG_THRESHOLD, h.detach(), "InfogainLoss",
                            want_prob)

    return _Op(ctx, fn, f"axis={axis}, normalization={mode}, ignore_label={ignore}")


# ---------------------------------------------------------------- sigmoid cross-entropy
def sigmoid_cross_entropy_loss(ctx: OpContext) -> CaffeOp:
    """SigmoidCrossEntropyLossLayer: sum of max(x, 0) - x t + log(1 + exp(-|x|))
    (Caffe's overflow-free form of -t log s(x) - (1 - t) log(1 - s(x))) over the
    targets whose int value is not ignore_label, divided by the normalizer:
    BATCH_SIZE unless normalization (or the legacy normalize) says otherwise;
    VALID counts the targets used, FULL all of them."""
    ignore = ignore_label(ctx.p)
    mode = normalization_mode(ctx, default="BATCH_SIZE")

    def fn(x, target):
        outer = x.shape[0] if x.dim() else 1
        inner = x.numel() // max(outer, 1)
        xf, tf = x.reshape(-1), target.reshape(-1).to(x.dtype)
        # torch's fused form has the same value and, like Caffe's Backward, the gradient
        # sigmoid(x) - t everywhere (x = 0 included).
        per = F.binary_cross_entropy_with_logits(xf, tf.detach(), reduction="none")
        valid = _valid_mask(as_labels(target).reshape(-1), ignore)
        per = torch.where(valid, per, torch.zeros_like(per))
        norm = normalizer(mode, outer, inner, valid.sum() if ignore is not None else None, per.dtype)
        return (scalar(per.sum() / norm),)

    return _Op(ctx, fn, f"normalization={mode}, ignore_label={ignore}")


# ---------------------------------------------------------------- regression-style
def euclidean_loss(ctx: OpContext) -> CaffeOp:
    """EuclideanLossLayer: sum((a - b)^2) / (2 N), N = the first axis; the two
    bottoms need only the same count per example."""

    def fn(a, b):
        n = a.shape[0]
        diff = a.reshape(n, -1) - b.reshape(n, -1)
        return (scalar((diff * diff).sum() / n / 2.0),)

    return _Op(ctx, fn)


def hinge_loss(ctx: OpContext) -> CaffeOp:
    """HingeLossLayer: with t_ik = +1 for the true class k = label_i and -1
    otherwise, sum_ik max(0, 1 - t_ik x_ik) (L1) or its square (L2), divided
    by N.  Scores are N x (count / N)."""
    norm = ctx.p.get("norm")
    if norm not in ("L1", "L2"):
        raise Unsupported(f"unknown hinge_loss_param norm {norm}")

    def fn(x, labels):
        n = x.shape[0]
        scores = x.reshape(n, -1)
        lab = as_labels(labels).reshape(n)
        _check_range(lab, torch.ones_like(lab, dtype=torch.bool), scores.shape[1], "HingeLoss")
        sign = torch.ones_like(scores).scatter(1, lab.unsqueeze(1), -1.0)
        margin = torch.relu(1.0 + sign * scores)
        total = margin.sum() if norm == "L1" else (margin * margin).sum()
        return (scalar(total / n),)

    return _Op(ctx, fn, f"norm={norm}")


def multinomial_logistic_loss(ctx: OpContext) -> CaffeOp:
    """MultinomialLogisticLossLayer: the inputs are already probabilities;
    -sum_i log(max(p[i, label_i], 1e-20)) / N."""

    def fn(prob, labels):
        n = prob.shape[0]
        p = prob.reshape(n, -1)
        lab = as_labels(labels).reshape(n)
        _check_range(lab, torch.ones_like(lab, dtype=torch.bool), p.shape[1], "MultinomialLogisticLoss")
        picked = clamp_keep_grad(p.gather(1, lab.unsqueeze(1)).squeeze(1), LOG_THRESHOLD)
        return (scalar(-torch.log(picked).sum() / n),)

    return _Op(ctx, fn)


def _distance(dist_sq: torch.Tensor) -> torch.Tensor:
    """sqrt(d^2) whose gradient is 1 / (2 (d + 1e-4)): ContrastiveLoss's Backward
    divides by dist + 1e-4, which also keeps identical pairs finite."""
    d = dist_sq.detach().sqrt()
    return d + (dist_sq - dist_sq.detach()) / (2.0 * (d + 1e-4))


def contrastive_loss(ctx: OpContext) -> CaffeOp:
    """ContrastiveLossLayer: for similar pairs (int label != 0) d^2; for the others
    max(margin - d, 0)^2, or max(margin - d^2, 0) with legacy_version; summed
    and divided by 2N (d: the Euclidean distance of the two feature rows)."""
    margin = float(ctx.p.get("margin"))
    legacy = bool(ctx.p.get("legacy_version"))

    def fn(a, b, sim):
        n = a.shape[0]
        diff = a.reshape(n, -1) - b.reshape(n, -1)
        dist_sq = (diff * diff).sum(1)
        similar = as_labels(sim).reshape(n) != 0
        if legacy:
            apart = torch.relu(margin - dist_sq)
        else:
            apart = torch.relu(margin - _distance(dist_sq)) ** 2
        per = torch.where(similar, dist_sq, apart)
        return (scalar(per.sum() / n / 2.0),)

    return _Op(ctx, fn, f"margin={margin:g}" + (", legacy_version" if legacy else ""))


# ---------------------------------------------------------------- Accuracy
def accuracy(ctx: OpContext) -> CaffeOp:
    """AccuracyLayer: a position counts as right when fewer than top_k classes
    score >= the true class's score other than the true class itself (ties
    count against it, as in Caffe); top 0 is right / counted (0 if nothing was
    counted), positions labelled ignore_label are not counted.  The optional
    second top gives the same per class (0 for a class never seen).  Not
    differentiable."""
    axis_param = ctx.p.get("axis")
    top_k = int(ctx.p.get("top_k"))
    ignore = ignore_label(ctx.p)

    def fn(scores, labels):
        with torch.no_grad():
            axis = canonical_axis(axis_param, scores.dim())
            view, outer, inner = class_view(scores.detach(), axis)
            classes = view.shape[1]
            lab = as_labels(labels).reshape(outer, inner)
            valid = _valid_mask(lab, ignore)
            _check_range(lab, valid, classes, "Accuracy")
            safe = torch.where(valid, lab, torch.zeros_like(lab))
            true_score = view.gather(1, safe.unsqueeze(1))
            better = (view >= true_score).sum(1) - 1
            right = (better < top_k) & valid
            counted = valid.sum()
            acc = right.sum().to(scores.dtype) / counted.clamp(min=1).to(scores.dtype)
            # per-class counts by scatter (not bincount of a masked selection: no data-dependent sizes)
            flat = safe.reshape(-1)
            seen = torch.zeros(classes, dtype=scores.dtype, device=scores.device).scatter_add_(
                0, flat, valid.reshape(-1).to(scores.dtype))
            hits = torch.zeros(classes, dtype=scores.dtype, device=scores.device).scatter_add_(
                0, flat, right.reshape(-1).to(scores.dtype))
            per_class = torch.where(seen > 0, hits / seen.clamp(min=1), torch.zeros_like(seen))
        return scalar(acc), per_class

    return _Op(ctx, fn, f"top_k={top_k}, axis={axis_param}, ignore_label={ignore}")
