"""Loss layers and Accuracy: scalar loss tops, the optional second tops, and
every CHECK of LossLayer and the concrete types, in Caffe's order."""

from __future__ import annotations

import pytest
from layer_helpers import layer_spec, shape_error, shapes_of

import prototxt_ls.layers.loss  # noqa: F401  (registers the family)

LOSSES = ["SoftmaxWithLoss", "EuclideanLoss", "SigmoidCrossEntropyLoss", "HingeLoss", "InfogainLoss",
          "ContrastiveLoss", "MultinomialLogisticLoss"]


@pytest.mark.parametrize("type_name,counts,v1,v0", [
    ("SoftmaxWithLoss", ((2, 2), (1, 2)), "SOFTMAX_LOSS", ("softmax_loss",)),
    ("EuclideanLoss", ((2, 2), (1, 1)), "EUCLIDEAN_LOSS", ("euclidean_loss",)),
    ("SigmoidCrossEntropyLoss", ((2, 2), (1, 1)), "SIGMOID_CROSS_ENTROPY_LOSS", ()),
    ("HingeLoss", ((2, 2), (1, 1)), "HINGE_LOSS", ()),
    ("InfogainLoss", ((2, 3), (1, 2)), "INFOGAIN_LOSS", ("infogain_loss",)),
    ("ContrastiveLoss", ((3, 3), (1, 1)), "CONTRASTIVE_LOSS", ()),
    ("MultinomialLogisticLoss", ((2, 2), (1, 1)), "MULTINOMIAL_LOGISTIC_LOSS", ("multinomial_logistic_loss",)),
])
def test_loss_specs(type_name, counts, v1, v0):
    spec = layer_spec(type_name)
    assert (spec.bottoms, spec.tops) == counts
    assert spec.is_loss and not spec.in_place and not spec.is_data
    assert (spec.v1_name, spec.v0_names) == (v1, v0)
    assert spec.doc


def test_accuracy_is_not_a_loss():
    spec = layer_spec("Accuracy")
    assert (spec.bottoms, spec.tops, spec.is_loss) == ((2, 2), (1, 2), False)
    assert (spec.v1_name, spec.v0_names, spec.param) == ("ACCURACY", ("accuracy",), "accuracy_param")


# ------------------------------------------------------------------ SoftmaxWithLoss
def test_softmax_loss_classification():
    assert shapes_of("SoftmaxWithLoss", "", [(256, 1000), (256,)]) == [()]


def test_softmax_loss_second_top_is_the_probabilities():
    assert shapes_of("SoftmaxWithLoss", "", [(256, 1000), (256,)], 2) == [(), (256, 1000)]


def test_softmax_loss_segmentation_label_per_pixel():
    # FCN: scores 1 x 21 x 500 x 500, labels 1 x 1 x 500 x 500 (N*H*W = 250000 labels).
    body = "loss_param { ignore_label: 255 normalize: false }"
    assert shapes_of("SoftmaxWithLoss", body, [(1, 21, 500, 500), (1, 1, 500, 500)]) == [()]


def test_softmax_loss_axis_comes_from_softmax_param():
    # axis 2: outer 4*5 = 20, inner 1 -> 20 labels.
    assert shapes_of("SoftmaxWithLoss", "softmax_param { axis: 2 }", [(4, 5, 7), (4, 5)]) == [()]
    e = shape_error("SoftmaxWithLoss", "softmax_param { axis: 2 }", [(4, 5, 7), (4,)])
    assert (e.code, e.field, e.index) == ("H401", "bottom", 1)


def test_softmax_loss_label_count_mismatch():
    e = shape_error("SoftmaxWithLoss", "", [(1, 21, 500, 500), (1, 1, 250, 250)])
    assert (e.code, e.field, e.index) == ("H401", "bottom", 1)
    assert "250000" in e.message and "62500" in e.message


def test_softmax_loss_first_dims_must_agree():
    e = shape_error("SoftmaxWithLoss", "", [(64, 10), (32,)])
    assert (e.code, e.field, e.index) == ("H401", "bottom", 1)
    assert "first dimension" in e.message


def test_softmax_loss_axis_out_of_range():
    e = shape_error("SoftmaxWithLoss", "softmax_param { axis: 4 }", [(64, 10), (64,)])
    assert (e.code, e.field) == ("H406", "softmax_param")


def test_softmax_loss_axis_checked_before_first_dims():
    # LayerSetUp sets up the inner Softmax (axis check) before LossLayer::Reshape.
    e = shape_error("SoftmaxWithLoss", "softmax_param { axis: 3 }", [(64, 10), (32,)])
    assert e.code == "H406"


def test_softmax_loss_unknown_dims_skip_checks():
    assert shapes_of("SoftmaxWithLoss", "", [(None, 10), (64,)], 2) == [(), (None, 10)]
    assert shapes_of("SoftmaxWithLoss", "", [None, None], 2) == [(), None]


def test_loss_bottom_without_axes():
    e = shape_error("SoftmaxWithLoss", "", [(10, 3), ()])
    assert (e.code, e.index) == ("H401", 1)


# ------------------------------------------------------------------ Euclidean / SigmoidCE / Hinge
def test_euclidean_same_size_per_example():
    assert shapes_of("EuclideanLoss", "", [(8, 3, 4), (8, 12)]) == [()]
    e = shape_error("EuclideanLoss", "", [(8, 12), (8, 10)])
    assert (e.code, e.index) == ("H401", 1)


