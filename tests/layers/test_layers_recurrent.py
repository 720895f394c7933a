"""RNN, LSTM and LSTMUnit: shapes, weight blobs in the order Caffe's unrolled
net owns them (FillUnrolledNet), MACs, and the checks of RecurrentLayer."""

from __future__ import annotations

import pytest
from layer_helpers import layer_spec, macs_of, shape_error, shapes_of, weights_of

import prototxt_ls.layers.recurrent  # noqa: F401  (registers the family)

P = "recurrent_param { num_output: %d %s }"


def rp(h: int, extra: str = "") -> str:
    return P % (h, extra)


# ------------------------------------------------------------------ shapes
@pytest.mark.parametrize("type_name", ["RNN", "LSTM"])
def test_top_is_timesteps_streams_num_output(type_name):
    assert shapes_of(type_name, rp(256), [(20, 8, 100), (20, 8)]) == [(20, 8, 256)]


@pytest.mark.parametrize("type_name", ["RNN", "LSTM"])
def test_static_input(type_name):
    assert shapes_of(type_name, rp(16), [(20, 8, 100), (20, 8), (8, 30)]) == [(20, 8, 16)]


def test_lstm_expose_hidden():
    body = rp(256, "expose_hidden: true") + ' top: "h" top: "h_T" top: "c_T"'
    bottoms = [(20, 8, 100), (20, 8), (1, 8, 256), (1, 8, 256)]
    assert shapes_of("LSTM", body, bottoms) == [(20, 8, 256), (1, 8, 256), (1, 8, 256)]


def test_lstm_expose_hidden_with_static_input():
    body = rp(4, "expose_hidden: true")
    bottoms = [(3, 2, 5), (3, 2), (2, 7), (1, 2, 4), (1, 2, 4)]
    assert shapes_of("LSTM", body, bottoms, 3) == [(3, 2, 4), (1, 2, 4), (1, 2, 4)]


def test_rnn_expose_hidden():
    body = rp(10, "expose_hidden: true")
    assert shapes_of("RNN", body, [(5, 3, 2), (5, 3), (1, 3, 10)], 2) == [(5, 3, 10), (1, 3, 10)]


def test_time_and_streams_from_cont_when_x_unknown():
    assert shapes_of("LSTM", rp(7), [None, (4, 2)]) == [(4, 2, 7)]
    assert shapes_of("LSTM", rp(7), [(None, None, 3), None]) == [(None, None, 7)]


def test_spec_counts_cover_expose_hidden():
    assert (layer_spec("RNN").bottoms, layer_spec("RNN").tops) == ((2, 4), (1, 2))
    assert (layer_spec("LSTM").bottoms, layer_spec("LSTM").tops) == ((2, 5), (1, 3))
    assert (layer_spec("LSTMUnit").bottoms, layer_spec("LSTMUnit").tops) == ((3, 3), (2, 2))
    for t in ("RNN", "LSTM"):
        assert layer_spec(t).param == "recurrent_param" and not layer_spec(t).in_place


# ------------------------------------------------------------------ weights
def test_lstm_weights_in_caffe_order():
    # W_xc [4H, D], b_c [4H], W_hc [4H, H]
    assert weights_of("LSTM", rp(256), [(20, 8, 100), (20, 8)]) == [(1024, 100), (1024,), (1024, 256)]


def test_lstm_weights_with_static_input():
    # ... W_xc_static [4H, S] comes between b_c and W_hc.
    assert weights_of("LSTM", rp(3), [(5, 2, 4), (5, 2), (2, 6)]) == [(12, 4), (12,), (12, 6), (12, 3)]


def test_lstm_input_dim_is_everything_after_two_axes():
    assert weights_of("LSTM", rp(2), [(5, 2, 3, 4), (5, 2), (2, 2, 5)]) == [(8, 12), (8,), (8, 10), (8, 2)]


def test_rnn_weights_in_caffe_order():
    # W_xh [H, D], b_h [H], W_hh [H, H], W_ho [H, H], b_o [H]
    assert weights_of("RNN", rp(16), [(20, 8, 100), (20, 8)]) == [(16, 100), (16,), (16, 16), (16, 16), (16,)]
    assert weights_of("RNN", rp(16), [(20, 8, 100), (20, 8), (8, 5, 3)]) == \
        [(16, 100), (16,), (16, 15), (16, 16), (16, 16), (16,)]


def test_weights_with_unknown_input_size():
    assert weights_of("LSTM", rp(5), [(3, 2, None), (3, 2)]) == [(20, None), (20,), (20, 5)]


def test_expose_hidden_adds_no_weights():
    body = rp(4, "expose_hidden: true")
    assert weights_of("LSTM", body, [(3, 2, 5), (3, 2), (1, 2, 4), (1, 2, 4)], 3) == [(16, 5), (16,), (16, 4)]


# ------------------------------------------------------------------ MACs
def test_lstm_macs():
    # T*N*4H*D + T*N*4H*H = 20*8*1024*100 + 20*8*1024*256
    assert macs_of("LSTM", rp(256), [(20, 8, 100), (20, 8)]) == 16_384_000 + 41_943_040


