"""Data and input layers: top shapes hand-computed from BVLC Caffe's
DataLayerSetUp/LayerSetUp, and every check that makes Caffe abort."""

from __future__ import annotations

import pytest
from layer_helpers import layer_spec, shape_error, shapes_of

import prototxt_ls.layers.data  # noqa: F401  (registers the family)

SHAPE = "shape { dim: 1 dim: 3 dim: 224 dim: 224 }"


# ------------------------------------------------------------------ Input
def test_input_one_shape_for_every_top():
    body = f'input_param {{ {SHAPE} }} top: "a" top: "b"'
    assert shapes_of("Input", body) == [(1, 3, 224, 224), (1, 3, 224, 224)]


def test_input_one_shape_per_top():
    body = 'input_param { shape { dim: 10 dim: 3 dim: 32 dim: 32 } shape { dim: 10 } } top: "data" top: "label"'
    assert shapes_of("Input", body) == [(10, 3, 32, 32), (10,)]


def test_input_without_shape_leaves_tops_unknown():
    assert shapes_of("Input", 'top: "data"') == [None]


def test_input_scalar_and_zero_dims_are_allowed():
    assert shapes_of("Input", "input_param { shape { } }") == [()]
    assert shapes_of("Input", "input_param { shape { dim: 0 dim: 5 } }") == [(0, 5)]


def test_input_shape_count_must_be_0_1_or_one_per_top():
    body = f'input_param {{ {SHAPE} {SHAPE} {SHAPE} }} top: "a" top: "b"'
    e = shape_error("Input", body)
    assert (e.code, e.field, e.index) == ("H407", "shape", 2)


def test_input_negative_dim():
    e = shape_error("Input", "input_param { shape { dim: 1 dim: -3 } }")
    assert (e.code, e.field, e.index) == ("H407", "shape", 0)


def test_input_more_than_int_max_elements():
    e = shape_error("Input", "input_param { shape { dim: 65536 dim: 65536 } }")
    assert e.code == "H407" and "INT_MAX" in e.message


def test_input_too_many_axes():
    dims = " ".join("dim: 1" for _ in range(33))
    e = shape_error("Input", f"input_param {{ shape {{ {dims} }} }}")
    assert e.code == "H407" and "32" in e.message


# ------------------------------------------------------------------ DummyData
def test_dummy_data_shape_shared_by_all_tops():
    body = 'dummy_data_param { shape { dim: 2 dim: 5 } } top: "x" top: "y"'
    assert shapes_of("DummyData", body) == [(2, 5), (2, 5)]


def test_dummy_data_shape_per_top():
    body = 'dummy_data_param { shape { dim: 2 dim: 5 } shape { dim: 2 } } top: "x" top: "y"'
    assert shapes_of("DummyData", body) == [(2, 5), (2,)]


def test_dummy_data_legacy_dims_once_or_per_top():
    body = ('dummy_data_param { num: 5 channels: 3 channels: 1 height: 8 width: 8 width: 1 } '
            'top: "data" top: "label"')
    assert shapes_of("DummyData", body) == [(5, 3, 8, 8), (5, 1, 8, 1)]


def test_dummy_data_filler_count():
    body = ('dummy_data_param { shape { dim: 1 } data_filler { type: "constant" } '
            'data_filler { type: "constant" } data_filler { type: "gaussian" } } top: "a" top: "b"')
    e = shape_error("DummyData", body)
    assert (e.code, e.field, e.index) == ("H407", "data_filler", 2)


def test_dummy_data_legacy_and_shape_together():
    e = shape_error("DummyData", "dummy_data_param { shape { dim: 1 } num: 1 channels: 1 height: 1 width: 1 }")
    assert (e.code, e.field) == ("H407", "shape")


def test_dummy_data_legacy_field_missing():
    e = shape_error("DummyData", "dummy_data_param { num: 1 channels: 1 height: 1 }")
    assert e.code == "G308" and "width" in e.message


