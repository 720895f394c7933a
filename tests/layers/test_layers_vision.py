"""Vision layers against hand-computed BVLC Caffe results.

Convolution and Im2col divide like C (truncating toward zero); Pooling rounds
up by default, then drops a last window that would start in the padding.
"""

from __future__ import annotations

import pytest
from layer_helpers import layer_spec, macs_of, shape_error, shapes_of, weights_of

# ---------------------------------------------------------------- Convolution

ALEXNET_CONV2 = "convolution_param { num_output: 256 pad: 2 kernel_size: 5 group: 2 }"


def test_alexnet_conv1_output():
    body = "convolution_param { num_output: 96 kernel_size: 11 stride: 4 }"
    assert shapes_of("Convolution", body, [(10, 3, 227, 227)]) == [(10, 96, 55, 55)]
    assert weights_of("Convolution", body, [(10, 3, 227, 227)]) == [(96, 3, 11, 11), (96,)]


def test_alexnet_conv2_groups_halve_the_weight_input_channels():
    assert shapes_of("Convolution", ALEXNET_CONV2, [(10, 96, 27, 27)]) == [(10, 256, 27, 27)]
    assert weights_of("Convolution", ALEXNET_CONV2, [(10, 96, 27, 27)]) == [(256, 48, 5, 5), (256,)]


def test_conv_macs_count_channels_per_group_times_kernel_per_output():
    # 10*256*27*27 outputs, each 48*5*5 multiply-accumulates
    assert macs_of("Convolution", ALEXNET_CONV2, [(10, 96, 27, 27)]) == 10 * 256 * 27 * 27 * 48 * 25


def test_dilation_enlarges_the_window():
    body = "convolution_param { num_output: 8 kernel_size: 3 dilation: 2 pad: 2 }"
    assert shapes_of("Convolution", body, [(1, 4, 32, 32)]) == [(1, 8, 32, 32)]
    body = "convolution_param { num_output: 8 kernel_size: 3 dilation: 4 }"
    assert shapes_of("Convolution", body, [(1, 4, 32, 32)]) == [(1, 8, 24, 24)]  # extent 9


def test_non_square_kernel_and_stride():
    body = "convolution_param { num_output: 2 kernel_h: 3 kernel_w: 1 stride_h: 2 stride_w: 1 pad_h: 1 pad_w: 0 }"
    assert shapes_of("Convolution", body, [(1, 1, 9, 9)]) == [(1, 2, 5, 9)]
    assert weights_of("Convolution", body, [(1, 1, 9, 9)]) == [(2, 1, 3, 1), (2,)]


def test_nd_convolution_with_per_axis_stride():
    body = "convolution_param { num_output: 4 kernel_size: 3 stride: 1 stride: 2 stride: 2 pad: 1 bias_term: false }"
    assert shapes_of("Convolution", body, [(2, 3, 16, 32, 32)]) == [(2, 4, 16, 16, 16)]
    assert weights_of("Convolution", body, [(2, 3, 16, 32, 32)]) == [(4, 3, 3, 3, 3)]


def test_conv_divides_like_c_a_window_slightly_too_big_still_gives_one_output():
    # (3 - 5) / 4 truncates to 0 in C++, so Caffe builds a 1x1 output.
    body = "convolution_param { num_output: 2 kernel_size: 5 stride: 4 }"
    assert shapes_of("Convolution", body, [(1, 1, 3, 3)]) == [(1, 2, 1, 1)]


def test_conv_empty_output_is_h402():
    err = shape_error("Convolution", "convolution_param { num_output: 2 kernel_size: 5 }", [(1, 1, 3, 3)])
    assert (err.code, err.field) == ("H402", "kernel_size")


def test_conv_with_no_spatial_axes_needs_no_kernel():
    # axis 1 of a 2-axis blob: Caffe accepts no kernel_size (an inner product)
    body = "convolution_param { num_output: 7 }"
    assert shapes_of("Convolution", body, [(4, 10)]) == [(4, 7)]
    assert weights_of("Convolution", body, [(4, 10)]) == [(7, 10), (7,)]