def test_euclidean_first_dims():
    assert shape_error("EuclideanLoss", "", [(8, 12), (4, 24)]).code == "H401"


def test_sigmoid_cross_entropy_same_count():
    assert shapes_of("SigmoidCrossEntropyLoss", "", [(8, 20), (8, 4, 5)]) == [()]
    e = shape_error("SigmoidCrossEntropyLoss", "", [(8, 20), (8, 21)])
    assert (e.code, e.index) == ("H401", 1)


def test_hinge_loss_only_checks_the_batch():
    assert shapes_of("HingeLoss", "hinge_loss_param { norm: L2 }", [(10, 5), (10,)]) == [()]
    assert shape_error("HingeLoss", "", [(10, 5), (9,)]).code == "H401"


# ------------------------------------------------------------------ InfogainLoss
def test_infogain_matrix_from_source():
    body = 'infogain_loss_param { source: "H.binaryproto" }'
    assert shapes_of("InfogainLoss", body, [(16, 5), (16,)]) == [()]
    assert shapes_of("InfogainLoss", body, [(16, 5), (16,)], 2) == [(), (16, 5)]


def test_infogain_matrix_as_third_bottom():
    assert shapes_of("InfogainLoss", "", [(16, 5), (16,), (1, 1, 5, 5)]) == [()]


def test_infogain_matrix_size():
    e = shape_error("InfogainLoss", "", [(16, 5), (16,), (1, 1, 4, 4)])
    assert (e.code, e.field, e.index) == ("H401", "bottom", 2)


def test_infogain_needs_a_matrix():
    assert shape_error("InfogainLoss", "", [(16, 5), (16,)]).code == "G308"


def test_infogain_refuses_deprecated_normalize():
    e = shape_error("InfogainLoss", "loss_param { normalize: true }", [(16, 5), (16,), (5, 5)])
    assert (e.code, e.field) == ("H407", "loss_param")


def test_infogain_axis_and_labels():
    e = shape_error("InfogainLoss", "infogain_loss_param { axis: -3 }", [(16, 5), (16,), (5, 5)])
    assert (e.code, e.field) == ("H406", "axis")
    e = shape_error("InfogainLoss", "", [(16, 5, 2), (16,), (5, 5)])
    assert (e.code, e.index) == ("H401", 1)


# ------------------------------------------------------------------ Contrastive / Multinomial
def test_contrastive_loss_siamese():
    assert shapes_of("ContrastiveLoss", "contrastive_loss_param { margin: 1 }",
                     [(64, 2), (64, 2), (64,)]) == [()]
    assert shapes_of("ContrastiveLoss", "", [(64, 2, 1, 1), (64, 2), (64, 1, 1, 1)]) == [()]


def test_contrastive_loss_feature_channels_differ():
    e = shape_error("ContrastiveLoss", "", [(64, 2), (64, 3), (64,)])
    assert (e.code, e.index) == ("H401", 1)


def test_contrastive_loss_features_must_be_flat():
    e = shape_error("ContrastiveLoss", "", [(64, 2, 3), (64, 2, 3), (64,)])
    assert (e.code, e.index) == ("H401", 0)
    e = shape_error("ContrastiveLoss", "", [(64, 2), (64, 2), (64, 2)])
    assert (e.code, e.index) == ("H401", 2)


def test_contrastive_loss_legacy_accessors_refuse_five_axes():
    e = shape_error("ContrastiveLoss", "", [(64, 2, 1, 1, 1), (64, 2), (64,)])
    assert e.code == "H401" and "4 axes" in e.message


def test_multinomial_logistic_loss_label_is_one_per_example():
    assert shapes_of("MultinomialLogisticLoss", "", [(32, 10), (32, 1, 1, 1)]) == [()]
    e = shape_error("MultinomialLogisticLoss", "", [(32, 10), (32, 10)])
    assert (e.code, e.index) == ("H401", 1)


# ------------------------------------------------------------------ Accuracy
def test_accuracy_scalar_and_per_class():
    assert shapes_of("Accuracy", "", [(100, 1000), (100,)]) == [()]
    assert shapes_of("Accuracy", "accuracy_param { top_k: 5 }", [(100, 1000), (100,)], 2) == [(), (1000,)]


def test_accuracy_on_segmentation_axis():
    assert shapes_of("Accuracy", "", [(2, 21, 8, 8), (2, 1, 8, 8)], 2) == [(), (21,)]


def test_accuracy_top_k_larger_than_classes():
    e = shape_error("Accuracy", "accuracy_param { top_k: 11 }", [(100, 10), (100,)])
    assert (e.code, e.field) == ("H407", "top_k")


def test_accuracy_axis_out_of_range():
    e = shape_error("Accuracy", "accuracy_param { axis: 2 }", [(100, 10), (100,)])
    assert (e.code, e.field) == ("H406", "axis")


def test_accuracy_label_count():
    e = shape_error("Accuracy", "", [(100, 10), (50,)])
    assert (e.code, e.index) == ("H401", 1)


def test_accuracy_unknown_scores():
    assert shapes_of("Accuracy", "", [None, (100,)], 2) == [(), None]
