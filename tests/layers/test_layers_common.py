"""General-purpose layers against hand-computed BVLC Caffe results, and every
one of the registry's shapes and weight shapes against what real Caffe
computed for the corpus (when ../shared/corpus is present)."""

from __future__ import annotations

import json

import pytest
from layer_helpers import layer_spec, macs_of, make_ctx, shape_error, shapes_of, weights_of

from prototxt_ls.layers.shapes import ShapeError, to_json

# ---------------------------------------------------------------- InnerProduct


def test_inner_product_flattens_from_axis_1():
    body = "inner_product_param { num_output: 4096 }"
    assert shapes_of("InnerProduct", body, [(10, 256, 6, 6)]) == [(10, 4096)]
    assert weights_of("InnerProduct", body, [(10, 256, 6, 6)]) == [(4096, 9216), (4096,)]
    assert macs_of("InnerProduct", body, [(10, 256, 6, 6)]) == 10 * 9216 * 4096


def test_inner_product_axis_2_and_transpose():
    body = "inner_product_param { num_output: 10 axis: 2 transpose: true bias_term: false }"
    assert shapes_of("InnerProduct", body, [(5, 7, 3, 4)]) == [(5, 7, 10)]
    assert weights_of("InnerProduct", body, [(5, 7, 3, 4)]) == [(12, 10)]
    assert macs_of("InnerProduct", body, [(5, 7, 3, 4)]) == 35 * 12 * 10


def test_inner_product_negative_axis():
    body = "inner_product_param { num_output: 6 axis: -1 }"
    assert shapes_of("InnerProduct", body, [(2, 3, 4)]) == [(2, 3, 6)]
    assert weights_of("InnerProduct", body, [(2, 3, 4)]) == [(6, 4), (6,)]


def test_inner_product_errors():
    err = shape_error("InnerProduct", "inner_product_param { bias_term: false }", [(2, 3)])
    assert (err.code, err.field) == ("G308", None)
    err = shape_error("InnerProduct", "inner_product_param { num_output: 2 axis: 2 }", [(2, 3)])
    assert (err.code, err.field) == ("H406", "axis")


def test_inner_product_unknowns():
    body = "inner_product_param { num_output: 8 }"
    assert shapes_of("InnerProduct", body, [(None, 3, 4)]) == [(None, 8)]
    assert weights_of("InnerProduct", body, [(None, 3, None)]) == [(8, None), (8,)]
    assert weights_of("InnerProduct", body, [None]) == [(8, None), (8,)]
    assert macs_of("InnerProduct", body, [(None, 3, 4)]) is None


# ---------------------------------------------------------------- Embed


def test_embed():
    body = "embed_param { input_dim: 100 num_output: 16 }"
    assert shapes_of("Embed", body, [(5, 7)]) == [(5, 7, 16)]
    assert weights_of("Embed", body, [(5, 7)]) == [(100, 16), (16,)]
    assert macs_of("Embed", body, [(5, 7)]) == 0
    assert weights_of("Embed", "embed_param { input_dim: 10 num_output: 4 bias_term: false }", [(3,)]) == [(10, 4)]


@pytest.mark.parametrize("body, field", [
    ("embed_param { input_dim: 100 }", None),
    ("embed_param { num_output: 16 }", None),
    ("embed_param { num_output: 16 input_dim: 0 }", "input_dim"),
])
def test_embed_needs_both_sizes(body, field):
    err = shape_error("Embed", body, [(5, 7)])
    assert (err.code, err.field) == ("G308", field)


# ---------------------------------------------------------------- Concat


def test_concat_channels():
    assert shapes_of("Concat", "", [(1, 64, 28, 28), (1, 32, 28, 28), (1, 16, 28, 28)]) == [(1, 112, 28, 28)]


def test_concat_axis_negative_and_legacy_concat_dim():
    assert shapes_of("Concat", "concat_param { axis: -1 }", [(2, 3), (2, 5)]) == [(2, 8)]
    assert shapes_of("Concat", "concat_param { concat_dim: 0 }", [(2, 3), (4, 3)]) == [(6, 3)]