def test_dummy_data_legacy_field_count():
    body = 'dummy_data_param { num: 1 num: 2 num: 3 channels: 1 height: 1 width: 1 } top: "a" top: "b"'
    e = shape_error("DummyData", body)
    assert (e.code, e.field, e.index) == ("H407", "num", 2)


def test_dummy_data_needs_a_shape():
    assert shape_error("DummyData", "").code == "G308"


def test_dummy_data_shape_count():
    body = 'dummy_data_param { shape { dim: 1 } shape { dim: 2 } } top: "a" top: "b" top: "c"'
    e = shape_error("DummyData", body)
    assert (e.code, e.field, e.index) == ("H407", "shape", 1)


# ------------------------------------------------------------------ Data
def test_data_with_crop():
    body = ('data_param { source: "db" backend: LMDB batch_size: 256 } transform_param { crop_size: 227 } '
            'top: "data" top: "label"')
    assert shapes_of("Data", body) == [(256, None, 227, 227), (256,)]


def test_data_without_crop_takes_size_from_database():
    assert shapes_of("Data", 'data_param { batch_size: 64 } top: "data"') == [(64, None, None, None)]


def test_data_deprecated_crop_size_in_data_param_wins():
    body = 'data_param { batch_size: 4 crop_size: 100 } transform_param { crop_size: 50 } top: "d" top: "l"'
    assert shapes_of("Data", body) == [(4, None, 100, 100), (4,)]


def test_data_without_data_param_is_a_placeholder():
    # Netscope-style nets: no data_param at all (Caffe could not even open a database).
    assert shapes_of("Data", 'input_param { shape { dim: 10 dim: 3 } } top: "data"') == [(None, None, None, None)]


def test_data_needs_batch_size():
    e = shape_error("Data", 'data_param { source: "db" }')
    assert e.code == "G308"


def test_data_mean_file_and_mean_value_conflict():
    body = 'data_param { batch_size: 1 } transform_param { mean_file: "m.binaryproto" mean_value: 104 }'
    e = shape_error("Data", body)
    assert (e.code, e.field) == ("H407", "transform_param")


# ------------------------------------------------------------------ ImageData
def test_image_data_resize_then_crop():
    body = ('image_data_param { source: "list.txt" batch_size: 50 new_height: 256 new_width: 256 } '
            'transform_param { crop_size: 227 mirror: true } top: "data" top: "label"')
    assert shapes_of("ImageData", body) == [(50, 3, 227, 227), (50,)]


def test_image_data_resize_only_gray():
    body = 'image_data_param { new_height: 32 new_width: 48 is_color: false } top: "data" top: "label"'
    assert shapes_of("ImageData", body) == [(1, 1, 32, 48), (1,)]  # batch_size defaults to 1


def test_image_data_size_unknown_without_resize_or_crop():
    assert shapes_of("ImageData", 'image_data_param { batch_size: 8 }') == [(8, 3, None, None), (8,)]


def test_image_data_new_height_without_new_width():
    e = shape_error("ImageData", "image_data_param { new_height: 256 }")
    assert (e.code, e.field) == ("H407", "new_width")


def test_image_data_zero_batch():
    e = shape_error("ImageData", "image_data_param { batch_size: 0 }")
    assert (e.code, e.field) == ("H407", "batch_size")


def test_image_data_crop_larger_than_resized_image():
    body = "image_data_param { new_height: 200 new_width: 300 } transform_param { crop_size: 227 }"
    e = shape_error("ImageData", body)
    assert (e.code, e.field) == ("H403", "new_height")


def test_image_data_mean_conflict_via_deprecated_field():
    body = 'image_data_param { mean_file: "m" } transform_param { mean_value: 1 }'
    assert shape_error("ImageData", body).code == "H407"


# ------------------------------------------------------------------ HDF5
def test_hdf5_data_tops_are_unknown():
    body = 'hdf5_data_param { source: "list.txt" batch_size: 10 } top: "data" top: "label"'
    assert shapes_of("HDF5Data", body) == [None, None]


