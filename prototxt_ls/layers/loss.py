"""Loss layers, and Accuracy.

A loss layer's first top is a scalar (a blob with no axes) and Caffe gives
it loss_weight 1 unless the layer says otherwise.  LossLayer::Reshape
checks that prediction and label agree on their first axis (the batch);
the types add their own checks on top, reproduced here in Caffe's order
(LayerSetUp's before Reshape's) so the first complaint is the one Caffe
would die with.
"""

from __future__ import annotations

from .registry import register
from .shapes import Dim, Shape, ShapeError, canonical_axis, count, fmt, legacy_dim
from .spec import LayerContext, LayerSpec


def _known(*shapes: Shape) -> bool:
    return all(s is not None for s in shapes)


def _legacy(shape: Shape, index: int, who: str, bottom: int):
    """Blob::num()/channels()/height()/width(): at most 4 axes, missing ones are 1."""
    if shape is not None and len(shape) > 4:
        raise ShapeError(f"{who} reads bottom {bottom} with Caffe's legacy num/channels/height/width "
                         f"accessors, which refuse blobs with more than 4 axes (got {fmt(shape)})",
                         "bottom", bottom, code="H401")
    return legacy_dim(shape, index)


def _first_dims_agree(ctx: LayerContext) -> None:
    """LossLayer::Reshape: data and label have the same first dimension."""
    a, b = ctx.bottoms[0], ctx.bottoms[1]
    for i, s in ((0, a), (1, b)):
        if s is not None and len(s) == 0:
            raise ShapeError(f"bottom {i} has no axes; a loss needs a batch axis", "bottom", i, code="H401")
    if _known(a, b) and a[0] is not None and b[0] is not None and a[0] != b[0]:
        raise ShapeError(f"the data and label must have the same first dimension: bottom 0 is {fmt(a)}, "
                         f"bottom 1 is {fmt(b)}", "bottom", 1, code="H401")


def _class_axis(ctx: LayerContext, axis_value: int, axis_field: str) -> tuple[int | None, Dim]:
    """The class axis of the scores (CanonicalAxisIndex) and its size, when the rank is known."""
    data = ctx.bottoms[0]
    if data is None:
        return None, None
    axis = canonical_axis(axis_value, len(data), axis_field)
    return axis, data[axis]


def _check_labels(ctx: LayerContext, axis: int | None, what: str) -> None:
    """outer_num * inner_num (the positions around the class axis) must equal the label count."""
    data, label = ctx.bottoms[0], ctx.bottoms[1]
    if axis is None or label is None:
        return
    outer, inner, n_labels = count(data, 0, axis), count(data, axis + 1), count(label)
    if None in (outer, inner, n_labels):
        return
    if outer * inner != n_labels:
        raise ShapeError(f"the number of labels must match the number of predictions: {what} axis {axis} of "
                         f"{fmt(data)} leaves {outer * inner} predictions, but the label {fmt(label)} has "
                         f"{n_labels} values (for N x C x H x W scores the label must have N*H*W values)",
                         "bottom", 1, code="H401")


def _loss_tops(ctx: LayerContext, second: Shape = None) -> list[Shape]:
    out: list[Shape] = [()]
    if ctx.n_tops >= 2:
        out.append(second)
    return out


# ------------------------------------------------------------------ SoftmaxWithLoss
def _softmax_loss_shape(ctx: LayerContext) -> list[Shape]:
    # LayerSetUp sets up the inner Softmax layer first: its axis is checked before anything else.
    axis, _ = _class_axis(ctx, ctx.param("softmax_param").get("axis"), "softmax_param")
    _first_dims_agree(ctx)
    _check_labels(ctx, axis, "softmax")
    return _loss_tops(ctx, ctx.bottoms[0])


# ------------------------------------------------------------------ InfogainLoss
def _infogain_shape(ctx: LayerContext) -> list[Shape]:
    axis, classes = _class_axis(ctx, ctx.p.get("axis"), "axis")
    if ctx.param("loss_param").has("normalize"):
        raise ShapeError("InfogainLoss refuses the deprecated loss_param { normalize }: use normalization",
                         "loss_param")
    if len(ctx.bottoms) < 3 and not ctx.p.get("source"):
        raise ShapeError("InfogainLoss needs the infogain matrix H: infogain_loss_param { source } "
                         "or a third bottom", None, code="G308")
    _first_dims_agree(ctx)
    _check_labels(ctx, axis, "infogain")
    if len(ctx.bottoms) >= 3 and classes is not None:
        h = count(ctx.bottoms[2])
        if h is not None and h != classes * classes:
            raise ShapeError(f"the infogain matrix must have {classes}x{classes} = {classes * classes} values "
                             f"(one row and column per class), bottom 2 is {fmt(ctx.bottoms[2])}",
                             "bottom", 2, code="H401")
    return _loss_tops(ctx, ctx.bottoms[0])


# ------------------------------------------------------------------ others
def _euclidean_shape(ctx: LayerContext) -> list[Shape]:
    _first_dims_agree(ctx)
    a, b = ctx.bottoms[0], ctx.bottoms[1]
    ca, cb = count(a, 1), count(b, 1)
    if ca is not None and cb is not None and ca != cb:
        raise ShapeError(f"both inputs must have the same size per example: {fmt(a)} has {ca}, {fmt(b)} has "
                         f"{cb}", "bottom", 1, code="H401")
    return _loss_tops(ctx)


def _sigmoid_ce_shape(ctx: LayerContext) -> list[Shape]:
    _first_dims_agree(ctx)
    a, b = ctx.bottoms[0], ctx.bottoms[1]
    ca, cb = count(a), count(b)
    if ca is not None and cb is not None and ca != cb:
        raise ShapeError(f"predictions and targets must have the same count: {fmt(a)} vs {fmt(b)}",
                         "bottom", 1, code="H401")
    return _loss_tops(ctx)