def test_concat_one_bottom_is_a_copy():
    assert shapes_of("Concat", "", [(2, 3, 4)]) == [(2, 3, 4)]


def test_concat_off_axis_mismatch_points_at_the_bottom():
    err = shape_error("Concat", "", [(1, 64, 28, 28), (1, 32, 28, 28), (1, 32, 14, 14)])
    assert (err.code, err.field, err.index) == ("H401", "bottom", 2)
    err = shape_error("Concat", "", [(1, 64, 28, 28), (1, 32, 28)])
    assert (err.code, err.field, err.index) == ("H401", "bottom", 1)


@pytest.mark.parametrize("body, field, code", [
    ("concat_param { axis: 1 concat_dim: 1 }", "concat_dim", "H407"),
    ("concat_param { concat_dim: 4 }", "concat_dim", "H406"),
    ("concat_param { axis: -5 }", "axis", "H406"),
])
def test_concat_axis_errors(body, field, code):
    err = shape_error("Concat", body, [(1, 2, 3, 4), (1, 2, 3, 4)])
    assert (err.code, err.field) == (code, field)


def test_concat_unknowns_merge():
    assert shapes_of("Concat", "", [(None, 2, 5), (4, 3, None)]) == [(4, 5, 5)]
    assert shapes_of("Concat", "", [(4, 2, 5), None]) == [(4, None, 5)]
    assert shapes_of("Concat", "", [None, (4, 2, 5)]) == [None]


# ---------------------------------------------------------------- Slice


def test_slice_points():
    body = "slice_param { axis: 1 slice_point: 3 slice_point: 7 } top: 'a' top: 'b' top: 'c'"
    assert shapes_of("Slice", body, [(1, 10, 5)]) == [(1, 3, 5), (1, 4, 5), (1, 3, 5)]


def test_slice_equal_pieces_and_legacy_slice_dim():
    body = "slice_param { slice_dim: 0 } top: 'a' top: 'b'"
    assert shapes_of("Slice", body, [(8, 3)]) == [(4, 3), (4, 3)]
    assert shapes_of("Slice", "top: 'a' top: 'b' top: 'c'", [(2, 6, 4)]) == [(2, 2, 4)] * 3


def test_slice_point_at_the_end_leaves_an_empty_top():
    # Caffe builds this: the last top has 0 rows (only points beyond the end abort)
    body = "slice_param { slice_point: 2 slice_point: 4 } top: 'a' top: 'b' top: 'c'"
    assert shapes_of("Slice", body, [(1, 4)]) == [(1, 2), (1, 2), (1, 0)]


@pytest.mark.parametrize("body, bottom, field, index, code", [
    ("slice_param { slice_point: 5 slice_point: 3 } top: 'a' top: 'b' top: 'c'", (1, 10), "slice_point", 1, "H405"),
    ("slice_param { slice_point: 0 } top: 'a' top: 'b'", (1, 10), "slice_point", 0, "H405"),
    ("slice_param { slice_point: 12 } top: 'a' top: 'b'", (1, 10), "slice_point", 0, "H405"),
    ("slice_param { slice_point: 3 slice_point: 6 } top: 'a' top: 'b'", (1, 10), "slice_point", None, "H405"),
    ("slice_param { slice_point: 1 slice_point: 2 } top: 'a' top: 'b' top: 'c'", (1, 2), "slice_point", 1,
     "H405"),
    ("top: 'a' top: 'b' top: 'c'", (1, 10), "top", None, "H405"),
    ("slice_param { axis: 1 slice_dim: 1 } top: 'a' top: 'b'", (1, 10), "slice_dim", None, "H407"),
    ("slice_param { slice_dim: 2 } top: 'a' top: 'b'", (1, 10), "slice_dim", None, "H406"),
    ("slice_param { axis: 2 } top: 'a' top: 'b'", (1, 10), "axis", None, "H406"),
])
def test_slice_errors(body, bottom, field, index, code):
    err = shape_error("Slice", body, [bottom])
    assert (err.code, err.field, err.index) == (code, field, index)