def test_conv_several_bottoms_give_tops_of_bottom_0s_shape():
    body = "convolution_param { num_output: 8 kernel_size: 3 } top: 'a' top: 'b'"
    assert shapes_of("Convolution", body, [(1, 3, 8, 8), (1, 3, 8, 8)]) == [(1, 8, 6, 6)] * 2
    err = shape_error("Convolution", body, [(1, 3, 8, 8), (1, 3, 9, 8)])
    assert (err.code, err.field, err.index) == ("H401", "bottom", 1)


def test_conv_lone_stride_h_leaves_stride_w_zero():
    # stride_w has no default in caffe.proto: Caffe reads 0 and aborts.
    err = shape_error("Convolution", "convolution_param { num_output: 2 kernel_size: 3 stride_h: 2 }",
                      [(1, 1, 9, 9)])
    assert (err.code, err.field) == ("H407", "stride_w")


def test_conv_lone_pad_h_is_fine():
    body = "convolution_param { num_output: 2 kernel_size: 3 pad_h: 1 }"
    assert shapes_of("Convolution", body, [(1, 1, 9, 9)]) == [(1, 2, 9, 7)]


@pytest.mark.parametrize("body, field, code", [
    ("convolution_param { kernel_size: 3 }", None, "G308"),
    ("convolution_param { num_output: 4 }", None, "G308"),
    ("convolution_param { num_output: 4 kernel_h: 3 }", "kernel_h", "G308"),
    ("convolution_param { num_output: 4 kernel_size: 3 kernel_h: 3 kernel_w: 3 }", "kernel_size", "H407"),
    ("convolution_param { num_output: 4 kernel_size: 3 group: 2 }", "group", "H407"),
    ("convolution_param { num_output: 4 kernel_size: 3 group: 3 }", "num_output", "H407"),
    ("convolution_param { num_output: 4 kernel_size: 3 kernel_size: 3 kernel_size: 3 }", "kernel_size", "H407"),
    ("convolution_param { num_output: 4 kernel_size: 3 dilation: 1 dilation: 1 dilation: 1 }", "dilation",
     "H407"),
    ("convolution_param { num_output: 4 kernel_size: 3 axis: 4 }", "axis", "H406"),
    ("convolution_param { num_output: 4 kernel_size: 3 group: 0 }", "group", "H407"),
    ("convolution_param { num_output: 4 kernel_size: 0 }", "kernel_size", "H407"),
])
def test_conv_parameter_errors(body, field, code):
    err = shape_error("Convolution", body, [(1, 3, 9, 9)])
    assert (err.code, err.field) == (code, field)


def test_conv_kernel_h_needs_two_spatial_axes():
    err = shape_error("Convolution", "convolution_param { num_output: 4 kernel_h: 3 kernel_w: 3 }",
                      [(1, 3, 9, 9, 9)])
    assert (err.code, err.field) == ("H407", "kernel_h")


def test_conv_unknown_input_gives_unknown_top_and_known_bias():
    body = "convolution_param { num_output: 4 kernel_size: 3 }"
    assert shapes_of("Convolution", body, [None]) == [None]
    assert weights_of("Convolution", body, [None]) == [None, (4,)]
    assert shapes_of("Convolution", body, [(None, 3, None, 9)]) == [(None, 4, None, 7)]
    assert weights_of("Convolution", body, [(None, None, 9, 9)]) == [(4, None, 3, 3), (4,)]


# ---------------------------------------------------------------- Deconvolution


def test_fcn32s_upscore():
    body = "convolution_param { num_output: 21 bias_term: false kernel_size: 64 stride: 32 }"
    assert shapes_of("Deconvolution", body, [(1, 21, 16, 16)]) == [(1, 21, 544, 544)]
    assert weights_of("Deconvolution", body, [(1, 21, 16, 16)]) == [(21, 21, 64, 64)]


def test_deconv_weights_are_input_channels_first():
    body = "convolution_param { num_output: 16 kernel_size: 4 stride: 2 pad: 1 group: 2 }"
    assert shapes_of("Deconvolution", body, [(1, 8, 10, 10)]) == [(1, 16, 20, 20)]
    assert weights_of("Deconvolution", body, [(1, 8, 10, 10)]) == [(8, 8, 4, 4), (16,)]
    # every input point is spread over (num_output/group) x kernel outputs
    assert macs_of("Deconvolution", body, [(1, 8, 10, 10)]) == 8 * 10 * 10 * 8 * 16