def _plain_loss_shape(ctx: LayerContext) -> list[Shape]:
    _first_dims_agree(ctx)
    return _loss_tops(ctx)


def _multinomial_shape(ctx: LayerContext) -> list[Shape]:
    _first_dims_agree(ctx)
    label = ctx.bottoms[1]
    for i, name in ((1, "channels"), (2, "height"), (3, "width")):
        d = _legacy(label, i, "MultinomialLogisticLoss", 1)
        if d is not None and d != 1:
            raise ShapeError(f"the label must hold one value per example (N or N x 1 x 1 x 1); its {name} "
                             f"is {d} in {fmt(label)}", "bottom", 1, code="H401")
    return _loss_tops(ctx)


def _contrastive_shape(ctx: LayerContext) -> list[Shape]:
    a, b, sim = ctx.bottoms[0], ctx.bottoms[1], ctx.bottoms[2]
    who = "ContrastiveLoss"
    ca, cb = _legacy(a, 1, who, 0), _legacy(b, 1, who, 1)
    if ca is not None and cb is not None and ca != cb:
        raise ShapeError(f"both feature bottoms must have the same channels: {fmt(a)} vs {fmt(b)}",
                         "bottom", 1, code="H401")
    checks = [(0, a, (2, 3)), (1, b, (2, 3)), (2, sim, (1, 2, 3))]
    for i, s, axes in checks:
        for ax in axes:
            d = _legacy(s, ax, who, i)
            if d is not None and d != 1:
                what = "features must be N x C (x 1 x 1)" if i < 2 else "the similarity label must be N (x 1 x 1 x 1)"
                raise ShapeError(f"{what}; bottom {i} is {fmt(s)}", "bottom", i, code="H401")
    _first_dims_agree(ctx)
    return _loss_tops(ctx)


# ------------------------------------------------------------------ Accuracy
def _accuracy_shape(ctx: LayerContext) -> list[Shape]:
    data, label = ctx.bottoms[0], ctx.bottoms[1]
    top_k = ctx.p.get("top_k")
    n_data, n_label = count(data), count(label)
    if top_k is not None and n_data is not None and n_label and top_k > n_data // n_label:
        raise ShapeError(f"top_k {top_k} is more than the number of classes ({n_data // n_label})", "top_k")
    axis, classes = _class_axis(ctx, ctx.p.get("axis"), "axis")
    _check_labels(ctx, axis, "label")
    out: list[Shape] = [()]
    if ctx.n_tops >= 2:
        out.append((classes,) if data is not None else None)
    return out


def _loss(type_name: str, param: str | None, bottoms: tuple[int, int | None], shape, doc: str,
          *, tops: tuple[int, int | None] = (1, 1), v1: str | None = None, v0: tuple[str, ...] = (),
          torch: str | None = None) -> None:
    register(LayerSpec(type_name, param, bottoms, tops, shape=shape, is_loss=True, category="loss",
                       v1_name=v1, v0_names=v0, doc=doc, torch=torch))


_loss("SoftmaxWithLoss", "loss_param", (2, 2), _softmax_loss_shape,
      "Softmax over softmax_param.axis then the negative log-likelihood of the true labels; optional "
      "second top gives the probabilities.", tops=(1, 2), v1="SOFTMAX_LOSS", v0=("softmax_loss",),
      torch="loss:softmax_with_loss")
_loss("EuclideanLoss", None, (2, 2), _euclidean_shape,
      "Sum of squared differences / (2N); both bottoms have the same size per example.",
      v1="EUCLIDEAN_LOSS", v0=("euclidean_loss",), torch="loss:euclidean_loss")
_loss("SigmoidCrossEntropyLoss", "loss_param", (2, 2), _sigmoid_ce_shape,
      "Cross-entropy of sigmoid(prediction) against targets in [0, 1]; same count in both bottoms.",
      v1="SIGMOID_CROSS_ENTROPY_LOSS", torch="loss:sigmoid_cross_entropy_loss")
_loss("HingeLoss", "hinge_loss_param", (2, 2), _plain_loss_shape,
      "One-vs-all hinge (SVM) loss, L1 or L2 norm, for N x K scores and N integer labels.",
      v1="HINGE_LOSS", torch="loss:hinge_loss")
_loss("InfogainLoss", "infogain_loss_param", (2, 3), _infogain_shape,
      "Softmax loss weighted by a K x K infogain matrix H (from source or a third bottom).",
      tops=(1, 2), v1="INFOGAIN_LOSS", v0=("infogain_loss",), torch="loss:infogain_loss")
_loss("ContrastiveLoss", "contrastive_loss_param", (3, 3), _contrastive_shape,
      "Siamese loss on two N x C feature blobs and an N-long similar/dissimilar label.",
      v1="CONTRASTIVE_LOSS", torch="loss:contrastive_loss")
_loss("MultinomialLogisticLoss", None, (2, 2), _multinomial_shape,
      "Negative log of the probability given to the true label (inputs already probabilities).",
      v1="MULTINOMIAL_LOGISTIC_LOSS", v0=("multinomial_logistic_loss",),
      torch="loss:multinomial_logistic_loss")

register(LayerSpec(
    "Accuracy", "accuracy_param", (2, 2), (1, 2), shape=_accuracy_shape, category="loss",
    v1_name="ACCURACY", v0_names=("accuracy",), torch="loss:accuracy",
    doc="Fraction of examples whose label is among the top_k scores; optional second top gives it per class."))