def test_slice_unknown_axis_dim():
    body = "slice_param { slice_point: 3 } top: 'a' top: 'b'"
    assert shapes_of("Slice", body, [(2, None)]) == [(2, 3), (2, None)]
    assert shapes_of("Slice", "top: 'a' top: 'b'", [(2, None)]) == [(2, None), (2, None)]


# ---------------------------------------------------------------- Split


def test_split_copies_the_shape_to_every_top():
    assert shapes_of("Split", "top: 'a' top: 'b' top: 'c'", [(2, 3)]) == [(2, 3)] * 3


# ---------------------------------------------------------------- Eltwise


def test_eltwise_same_shape():
    assert shapes_of("Eltwise", "", [(1, 256, 56, 56)] * 3) == [(1, 256, 56, 56)]
    assert shapes_of("Eltwise", "eltwise_param { operation: PROD }", [(2, None), (None, 5)]) == [(2, 5)]


def test_eltwise_shape_mismatch_points_at_the_bottom():
    err = shape_error("Eltwise", "", [(1, 256, 56, 56), (1, 256, 56, 56), (1, 128, 56, 56)])
    assert (err.code, err.field, err.index) == ("H401", "bottom", 2)
    err = shape_error("Eltwise", "", [(1, 256, 56, 56), (1, 256, 56)])
    assert (err.code, err.field, err.index) == ("H401", "bottom", 1)


@pytest.mark.parametrize("body", [
    "eltwise_param { operation: SUM coeff: 1 coeff: -1 coeff: 1 }",
    "eltwise_param { operation: PROD coeff: 1 coeff: 1 }",
])
def test_eltwise_coeff_errors(body):
    err = shape_error("Eltwise", body, [(2, 3), (2, 3)])
    assert (err.code, err.field) == ("H407", "coeff")


def test_eltwise_macs():
    b = [(2, 3, 4, 4)] * 2
    assert macs_of("Eltwise", "", b) == 0
    assert macs_of("Eltwise", "eltwise_param { operation: MAX }", b) == 0
    assert macs_of("Eltwise", "eltwise_param { coeff: 1 coeff: -1 }", b) == 2 * 96
    assert macs_of("Eltwise", "eltwise_param { operation: PROD }", b + [(2, 3, 4, 4)]) == 2 * 96


# ---------------------------------------------------------------- Flatten


@pytest.mark.parametrize("body, out", [
    ("", (2, 60)),
    ("flatten_param { axis: 2 }", (2, 3, 20)),
    ("flatten_param { axis: 1 end_axis: 2 }", (2, 12, 5)),
    ("flatten_param { axis: 0 }", (120,)),
    ("flatten_param { axis: -2 end_axis: -1 }", (2, 3, 20)),
    ("flatten_param { axis: 2 end_axis: 1 }", (2, 3, 1, 4, 5)),  # an empty span: Caffe inserts a 1
])
def test_flatten(body, out):
    assert shapes_of("Flatten", body, [(2, 3, 4, 5)]) == [out]


def test_flatten_errors():
    err = shape_error("Flatten", "flatten_param { axis: 3 end_axis: 1 }", [(2, 3, 4, 5)])
    assert (err.code, err.field) == ("H406", "end_axis")
    err = shape_error("Flatten", "flatten_param { end_axis: 4 }", [(2, 3, 4, 5)])
    assert (err.code, err.field) == ("H406", "end_axis")
    assert shapes_of("Flatten", "", [(None, 3, 4)]) == [(None, 12)]


# ---------------------------------------------------------------- Reshape