def test_deconv_dilation():
    body = "convolution_param { num_output: 1 kernel_size: 3 stride: 2 dilation: 2 }"
    assert shapes_of("Deconvolution", body, [(1, 1, 5, 5)]) == [(1, 1, 13, 13)]  # 2*4 + 5


def test_deconv_padding_too_large_is_h402():
    err = shape_error("Deconvolution", "convolution_param { num_output: 1 kernel_size: 2 pad: 1 }", [(1, 1, 1, 1)])
    assert err.code == "H402"


# ---------------------------------------------------------------- Im2col


def test_im2col():
    body = "convolution_param { kernel_size: 3 }"
    assert shapes_of("Im2col", body, [(2, 3, 10, 10)]) == [(2, 27, 8, 8)]
    body = "convolution_param { kernel_h: 2 kernel_w: 3 stride: 2 pad: 1 }"
    assert shapes_of("Im2col", body, [(1, 4, 7, 7)]) == [(1, 24, 4, 4)]
    assert macs_of("Im2col", body, [(1, 4, 7, 7)]) == 0


def test_im2col_needs_a_spatial_axis():
    err = shape_error("Im2col", "convolution_param { kernel_size: 3 }", [(4, 10)])
    assert (err.code, err.field) == ("H406", "axis")


# ---------------------------------------------------------------- Pooling


@pytest.mark.parametrize("body, size, out", [
    ("kernel_size: 3 stride: 2 pad: 1", 7, 4),  # ceil(6/2)+1 = 4, no clip
    ("kernel_size: 3 stride: 2", 6, 3),  # ceil(3/2)+1
    ("kernel_size: 3 stride: 2 round_mode: FLOOR", 6, 2),  # floor(3/2)+1
    ("kernel_size: 3 stride: 2", 55, 27),  # AlexNet pool1
    ("kernel_size: 3 stride: 2", 13, 6),  # AlexNet pool5
    ("kernel_size: 3 stride: 2", 112, 56),  # ResNet pool1
    ("kernel_size: 2 stride: 2 pad: 1", 5, 3),  # ceil(5/2)+1 = 4, last window starts in the padding
    ("kernel_size: 2 stride: 2 pad: 1 round_mode: FLOOR", 5, 3),
    ("kernel_size: 3 stride: 1 pad: 1", 9, 9),
    ("kernel_size: 3 stride: 2", 2, 1),  # window larger than the input: ceil(-0.5) = 0 -> 1
])
def test_pooled_size(body, size, out):
    assert shapes_of("Pooling", f"pooling_param {{ pool: MAX {body} }}", [(2, 3, size, size)]) == [
        (2, 3, out, out)]


def test_pooling_non_square():
    body = "pooling_param { kernel_h: 3 kernel_w: 2 stride_h: 2 stride_w: 1 }"
    assert shapes_of("Pooling", body, [(1, 1, 7, 5)]) == [(1, 1, 3, 4)]


def test_pooling_clip_applies_to_both_axes_when_any_pad_is_set():
    body = "pooling_param { kernel_h: 3 kernel_w: 1 stride_h: 1 stride_w: 3 pad_h: 1 pad_w: 0 }"
    # width: ceil(4/3)+1 = 3, but with padding on (height) the last window (at 6 >= 5) is dropped
    assert shapes_of("Pooling", body, [(1, 1, 5, 5)]) == [(1, 1, 5, 2)]
    body = "pooling_param { kernel_h: 3 kernel_w: 1 stride_h: 1 stride_w: 3 }"
    assert shapes_of("Pooling", body, [(1, 1, 5, 5)]) == [(1, 1, 3, 3)]


def test_global_pooling():
    body = "pooling_param { pool: AVE global_pooling: true }"
    assert shapes_of("Pooling", body, [(8, 2048, 7, 7)]) == [(8, 2048, 1, 1)]
    assert shapes_of("Pooling", body, [(8, 2048, None, None)]) == [(8, 2048, 1, 1)]


def test_pooling_mask_top():
    body = "pooling_param { pool: MAX kernel_size: 2 stride: 2 } top: 'pool' top: 'mask'"
    assert shapes_of("Pooling", body, [(1, 64, 10, 10)]) == [(1, 64, 5, 5)] * 2
    err = shape_error("Pooling", "pooling_param { pool: AVE kernel_size: 2 } top: 'pool' top: 'mask'",
                      [(1, 64, 10, 10)])
    assert (err.field, err.index) == ("top", 1)