def test_lstm_macs_with_static_input():
    # + N*4H*S, computed once for all timesteps
    assert macs_of("LSTM", rp(3), [(5, 2, 4), (5, 2), (2, 6)]) == 5 * 2 * 12 * 4 + 5 * 2 * 12 * 3 + 2 * 12 * 6


def test_rnn_macs():
    # T*N*H*D + T*N*H*H (W_hh) + T*N*H*H (W_ho)
    assert macs_of("RNN", rp(16), [(20, 8, 100), (20, 8)]) == 20 * 8 * 16 * 100 + 2 * 20 * 8 * 16 * 16


def test_macs_unknown_when_a_dim_is():
    assert macs_of("RNN", rp(16), [(None, 8, 100), (None, 8)]) is None


# ------------------------------------------------------------------ errors
def test_num_output_required():
    e = shape_error("LSTM", "", [(20, 8, 100), (20, 8)])
    assert e.code == "G308"


def test_too_many_bottoms_without_expose_hidden():
    e = shape_error("LSTM", rp(4), [(3, 2, 5), (3, 2), (2, 7), (1, 2, 4)])
    assert (e.code, e.field, e.index) == ("G304", "bottom", 3)


def test_expose_hidden_needs_the_state_bottoms():
    e = shape_error("LSTM", rp(4, "expose_hidden: true"), [(3, 2, 5), (3, 2)], 3)
    assert (e.code, e.field) == ("G304", "bottom")


def test_expose_hidden_top_count():
    e = shape_error("RNN", rp(4, "expose_hidden: true"), [(3, 2, 5), (3, 2), (1, 2, 4)], 1)
    assert (e.code, e.field) == ("G305", "top")
    e = shape_error("LSTM", rp(4), [(3, 2, 5), (3, 2)], 2)
    assert (e.code, e.field, e.index) == ("G305", "top", 1)


def test_x_needs_two_axes():
    e = shape_error("RNN", rp(4), [(3,), (3, 2)])
    assert (e.code, e.index) == ("H401", 0)


def test_x_needs_a_feature_axis_for_the_unrolled_inner_product():
    # RecurrentLayer accepts 2 axes, but the unrolled InnerProduct (axis 2) does not.
    e = shape_error("LSTM", rp(4), [(3, 2), (3, 2)])
    assert (e.code, e.index) == ("H401", 0) and "axis 2" in e.message


def test_cont_must_be_timesteps_by_streams():
    e = shape_error("LSTM", rp(4), [(3, 2, 5), (3, 2, 1)])
    assert (e.code, e.index) == ("H401", 1)
    e = shape_error("LSTM", rp(4), [(3, 2, 5), (4, 2)])
    assert (e.code, e.index) == ("H401", 1) and "timesteps" in e.message
    e = shape_error("LSTM", rp(4), [(3, 2, 5), (3, 5)])
    assert (e.code, e.index) == ("H401", 1) and "streams" in e.message


def test_static_input_streams():
    e = shape_error("RNN", rp(4), [(3, 2, 5), (3, 2), (3, 7)])
    assert (e.code, e.index) == ("H401", 2)
    e = shape_error("RNN", rp(4), [(3, 2, 5), (3, 2), ()])
    assert (e.code, e.index) == ("H401", 2)


def test_static_input_needs_a_feature_axis():
    e = shape_error("RNN", rp(4), [(3, 2, 5), (3, 2), (2,)])
    assert (e.code, e.index) == ("H401", 2) and "axis 1" in e.message


def test_exposed_hidden_state_shape():
    body = rp(4, "expose_hidden: true")
    e = shape_error("LSTM", body, [(3, 2, 5), (3, 2), (1, 2, 4), (1, 2, 5)], 3)
    assert (e.code, e.index) == ("H401", 3)


# ------------------------------------------------------------------ LSTMUnit
def test_lstm_unit():
    assert shapes_of("LSTMUnit", "", [(1, 8, 64), (1, 8, 256), (1, 8)], 2) == [(1, 8, 64), (1, 8, 64)]
    assert weights_of("LSTMUnit", "", [(1, 8, 64), (1, 8, 256), (1, 8)], 2) == []


@pytest.mark.parametrize("bottoms,index", [
    ([(8, 64), (1, 8, 256), (1, 8)], 0),        # c_prev needs 3 axes
    ([(1, 8, 64), (1, 8, 256), (1, 8, 1)], 2),  # cont needs 2 axes
    ([(2, 8, 64), (1, 8, 256), (1, 8)], 0),     # one timestep
    ([(1, 8, 64), (1, 4, 256), (1, 8)], 1),     # same streams
    ([(1, 8, 64), (1, 8, 255), (1, 8)], 1),     # 4 x hidden gate inputs
])
def test_lstm_unit_checks(bottoms, index):
    e = shape_error("LSTMUnit", "", bottoms, 2)
    assert (e.code, e.field, e.index) == ("H401", "bottom", index)