@pytest.mark.parametrize("body, bottom, out", [
    ("shape { dim: 0 dim: -1 }", (2, 3, 4, 5), (2, 60)),
    ("shape { dim: 0 dim: 0 dim: -1 }", (2, 3, 4, 5), (2, 3, 20)),
    ("shape { dim: -1 }", (2, 3, 4, 5), (120,)),
    ("shape { dim: 6 dim: 4 dim: 5 }", (2, 3, 4, 5), (6, 4, 5)),
    ("shape { dim: 12 } axis: 1 num_axes: 2", (2, 3, 4, 5), (2, 12, 5)),
    ("shape { dim: 2 dim: 2 } axis: 2 num_axes: 1", (2, 3, 4, 5), (2, 3, 2, 2, 5)),
    ("shape { dim: 1 } axis: -1 num_axes: 0", (2, 3, 4, 5), (2, 3, 4, 5, 1)),  # axis -1 = after the last
    ("shape { dim: -1 dim: 1 } axis: -2", (2, 3, 4, 5), (2, 3, 4, 5, 1)),
    ("shape { dim: 1 dim: 1 } axis: 0 num_axes: 0", (2, 3), (1, 1, 2, 3)),
    ("shape { } axis: 1 num_axes: 1", (2, 1, 3), (2, 3)),  # drops a unit axis
    ("shape { dim: 0 dim: -1 }", (None, 3, 4, 5), (None, 60)),  # the unknown batch cancels out
    ("shape { dim: -1 dim: 3 }", (None, 3, 4, 5), (None, 3)),
    ("shape { dim: 0 dim: 3 dim: -1 }", (2, None, 4), (2, 3, None)),
])
def test_reshape(body, bottom, out):
    assert shapes_of("Reshape", f"reshape_param {{ {body} }}", [bottom]) == [out]


@pytest.mark.parametrize("body, field, index, code", [
    ("shape { dim: -1 dim: -1 }", "shape", 1, "H404"),
    ("shape { dim: 7 dim: -1 }", "shape", 1, "H404"),
    ("shape { dim: 2 dim: 3 }", "shape", None, "H404"),
    ("shape { dim: 0 dim: 0 dim: -1 } num_axes: 1", "shape", 2, "H404"),  # 120 / (2*3*60)
    ("shape { dim: -2 dim: 60 }", "shape", 0, "H407"),
    ("shape { dim: 0 dim: 0 dim: 0 } axis: 2", "shape", 2, "H407"),
    ("shape { dim: 1 } axis: 5", "axis", None, "H406"),
    ("shape { dim: 1 } axis: -6", "axis", None, "H406"),
    ("shape { dim: 120 } num_axes: -2", "num_axes", None, "H407"),
    ("shape { dim: 20 } axis: 2 num_axes: 3", "num_axes", None, "H406"),
])
def test_reshape_errors(body, field, index, code):
    err = shape_error("Reshape", f"reshape_param {{ {body} }}", [(2, 3, 4, 5)])
    assert (err.code, err.field, err.index) == (code, field, index)


# ---------------------------------------------------------------- Softmax


def test_softmax():
    assert shapes_of("Softmax", "", [(10, 1000)]) == [(10, 1000)]
    err = shape_error("Softmax", "softmax_param { axis: 2 }", [(10, 1000)])
    assert (err.code, err.field) == ("H406", "axis")


# ---------------------------------------------------------------- ArgMax


@pytest.mark.parametrize("body, bottom, out", [
    ("", (10, 1000), (10, 1, 1)),  # at least 3 axes: [N, 1, top_k]
    ("argmax_param { top_k: 5 }", (10, 1000), (10, 1, 5)),
    ("argmax_param { top_k: 5 out_max_val: true }", (10, 1000), (10, 2, 5)),
    ("argmax_param { top_k: 2 }", (10, 3, 4, 5), (10, 1, 2, 1)),
    ("argmax_param { axis: 1 }", (10, 3, 4, 5), (10, 1, 4, 5)),
    ("argmax_param { axis: 1 top_k: 2 out_max_val: true }", (10, 3, 4, 5), (10, 2, 4, 5)),
    ("argmax_param { axis: -1 top_k: 3 }", (10, 3, 4, 5), (10, 3, 4, 3)),
    ("argmax_param { top_k: 3 }", (None, 10), (None, 1, 3)),
])
def test_argmax(body, bottom, out):
    assert shapes_of("ArgMax", body, [bottom]) == [out]