@pytest.mark.parametrize("body, field, code", [
    ("pooling_param { }", None, "G308"),
    ("pooling_param { kernel_h: 3 }", "kernel_h", "G308"),
    ("pooling_param { kernel_size: 3 kernel_h: 3 kernel_w: 3 }", "kernel_size", "H407"),
    ("pooling_param { global_pooling: true kernel_size: 3 }", "kernel_size", "H407"),
    ("pooling_param { global_pooling: true stride: 2 }", "stride", "H407"),
    ("pooling_param { global_pooling: true pad: 1 }", "pad", "H407"),
    ("pooling_param { kernel_size: 3 pad: 3 }", "pad", "H407"),
    ("pooling_param { kernel_h: 3 kernel_w: 2 pad_h: 1 pad_w: 2 }", "pad_w", "H407"),
    ("pooling_param { kernel_size: 3 pad_h: 1 }", "pad_h", "H407"),
    ("pooling_param { kernel_size: 3 pad: 1 pad_h: 1 pad_w: 1 }", "pad", "H407"),
    ("pooling_param { kernel_size: 3 stride_w: 1 }", "stride_w", "H407"),
    ("pooling_param { kernel_size: 3 pad: 1 pool: STOCHASTIC }", "pad", "H407"),
    ("pooling_param { kernel_size: 0 }", "kernel_size", "H407"),
    ("pooling_param { kernel_size: 2 stride: 0 }", "stride", "H407"),
    ("pooling_param { kernel_size: 12 round_mode: FLOOR }", "kernel_size", "H402"),
    ("pooling_param { kernel_size: 13 }", "kernel_size", "H402"),  # ceil(-3/1)+1 < 1
])
def test_pooling_errors(body, field, code):
    err = shape_error("Pooling", body, [(1, 3, 10, 10)])
    assert (err.code, err.field) == (code, field)


def test_pooling_needs_4_axes():
    err = shape_error("Pooling", "pooling_param { kernel_size: 2 }", [(1, 3, 10)])
    assert (err.code, err.field, err.index) == ("H406", "bottom", 0)


def test_pooling_unknown_dims_stay_unknown():
    body = "pooling_param { kernel_size: 3 stride: 2 }"
    assert shapes_of("Pooling", body, [(None, 3, None, 9)]) == [(None, 3, None, 4)]
    assert shapes_of("Pooling", body, [None]) == [None]
    assert macs_of("Pooling", body, [(1, 3, 9, 9)]) is None


# ---------------------------------------------------------------- SPP


def test_spp_three_levels_on_13x13():
    # levels: 1x1 (k13), 2x2 (k7 pad1), 4x4 (k4 pad2), flattened and concatenated
    body = "spp_param { pyramid_height: 3 }"
    assert shapes_of("SPP", body, [(1, 256, 13, 13)]) == [(1, 256 * (1 + 4 + 16))]


def test_spp_one_level_keeps_4_axes():
    assert shapes_of("SPP", "spp_param { pyramid_height: 1 }", [(2, 8, 9, 11)]) == [(2, 8, 1, 1)]
    assert shapes_of("SPP", "spp_param { pyramid_height: 1 }", [(2, 8, None, None)]) == [(2, 8, 1, 1)]
    assert shapes_of("SPP", "spp_param { pyramid_height: 2 }", [(2, 8, None, 9)]) == [(2, None)]


def test_spp_input_too_small_for_the_pyramid():
    # 5 rows in 4 bins: window 2, padding 2 -- Pooling refuses pad >= kernel
    err = shape_error("SPP", "spp_param { pyramid_height: 3 }", [(1, 8, 5, 5)])
    assert (err.code, err.field) == ("H407", "pyramid_height")


def test_spp_needs_pyramid_height():
    err = shape_error("SPP", "spp_param { pool: AVE }", [(1, 8, 13, 13)])
    assert (err.code, err.field) == ("G308", None)


def test_spp_empty_input():
    err = shape_error("SPP", "spp_param { pyramid_height: 2 }", [(1, 8, 0, 13)])
    assert (err.code, err.field, err.index) == ("H402", "bottom", 0)