def test_hdf5_data_refuses_transform_param():
    body = "hdf5_data_param { batch_size: 10 } transform_param { scale: 0.5 }"
    e = shape_error("HDF5Data", body)
    assert (e.code, e.field) == ("H407", "transform_param")


def test_hdf5_data_needs_batch_size():
    assert shape_error("HDF5Data", 'hdf5_data_param { source: "x" }').code == "G308"


def test_hdf5_output_has_no_top():
    spec = layer_spec("HDF5Output")
    assert (spec.bottoms, spec.tops) == ((2, 2), (0, 0))
    assert shapes_of("HDF5Output", 'hdf5_output_param { file_name: "out.h5" }', [(2, 3), (2,)], 0) == []


# ------------------------------------------------------------------ MemoryData
def test_memory_data():
    body = 'memory_data_param { batch_size: 64 channels: 1 height: 28 width: 28 } top: "data" top: "label"'
    assert shapes_of("MemoryData", body) == [(64, 1, 28, 28), (64,)]


def test_memory_data_needs_every_size():
    e = shape_error("MemoryData", "memory_data_param { batch_size: 64 channels: 1 height: 28 }")
    assert e.code == "G308" and "width" in e.message


# ------------------------------------------------------------------ WindowData
def test_window_data():
    body = ('window_data_param { source: "windows.txt" batch_size: 128 fg_threshold: 0.5 } '
            'transform_param { crop_size: 227 mirror: true } top: "data" top: "label"')
    # Channels are read from the window file, not fixed by any parameter.
    assert shapes_of("WindowData", body) == [(128, None, 227, 227), (128,)]


def test_window_data_legacy_crop_size():
    body = "window_data_param { batch_size: 2 crop_size: 100 }"
    assert shapes_of("WindowData", body) == [(2, None, 100, 100), (2,)]


def test_window_data_needs_crop_size():
    assert shape_error("WindowData", "window_data_param { batch_size: 2 }").code == "G308"


# ------------------------------------------------------------------ Python
def test_python_layer_tops_unknown_any_count():
    spec = layer_spec("Python")
    assert (spec.bottoms, spec.tops) == ((0, None), (0, None))
    body = 'python_param { module: "my_layers" layer: "Whatever" } top: "a" top: "b" top: "c"'
    assert shapes_of("Python", body, [(1, 2), (1, 2)]) == [None, None, None]


def test_python_bvlc_example_euclidean_loss():
    body = 'python_param { module: "pyloss" layer: "EuclideanLossLayer" } loss_weight: 1 top: "loss"'
    assert shapes_of("Python", body, [(10, 10), (10, 10)]) == [(1,)]
    e = shape_error("Python", body, [(10, 10), (10, 9)])
    assert (e.code, e.index) == ("H401", 1)
    e = shape_error("Python", body, [(10, 10)])
    assert (e.code, e.field) == ("G304", "bottom")


def test_python_layer_needs_module_and_layer():
    e = shape_error("Python", 'python_param { module: "pyloss" }')
    assert e.code == "G308" and "layer" in e.message


# ------------------------------------------------------------------ registry facts
@pytest.mark.parametrize("type_name,counts,v1,v0", [
    ("Input", ((0, 0), (1, None)), None, ()),
    ("DummyData", ((0, 0), (1, None)), "DUMMY_DATA", ()),
    ("Data", ((0, 0), (1, 2)), "DATA", ("data",)),
    ("ImageData", ((0, 0), (2, 2)), "IMAGE_DATA", ("images",)),
    ("HDF5Data", ((0, 0), (1, None)), "HDF5_DATA", ("hdf5_data",)),
    ("MemoryData", ((0, 0), (2, 2)), "MEMORY_DATA", ()),
    ("WindowData", ((0, 0), (2, 2)), "WINDOW_DATA", ("window_data",)),
])
def test_data_layer_specs(type_name, counts, v1, v0):
    spec = layer_spec(type_name)
    assert (spec.bottoms, spec.tops) == counts
    assert spec.is_data and not spec.is_loss and not spec.in_place
    assert spec.v1_name == v1 and spec.v0_names == v0
    assert spec.doc