@pytest.mark.parametrize("body, bottom, field, code", [
    ("argmax_param { top_k: 4 }", (10, 3), "top_k", "H407"),
    ("argmax_param { top_k: 4 axis: 1 }", (10, 3, 8), "top_k", "H407"),
    ("argmax_param { top_k: 0 }", (10, 3), "top_k", "H407"),
    ("argmax_param { axis: 3 }", (10, 3, 8), "axis", "H406"),
    ("", (), "bottom", "H406"),
])
def test_argmax_errors(body, bottom, field, code):
    err = shape_error("ArgMax", body, [bottom])
    assert (err.code, err.field) == (code, field)


# ---------------------------------------------------------------- Tile and Reduction


def test_tile():
    assert shapes_of("Tile", "tile_param { tiles: 4 }", [(2, 3)]) == [(2, 12)]
    assert shapes_of("Tile", "tile_param { axis: 0 tiles: 2 }", [(2, 3)]) == [(4, 3)]
    err = shape_error("Tile", "tile_param { axis: 0 }", [(2, 3)])
    assert (err.code, err.field) == ("G308", None)
    err = shape_error("Tile", "tile_param { tiles: 0 }", [(2, 3)])
    assert (err.code, err.field) == ("H407", "tiles")


@pytest.mark.parametrize("body, out", [
    ("", ()),
    ("reduction_param { axis: 1 operation: MEAN }", (2,)),
    ("reduction_param { axis: -1 operation: SUMSQ }", (2, 3)),
])
def test_reduction_keeps_the_axes_before_axis(body, out):
    assert shapes_of("Reduction", body, [(2, 3, 4)]) == [out]


# ---------------------------------------------------------------- BatchNorm


def test_batch_norm():
    assert shapes_of("BatchNorm", "", [(2, 16, 8, 8)]) == [(2, 16, 8, 8)]
    assert weights_of("BatchNorm", "", [(2, 16, 8, 8)]) == [(16,), (16,), (1,)]
    assert weights_of("BatchNorm", "", [(2, 16)]) == [(16,), (16,), (1,)]
    fixed = "param { lr_mult: 0 } param { lr_mult: 0 } param { lr_mult: 0 }"
    assert shapes_of("BatchNorm", fixed, [(2, 16, 8, 8)]) == [(2, 16, 8, 8)]


@pytest.mark.parametrize("body, index", [
    ("param { lr_mult: 1 }", 0),
    ("param { lr_mult: 0 } param { decay_mult: 0 }", 1),  # lr_mult defaults to 1
])
def test_batch_norm_statistics_cannot_be_learned(body, index):
    err = shape_error("BatchNorm", body, [(2, 16, 8, 8)])
    assert (err.code, err.field, err.index) == ("H407", "param", index)


def test_batch_norm_needs_a_channel_axis():
    err = shape_error("BatchNorm", "", [(16,)])
    assert (err.code, err.field) == ("H406", "bottom")


# ---------------------------------------------------------------- Scale and Bias


@pytest.mark.parametrize("body, weights", [
    ("", [(16,)]),
    ("scale_param { bias_term: true }", [(16,), (16,)]),
    ("scale_param { axis: 0 num_axes: -1 }", [(2, 16, 8, 8)]),
    ("scale_param { axis: 1 num_axes: 2 }", [(16, 8)]),
    ("scale_param { num_axes: 0 bias_term: true }", [(), ()]),
    ("scale_param { axis: -2 }", [(8,)]),
])
def test_scale_one_bottom(body, weights):
    assert shapes_of("Scale", body, [(2, 16, 8, 8)]) == [(2, 16, 8, 8)]
    assert weights_of("Scale", body, [(2, 16, 8, 8)]) == weights


def test_scale_two_bottoms():
    b = [(2, 16, 8, 8), (2, 16)]
    assert shapes_of("Scale", "scale_param { axis: 0 }", b) == [(2, 16, 8, 8)]
    assert weights_of("Scale", "scale_param { axis: 0 }", b) == []
    assert weights_of("Scale", "scale_param { axis: 0 bias_term: true }", b) == [(2, 16)]
    assert shapes_of("Scale", "", [(2, 16, 8, 8), (16, 8)]) == [(2, 16, 8, 8)]
    assert shapes_of("Scale", "scale_param { axis: 3 }", [(2, 16, 8, 8), ()]) == [(2, 16, 8, 8)]  # scalar