def test_spp_stochastic_cannot_pad():
    err = shape_error("SPP", "spp_param { pyramid_height: 2 pool: STOCHASTIC }", [(1, 8, 13, 13)])
    assert (err.code, err.field) == ("H407", "pool")


# ---------------------------------------------------------------- LRN


def test_lrn_keeps_the_shape():
    for region in ("ACROSS_CHANNELS", "WITHIN_CHANNEL"):
        body = f"lrn_param {{ local_size: 5 alpha: 0.0001 beta: 0.75 norm_region: {region} }}"
        assert shapes_of("LRN", body, [(10, 96, 55, 55)]) == [(10, 96, 55, 55)]


def test_lrn_local_size_must_be_odd():
    err = shape_error("LRN", "lrn_param { local_size: 4 }", [(10, 96, 55, 55)])
    assert (err.code, err.field) == ("H407", "local_size")


def test_lrn_needs_4_axes():
    err = shape_error("LRN", "", [(10, 96)])
    assert (err.code, err.field) == ("H406", "bottom")


# ---------------------------------------------------------------- Crop


def test_fcn_crop_offset_19():
    body = "crop_param { axis: 2 offset: 19 }"
    assert shapes_of("Crop", body, [(1, 21, 544, 544), (1, 3, 500, 500)]) == [(1, 21, 500, 500)]


def test_crop_default_axis_2_keeps_num_and_channels():
    assert shapes_of("Crop", "", [(1, 21, 64, 64), (7, 3, 60, 50)]) == [(1, 21, 60, 50)]


def test_crop_offset_per_axis():
    body = "crop_param { axis: 1 offset: 0 offset: 2 offset: 3 }"
    assert shapes_of("Crop", body, [(1, 21, 64, 64), (1, 21, 62, 61)]) == [(1, 21, 62, 61)]
    err = shape_error("Crop", body, [(1, 21, 64, 64), (1, 21, 62, 62)])
    assert (err.code, err.field, err.index) == ("H403", "offset", 2)


def test_crop_larger_than_the_input_is_h403():
    err = shape_error("Crop", "crop_param { axis: 2 offset: 45 }", [(1, 21, 544, 544), (1, 3, 500, 500)])
    assert (err.code, err.field, err.index) == ("H403", "offset", 0)
    err = shape_error("Crop", "", [(1, 21, 40, 40), (1, 3, 50, 50)])
    assert (err.code, err.field, err.index) == ("H403", "bottom", 1)


def test_crop_offset_count_must_match_the_cropped_axes():
    err = shape_error("Crop", "crop_param { axis: 2 offset: 1 offset: 2 offset: 3 }",
                      [(1, 21, 64, 64), (1, 3, 60, 60)])
    assert (err.code, err.field) == ("H407", "offset")


def test_crop_axis_out_of_range_and_short_reference():
    err = shape_error("Crop", "crop_param { axis: 4 }", [(1, 21, 64, 64), (1, 3, 60, 60)])
    assert (err.code, err.field) == ("H406", "axis")
    err = shape_error("Crop", "", [(1, 21, 64, 64), (1, 3, 60)])
    assert (err.code, err.field, err.index) == ("H401", "bottom", 1)


def test_crop_unknown_reference_gives_unknown_cropped_dims():
    assert shapes_of("Crop", "", [(1, 21, 64, 64), None]) == [(1, 21, None, None)]


# ---------------------------------------------------------------- registry facts


@pytest.mark.parametrize("type_name, bottoms, tops, v1, v0", [
    ("Convolution", (1, None), (1, None), "CONVOLUTION", ("conv",)),
    ("Deconvolution", (1, None), (1, None), "DECONVOLUTION", ()),
    ("Im2col", (1, 1), (1, 1), "IM2COL", ("im2col",)),
    ("Pooling", (1, 1), (1, 2), "POOLING", ("pool",)),
    ("SPP", (1, 1), (1, 1), None, ()),
    ("LRN", (1, 1), (1, 1), "LRN", ("lrn",)),
    ("Crop", (2, 2), (1, 1), None, ()),
])
def test_vision_spec_facts(type_name, bottoms, tops, v1, v0):
    spec = layer_spec(type_name)
    assert (spec.bottoms, spec.tops, spec.v1_name, spec.v0_names) == (bottoms, tops, v1, v0)
    assert not spec.in_place
    assert spec.doc
