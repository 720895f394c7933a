"""Neuron (element-wise) layers: same shape as the bottom, in place unless
Caffe refuses it, PReLU's slope blob, and the parameter checks of Exp/Log."""

from __future__ import annotations

import pytest
from layer_helpers import layer_spec, macs_of, shape_error, shapes_of, weights_of

import prototxt_ls.layers.neuron  # noqa: F401  (registers the family)

NEURONS = ["ReLU", "PReLU", "ELU", "Sigmoid", "TanH", "AbsVal", "BNLL", "Power", "Exp", "Log",
           "Threshold", "Dropout", "Clip", "Swish"]


@pytest.mark.parametrize("type_name", NEURONS)
@pytest.mark.parametrize("bottom", [(10, 64, 56, 56), (32, 4096), (2, 3, 4, 5), (7, None, 3), None])
def test_top_has_the_bottom_shape(type_name, bottom):
    assert shapes_of(type_name, "", [bottom]) == [bottom]


@pytest.mark.parametrize("type_name", NEURONS)
def test_one_bottom_one_top_no_macs(type_name):
    spec = layer_spec(type_name)
    assert (spec.bottoms, spec.tops) == ((1, 1), (1, 1))
    assert not spec.is_loss and not spec.is_data
    assert macs_of(type_name, "", [(1, 3, 8, 8)]) is None
    assert spec.doc


@pytest.mark.parametrize("type_name", [t for t in NEURONS if t != "AbsVal"])
def test_neuron_layers_may_run_in_place(type_name):
    assert layer_spec(type_name).in_place


def test_absval_refuses_in_place():
    assert not layer_spec("AbsVal").in_place


@pytest.mark.parametrize("type_name,param,v1,v0", [
    ("ReLU", "relu_param", "RELU", ("relu",)),
    ("PReLU", "prelu_param", None, ()),
    ("ELU", "elu_param", None, ()),
    ("Sigmoid", "sigmoid_param", "SIGMOID", ("sigmoid",)),
    ("TanH", "tanh_param", "TANH", ("tanh",)),
    ("AbsVal", None, "ABSVAL", ()),
    ("BNLL", None, "BNLL", ("bnll",)),
    ("Power", "power_param", "POWER", ()),
    ("Exp", "exp_param", "EXP", ()),
    ("Log", "log_param", None, ()),
    ("Threshold", "threshold_param", "THRESHOLD", ()),
    ("Dropout", "dropout_param", "DROPOUT", ("dropout",)),
    ("Clip", "clip_param", None, ()),
    ("Swish", "swish_param", None, ()),
])
def test_param_and_old_names(type_name, param, v1, v0):
    spec = layer_spec(type_name)
    assert (spec.param, spec.v1_name, spec.v0_names) == (param, v1, v0)


# ------------------------------------------------------------------ PReLU
def test_prelu_one_slope_per_channel():
    assert weights_of("PReLU", "", [(1, 64, 112, 112)]) == [(64,)]
    assert weights_of("PReLU", "prelu_param { channel_shared: false }", [(8, 10)]) == [(10,)]


def test_prelu_channel_shared_slope_is_a_scalar_blob():
    # Caffe allocates Blob(vector<int>(0)): no axes, one value.
    assert weights_of("PReLU", "prelu_param { channel_shared: true }", [(1, 64, 7, 7)]) == [()]


def test_prelu_unknown_channels():
    assert weights_of("PReLU", "", [(1, None, 7, 7)]) == [(None,)]


def test_prelu_needs_two_axes():
    e = shape_error("PReLU", "", [(10,)])
    assert (e.code, e.field, e.index) == ("H401", "bottom", 0)


def test_prelu_channels_accessor_refuses_five_axes():
    e = shape_error("PReLU", "", [(1, 2, 3, 4, 5)])
    assert e.code == "H401" and "4 axes" in e.message


# ------------------------------------------------------------------ Exp / Log
@pytest.mark.parametrize("type_name", ["Exp", "Log"])
def test_base_minus_one_means_e(type_name):
    param = "exp_param" if type_name == "Exp" else "log_param"
    assert shapes_of(type_name, f"{param} {{ base: -1 scale: 2 shift: 1 }}", [(3, 4)]) == [(3, 4)]
    assert shapes_of(type_name, f"{param} {{ base: 10 }}", [(3, 4)]) == [(3, 4)]


@pytest.mark.parametrize("type_name,base", [("Exp", 0), ("Exp", -2), ("Log", 0), ("Log", -0.5)])
def test_base_must_be_positive(type_name, base):
    param = "exp_param" if type_name == "Exp" else "log_param"
    e = shape_error(type_name, f"{param} {{ base: {base} }}", [(3, 4)])
    assert (e.code, e.field) == ("H407", "base")


def test_log_base_one_divides_by_zero():
    e = shape_error("Log", "log_param { base: 1 }", [(3, 4)])
    assert (e.code, e.field) == ("H407", "base")
    assert shapes_of("Exp", "exp_param { base: 1 }", [(3, 4)]) == [(3, 4)]  # Exp accepts it


def test_other_parameters_are_not_checked_by_caffe():
    # DropoutLayer only DCHECKs the ratio (debug builds); Power/Threshold/ELU/Clip check nothing.
    assert shapes_of("Dropout", "dropout_param { dropout_ratio: 1.5 }", [(2, 2)]) == [(2, 2)]
    assert shapes_of("Clip", "clip_param { min: 1 max: -1 }", [(2, 2)]) == [(2, 2)]
    assert shapes_of("Power", "power_param { power: -3 scale: 0 }", [(2, 2)]) == [(2, 2)]