@pytest.mark.parametrize("body, bottoms, field, index, code", [
    ("", [(2, 16, 8, 8), (16, 4)], "bottom", 1, "H401"),
    ("scale_param { axis: 2 }", [(2, 16, 8, 8), (8, 8, 2)], "bottom", 1, "H401"),
    ("scale_param { num_axes: 4 }", [(2, 16, 8, 8)], "num_axes", None, "H406"),
    ("scale_param { num_axes: -2 }", [(2, 16, 8, 8)], "num_axes", None, "H407"),
    ("scale_param { axis: 4 }", [(2, 16, 8, 8)], "axis", None, "H406"),
    ("scale_param { axis: 4 num_axes: 0 }", [(2, 16, 8, 8)], "axis", None, "H406"),
])
def test_scale_errors(body, bottoms, field, index, code):
    err = shape_error("Scale", body, bottoms)
    assert (err.code, err.field, err.index) == (code, field, index)


def test_scale_bias_weights_with_a_second_bottom_too_long():
    ctx = make_ctx("Scale", "scale_param { axis: 3 bias_term: true }", [(2, 16, 8, 8), (8, 8)])
    with pytest.raises(ShapeError) as exc:
        layer_spec("Scale").weights(ctx)
    assert (exc.value.code, exc.value.field, exc.value.index) == ("H401", "bottom", 1)


def test_scale_macs_one_per_element():
    assert macs_of("Scale", "", [(2, 16, 8, 8)]) == 2 * 16 * 64


def test_bias():
    assert shapes_of("Bias", "", [(2, 16, 8, 8)]) == [(2, 16, 8, 8)]
    assert weights_of("Bias", "", [(2, 16, 8, 8)]) == [(16,)]
    assert weights_of("Bias", "bias_param { axis: 0 num_axes: 2 }", [(2, 16, 8, 8)]) == [(2, 16)]
    assert weights_of("Bias", "", [(2, 16, 8, 8), (16,)]) == []
    err = shape_error("Bias", "", [(2, 16, 8, 8), (8,)])
    assert (err.code, err.field, err.index) == ("H401", "bottom", 1)
    assert macs_of("Bias", "", [(2, 16, 8, 8)]) == 0


# ---------------------------------------------------------------- MVN


@pytest.mark.parametrize("bottom, out", [
    ((2, 3, 4, 5), (2, 3, 4, 5)),
    ((2, 3), (2, 3, 1, 1)),  # Caffe reshapes the top with num/channels/height/width
    ((7,), (7, 1, 1, 1)),
])
def test_mvn_top_is_4d(bottom, out):
    assert shapes_of("MVN", "mvn_param { across_channels: true }", [bottom]) == [out]


def test_mvn_more_than_4_axes():
    err = shape_error("MVN", "", [(1, 2, 3, 4, 5)])
    assert (err.code, err.field) == ("H406", "bottom")


# ---------------------------------------------------------------- Filter, BatchReindex, Silence, Parameter


def test_filter_first_dim_is_data_dependent():
    b = [(10, 3, 4), (10, 5), (10, 1)]
    assert shapes_of("Filter", "top: 'a' top: 'b'", b) == [(None, 3, 4), (None, 5)]


@pytest.mark.parametrize("bottoms, n_tops, field, index, code", [
    ([(10, 3), (10, 5), (10, 1)], 1, "top", None, "H407"),
    ([(10, 3), (10, 2)], 1, "bottom", 1, "H401"),
    ([(9, 3), (10, 1)], 1, "bottom", 0, "H401"),
])
def test_filter_errors(bottoms, n_tops, field, index, code):
    err = shape_error("Filter", "", bottoms, n_tops)
    assert (err.code, err.field, err.index) == (code, field, index)


def test_batch_reindex():
    assert shapes_of("BatchReindex", "", [(10, 3, 4), (6,)]) == [(6, 3, 4)]
    assert shapes_of("BatchReindex", "", [(10, 3, 4), None]) == [(None, 3, 4)]
    err = shape_error("BatchReindex", "", [(10, 3, 4), (6, 1)])
    assert (err.code, err.field, err.index) == ("H401", "bottom", 1)


def test_silence_has_no_tops():
    assert shapes_of("Silence", "", [(2, 3), (4,)], n_tops=0) == []


def test_parameter_top_and_weight_are_its_shape():
    body = "parameter_param { shape { dim: 3 dim: 4 } }"
    assert shapes_of("Parameter", body, []) == [(3, 4)]
    assert weights_of("Parameter", body, []) == [(3, 4)]
    err = shape_error("Parameter", "parameter_param { shape { dim: 3 dim: -4 } }", [])
    assert (err.code, err.field, err.index) == ("H407", "shape", 1)


# ---------------------------------------------------------------- unknowns everywhere


@pytest.mark.parametrize("type_name, body, n_bottoms", [
    ("InnerProduct", "inner_product_param { num_output: 3 }", 1),
    ("Concat", "", 2), ("Slice", "", 1), ("Split", "", 1), ("Eltwise", "", 2), ("Flatten", "", 1),
    ("Reshape", "reshape_param { shape { dim: -1 } }", 1), ("Softmax", "", 1), ("ArgMax", "", 1),
    ("Tile", "tile_param { tiles: 2 }", 1), ("Reduction", "", 1), ("BatchNorm", "", 1), ("Scale", "", 1),
    ("Bias", "", 1), ("MVN", "", 1), ("Embed", "embed_param { input_dim: 3 num_output: 2 }", 1),
])
def test_unknown_rank_gives_unknown_top(type_name, body, n_bottoms):
    assert shapes_of(type_name, body, [None] * n_bottoms) == [None]


# ---------------------------------------------------------------- registry facts


@pytest.mark.parametrize("type_name, bottoms, tops, in_place, v1, v0", [
    ("InnerProduct", (1, 1), (1, 1), False, "INNER_PRODUCT", ("innerproduct",)),
    ("Embed", (1, 1), (1, 1), False, None, ()),
    ("Concat", (1, None), (1, 1), False, "CONCAT", ("concat",)),
    ("Slice", (1, 1), (1, None), False, "SLICE", ()),
    ("Split", (1, 1), (1, None), False, "SPLIT", ("split",)),
    ("Eltwise", (2, None), (1, 1), False, "ELTWISE", ()),
    ("Flatten", (1, 1), (1, 1), False, "FLATTEN", ("flatten",)),
    ("Reshape", (1, 1), (1, 1), False, None, ()),
    ("Softmax", (1, 1), (1, 1), True, "SOFTMAX", ("softmax",)),
    ("ArgMax", (1, 1), (1, 1), False, "ARGMAX", ()),
    ("Tile", (1, 1), (1, 1), False, None, ()),
    ("Reduction", (1, 1), (1, 1), False, None, ()),
    ("BatchNorm", (1, 1), (1, 1), True, None, ()),
    ("Scale", (1, 2), (1, 1), True, None, ()),
    ("Bias", (1, 2), (1, 1), True, None, ()),
    ("MVN", (1, 1), (1, 1), False, "MVN", ()),
    ("Filter", (2, None), (1, None), False, None, ()),
    ("BatchReindex", (2, 2), (1, 1), False, None, ()),
    ("Silence", (1, None), (0, 0), False, "SILENCE", ()),
    ("Parameter", (0, 0), (1, 1), False, None, ()),
])
def test_common_spec_facts(type_name, bottoms, tops, in_place, v1, v0):
    spec = layer_spec(type_name)
    assert (spec.bottoms, spec.tops, spec.in_place, spec.v1_name, spec.v0_names) == (
        bottoms, tops, in_place, v1, v0)
    assert spec.doc and not spec.is_loss and not spec.is_data


def test_every_shape_error_has_a_known_code():
    codes = {"H401", "H402", "H403", "H404", "H405", "H406", "H407", "G308"}
    err = shape_error("Reshape", "reshape_param { shape { dim: 7 } }", [(2, 3)])
    assert isinstance(err, ShapeError) and err.code in codes and err.message


# ---------------------------------------------------------------- against real Caffe


def _oracle_layers(corpus):
    """(case, type, layer text, bottom dims, top dims, weight dims) for every layer of this
    module's and test_layers_vision's types that real Caffe set up in the corpus."""
    from prototxt_ls.syntax.parser import parse
    from prototxt_ls.syntax.tree import Message

    oracle = corpus / "oracle"
    if not (oracle / "shapes").is_dir():
        return []
    out = []
    for case in sorted((oracle / "shapes").rglob("*.json")):
        data = json.loads(case.read_text())
        if not data.get("materialized"):
            continue
        mat = corpus.parent.parent / data["materialized"]
        if not mat.is_file():
            mat = oracle / "materialized" / str(case.relative_to(oracle / "shapes"))[:-5]
        if not mat.is_file():
            continue
        src = mat.read_text()
        layers = [f.value for f in parse(src).root.fields if f.name == "layer" and isinstance(f.value, Message)]
        for phase, want in data["phases"].items():
            if not want.get("ok"):
                continue
            for lay in layers:
                if not _in_phase(lay, phase):
                    continue
                typ = _strings(lay, "type")
                if not typ or typ[0] not in _MINE:
                    continue
                bots, tops = _strings(lay, "bottom"), _strings(lay, "top")
                if any(b not in want["blobs"] for b in bots):
                    continue
                body = " ".join(src[f.range.start.offset:f.range.end.offset] for f in lay.fields if f.name != "type")
                name = _strings(lay, "name")[0]
                out.append((f"{case.relative_to(oracle)}:{phase}:{name}", typ[0], body, [want["blobs"][b] for b in bots],
                            [want["blobs"].get(t) for t in tops], want.get("params", {}).get(name, [])))
    return out


_MINE = {"InnerProduct", "Embed", "Concat", "Slice", "Split", "Eltwise", "Flatten", "Reshape", "Softmax", "ArgMax",
         "Tile", "Reduction", "BatchNorm", "Scale", "Bias", "MVN", "Filter", "BatchReindex", "Silence", "Parameter",
         "Convolution", "Deconvolution", "Im2col", "Pooling", "SPP", "LRN", "Crop"}


def _strings(msg, name):
    return [f.value.string_value for f in msg.fields if f.name == name and hasattr(f.value, "string_value")]


def _in_phase(layer, phase) -> bool:
    from prototxt_ls.syntax.tree import Message

    def rule_phase(rule):
        return next((f.value.text for f in rule.fields if f.name == "phase"), None)

    inc = [f.value for f in layer.fields if f.name == "include" and isinstance(f.value, Message)]
    exc = [f.value for f in layer.fields if f.name == "exclude" and isinstance(f.value, Message)]
    if inc and not any(rule_phase(r) in (None, phase) for r in inc):
        return False
    return not any(rule_phase(r) == phase for r in exc)


@pytest.mark.corpus
def test_registry_matches_real_caffe_on_the_corpus(corpus):
    cases = _oracle_layers(corpus)
    if not cases:
        pytest.skip("no oracle shapes in ../shared/corpus")
    wrong = []
    for case_id, typ, body, bottoms, tops, params in cases:
        ctx = make_ctx(typ, body, bottoms)
        spec = layer_spec(typ)
        try:
            got = [to_json(s) for s in spec.shape(ctx)]
            weights = [to_json(w) for w in (spec.weights(ctx) if spec.weights else [])]
        except ShapeError as e:
            wrong.append((case_id, f"refused: {e.message}"))
            continue
        for g, want in zip(got, tops):
            if want is not None and g != want:
                wrong.append((case_id, f"top {g}, Caffe {want}"))
        if weights != params:
            wrong.append((case_id, f"weights {weights}, Caffe {params}"))
    assert not wrong, wrong[:10]
