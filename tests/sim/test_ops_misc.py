"""Data, recurrent, SSD, deploy-fork and legacy ops: values computed by hand,
static shapes, backward for the differentiable ones."""

from __future__ import annotations

import math

import pytest
import torch
from sim_helpers import layer_spec, make_op, run_op

from prototxt_ls.sim.ops import builder_for
from prototxt_ls.sim.ops.base import Unsupported


def _sig(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-v))


def _shapes_match(out, tops):
    assert [tuple(t.shape) for t in out] == [tuple(s) for s in tops]


# ---------------------------------------------------------------- data
def test_dummy_data_constant_filler():
    op, tops = make_op("DummyData", 'dummy_data_param { shape { dim: 2 dim: 3 } '
                                    'data_filler { type: "constant" value: 7 } }')
    out = op()
    _shapes_match(out, tops)
    assert torch.equal(out[0], torch.full((2, 3), 7.0))


def test_dummy_data_default_is_zeros_and_legacy_dims():
    op, tops = make_op("DummyData", "dummy_data_param { num: 2 channels: 1 height: 3 width: 4 }")
    (y,) = op()
    assert tops == [(2, 1, 3, 4)] and torch.equal(y, torch.zeros(2, 1, 3, 4))


def test_dummy_data_one_filler_per_top_and_refill():
    body = ('top: "a" top: "b" dummy_data_param { shape { dim: 4 } shape { dim: 2 dim: 5 } '
            'data_filler { type: "constant" value: 1 } data_filler { type: "uniform" min: 2 max: 3 } }')
    op, tops = make_op("DummyData", body)
    a1, b1 = op()
    _shapes_match((a1, b1), tops)
    assert torch.equal(a1, torch.ones(4))
    assert bool(((b1 >= 2) & (b1 < 3)).all())
    a2, b2 = op()
    assert torch.equal(a2, a1) and not torch.equal(b2, b1)  # non-constant fillers refill per forward


def test_data_layers_fed_by_the_net_builder_have_no_op():
    for name in ("Input", "Data", "ImageData", "HDF5Data", "MemoryData", "WindowData", "Python"):
        assert builder_for(layer_spec(name)) is None, name


# ---------------------------------------------------------------- LSTMUnit
def _lstm_step(c_prev, gates, cont):
    """One LSTM unit step by hand, H values, gates in Caffe's order i, f, o, g."""
    h = len(c_prev)
    c_out, h_out = [], []
    for d in range(h):
        i = _sig(gates[d])
        f = cont * _sig(gates[h + d])
        o = _sig(gates[2 * h + d])
        g = math.tanh(gates[3 * h + d])
        c = f * c_prev[d] + i * g
        c_out.append(c)
        h_out.append(o * math.tanh(c))
    return c_out, h_out


@pytest.mark.parametrize("cont", [1.0, 0.0])
def test_lstm_unit(cont):
    c_prev = [0.5, -1.0]
    gates = [0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8]
    c_t = torch.tensor(c_prev, dtype=torch.float64).reshape(1, 1, 2).requires_grad_()
    g_t = torch.tensor(gates, dtype=torch.float64).reshape(1, 1, 8).requires_grad_()
    out, tops = run_op("LSTMUnit", "", c_t, g_t, torch.tensor([[cont]], dtype=torch.float64))
    _shapes_match(out, tops)
    c_want, h_want = _lstm_step(c_prev, gates, cont)
    torch.testing.assert_close(out[0].reshape(2), torch.tensor(c_want, dtype=torch.float64))
    torch.testing.assert_close(out[1].reshape(2), torch.tensor(h_want, dtype=torch.float64))
    (out[0].sum() + out[1].sum()).backward()
    assert torch.isfinite(g_t.grad).all() and torch.isfinite(c_t.grad).all()


# ---------------------------------------------------------------- LSTM
# H = 1, D = 1: blobs W_xc [4, 1], b_c [4], W_hc [4, 1].
W_XC = [0.5, -0.5, 1.0, 2.0]
B_C = [0.0, 1.0, 0.0, 0.0]
W_HC = [0.1, 0.2, 0.3, 0.4]


def _lstm_blobs(static=None):
    blobs = [torch.tensor(W_XC, dtype=torch.float64).reshape(4, 1), torch.tensor(B_C, dtype=torch.float64)]
    if static is not None:
        blobs.append(torch.tensor(static, dtype=torch.float64).reshape(4, 1))
    blobs.append(torch.tensor(W_HC, dtype=torch.float64).reshape(4, 1))
    return blobs


def _lstm_by_hand(xs, conts, h=0.0, c=0.0, static_gates=(0.0, 0.0, 0.0, 0.0)):
    """h_t per step: gates = W_hc (cont h) + W_xc x + b (+ static part), then the unit."""
    hs = []
    for x, cont in zip(xs, conts):
        gates = [W_HC[k] * cont * h + W_XC[k] * x + B_C[k] + static_gates[k] for k in range(4)]
        (c,), (h,) = _lstm_step([c], gates, cont)
        hs.append(h)
    return hs, h, c


def test_lstm_two_steps_by_hand():
    x = torch.tensor([1.0, -1.0], dtype=torch.float64).reshape(2, 1, 1).requires_grad_()
    cont = torch.tensor([[0.0], [1.0]], dtype=torch.float64)
    op, tops = make_op("LSTM", "recurrent_param { num_output: 1 }", [x.shape, cont.shape], blobs=_lstm_blobs())
    (y,) = op(x, cont)
    assert tops == [(2, 1, 1)] and tuple(y.shape) == tops[0]
    # step 1 by hand: gates [0.5, 0.5, 1.0, 2.0], f = 0 (cont 0): c = s(0.5) tanh(2), h = s(1) tanh(c)
    c1 = _sig(0.5) * math.tanh(2.0)
    h1 = _sig(1.0) * math.tanh(c1)
    assert y[0, 0, 0].item() == pytest.approx(h1, rel=1e-12)
    hs, _, _ = _lstm_by_hand([1.0, -1.0], [0.0, 1.0])
    torch.testing.assert_close(y.reshape(2), torch.tensor(hs, dtype=torch.float64))
    y.sum().backward()
    assert all(b.grad is not None and torch.isfinite(b.grad).all() for b in op.blobs)
    assert torch.isfinite(x.grad).all()


def test_lstm_carries_its_state_to_the_next_forward():
    """Without expose_hidden, RecurrentLayer copies h_T/c_T into h_0/c_0 for the next pass."""
    op, _ = make_op("LSTM", "recurrent_param { num_output: 1 }", [(1, 1, 1), (1, 1)], blobs=_lstm_blobs())
    x = torch.tensor([[[0.7]]], dtype=torch.float64)
    (first,) = op(x, torch.tensor([[1.0]], dtype=torch.float64))  # state starts at zero
    (second,) = op(x, torch.tensor([[1.0]], dtype=torch.float64))
    _, h1, c1 = _lstm_by_hand([0.7], [1.0])
    hs, _, _ = _lstm_by_hand([0.7], [1.0], h=h1, c=c1)
    assert second.item() == pytest.approx(hs[0], rel=1e-12)
    (third,) = op(x, torch.tensor([[0.0]], dtype=torch.float64))  # cont 0 starts over
    assert third.item() == pytest.approx(_lstm_by_hand([0.7], [0.0])[0][0], rel=1e-12)
    assert first.item() != second.item()


def test_lstm_expose_hidden_and_static_input():
    body = "recurrent_param { num_output: 1 expose_hidden: true }"
    x = torch.tensor([0.3, -0.4, 0.9], dtype=torch.float64).reshape(3, 1, 1)
    cont = torch.tensor([[1.0], [1.0], [0.0]], dtype=torch.float64)
    x_static = torch.tensor([[2.0]], dtype=torch.float64)
    h0 = torch.tensor([[[0.25]]], dtype=torch.float64)
    c0 = torch.tensor([[[-0.5]]], dtype=torch.float64)
    w_static = [0.05, -0.1, 0.2, 0.3]
    op, tops = make_op("LSTM", 'top: "h" top: "hT" top: "cT" ' + body,
                       [x.shape, cont.shape, x_static.shape, h0.shape, c0.shape], blobs=_lstm_blobs(w_static))
    out = op(x, cont, x_static, h0, c0)
    _shapes_match(out, tops)
    hs, h_t, c_t = _lstm_by_hand([0.3, -0.4, 0.9], [1.0, 1.0, 0.0], h=0.25, c=-0.5,
                                 static_gates=[w * 2.0 for w in w_static])
    torch.testing.assert_close(out[0].reshape(3), torch.tensor(hs, dtype=torch.float64))
    assert out[1].item() == pytest.approx(h_t, rel=1e-12) and out[2].item() == pytest.approx(c_t, rel=1e-12)


# ---------------------------------------------------------------- RNN
def test_rnn_two_steps_by_hand():
    # H = 1, D = 1: W_xh, b_h, W_hh, W_ho, b_o
    blobs = [torch.tensor([[0.5]]), torch.tensor([0.1]), torch.tensor([[0.3]]), torch.tensor([[2.0]]),
             torch.tensor([-0.5])]
    blobs = [b.double() for b in blobs]
    x = torch.tensor([1.0, 2.0], dtype=torch.float64).reshape(2, 1, 1).requires_grad_()
    cont = torch.tensor([[0.0], [1.0]], dtype=torch.float64)
    op, tops = make_op("RNN", "recurrent_param { num_output: 1 }", [x.shape, cont.shape], blobs=blobs)
    (o,) = op(x, cont)
    assert tuple(o.shape) == tops[0] == (2, 1, 1)
    h1 = math.tanh(0.5 * 1.0 + 0.1)
    h2 = math.tanh(0.3 * h1 + 0.5 * 2.0 + 0.1)
    want = [math.tanh(2.0 * h1 - 0.5), math.tanh(2.0 * h2 - 0.5)]
    torch.testing.assert_close(o.reshape(2), torch.tensor(want, dtype=torch.float64))
    o.sum().backward()
    assert all(b.grad is not None for b in op.blobs)


def test_rnn_expose_hidden_gives_the_last_hidden_state():
    op, tops = make_op("RNN", 'top: "o" top: "hT" recurrent_param { num_output: 3 expose_hidden: true }',
                       [(4, 2, 5), (4, 2), (1, 2, 3)])
    out = op(torch.randn(4, 2, 5), torch.ones(4, 2), torch.zeros(1, 2, 3))
    _shapes_match(out, tops)
    assert tops == [(4, 2, 3), (1, 2, 3)]


# ---------------------------------------------------------------- Normalize
NORM_X = torch.tensor([[[[3.0, 0.0]], [[4.0, 1.0]]]])  # 1 x 2 x 1 x 2


def test_normalize_per_position_with_channel_scales():
    body = "norm_param { across_spatial: false channel_shared: false }"
    x = NORM_X.clone().requires_grad_()
    op, tops = make_op("Normalize", body, [x.shape], blobs=[torch.tensor([2.0, 3.0])])
    (y,) = op(x)
    assert tuple(y.shape) == tops[0]
    # norms per position: sqrt(9 + 16) = 5, sqrt(0 + 1) = 1
    torch.testing.assert_close(y, torch.tensor([[[[0.6 * 2, 0.0]], [[0.8 * 3, 1.0 * 3]]]]))
    y.sum().backward()
    assert torch.isfinite(x.grad).all() and op.blobs[0].grad is not None


def test_normalize_across_spatial_shared_scale():
    (y,), _ = run_op("Normalize", "", NORM_X, blobs=[torch.tensor(20.0)])
    torch.testing.assert_close(y, NORM_X / math.sqrt(26.0) * 20.0)


# ---------------------------------------------------------------- Permute
def test_permute():
    x = torch.arange(24.0).reshape(1, 2, 3, 4)
    (y,), tops = run_op("Permute", "permute_param { order: 0 order: 2 order: 3 order: 1 }", x)
    assert tuple(y.shape) == tops[0] == (1, 3, 4, 2)
    for c in range(2):
        for h in range(3):
            for w in range(4):
                assert y[0, h, w, c] == x[0, c, h, w]


def test_permute_unlisted_axes_follow_in_order():
    (y,), tops = run_op("Permute", "permute_param { order: 2 }", torch.zeros(2, 3, 4))
    assert tuple(y.shape) == tops[0] == (4, 2, 3)


# ---------------------------------------------------------------- PriorBox
SSD300_CONV = ("prior_box_param { min_size: 30 max_size: 60 aspect_ratio: 2 flip: true clip: false "
               "variance: 0.1 variance: 0.1 variance: 0.2 variance: 0.2 }")


def test_prior_box_2x2_on_300x300_by_hand():
    (y,), tops = run_op("PriorBox", SSD300_CONV, torch.zeros(1, 8, 2, 2), torch.zeros(1, 3, 300, 300))
    assert tops == [(1, 2, 2 * 2 * 4 * 4)] and tuple(y.shape) == tops[0]
    # step 300 / 2 = 150, centres 75 and 225; 4 priors per cell: min, sqrt(min max), ar 2, ar 1/2
    r = math.sqrt(30 * 60) / 2  # 21.2132...
    w2, h2 = 30 * math.sqrt(2) / 2, 30 / math.sqrt(2) / 2
    cell0 = [60 / 300, 60 / 300, 90 / 300, 90 / 300,
             (75 - r) / 300, (75 - r) / 300, (75 + r) / 300, (75 + r) / 300,
             (75 - w2) / 300, (75 - h2) / 300, (75 + w2) / 300, (75 + h2) / 300,
             (75 - h2) / 300, (75 - w2) / 300, (75 + h2) / 300, (75 + w2) / 300]
    torch.testing.assert_close(y[0, 0, :16], torch.tensor(cell0), rtol=0, atol=1e-7)
    # cell (h 0, w 1): centre x 225
    torch.testing.assert_close(y[0, 0, 16:20], torch.tensor([210 / 300, 60 / 300, 240 / 300, 90 / 300]),
                               rtol=0, atol=1e-7)
    torch.testing.assert_close(y[0, 1], torch.tensor([0.1, 0.1, 0.2, 0.2]).repeat(16))


def test_prior_box_step_offset_img_size_clip_and_int_sizes():
    # img_size 600 (the image bottom is ignored), step 100, offset 0: cell (0, 0) is centred at (0, 0);
    # min_size 40.9 is read as 40 (the fork's int), one variance for all.
    body = "prior_box_param { min_size: 40.9 img_size: 600 step: 100 offset: 0 clip: true }"
    (y,), tops = run_op("PriorBox", body, torch.zeros(1, 8, 2, 3), torch.zeros(1, 3, 10, 10))
    assert tops == [(1, 2, 2 * 3 * 1 * 4)]
    torch.testing.assert_close(y[0, 0, :4], torch.tensor([0.0, 0.0, 20 / 600, 20 / 600]))  # clipped at 0
    torch.testing.assert_close(y[0, 0, 4:8], torch.tensor([80 / 600, 0.0, 120 / 600, 20 / 600]))  # (100, 0)
    torch.testing.assert_close(y[0, 1], torch.full((24,), 0.1))


def test_detection_output_and_multibox_loss_are_unsupported():
    with pytest.raises(Unsupported, match="DetectionOutput"):
        make_op("DetectionOutput", "detection_output_param { num_classes: 2 }", [(1, 16), (1, 8), (1, 2, 16)])
    with pytest.raises(Unsupported, match="MultiBoxLoss"):
        make_op("MultiBoxLoss", "multibox_loss_param { num_classes: 2 }",
                [(1, 16), (1, 8), (1, 2, 16), (1, 1, 1, 8)])


# ---------------------------------------------------------------- deploy forks
def test_shuffle_channel():
    x = torch.arange(6.0).reshape(1, 6, 1, 1)
    (y,), tops = run_op("ShuffleChannel", "shuffle_channel_param { group: 2 }", x)
    assert tuple(y.shape) == tops[0]
    assert y.reshape(6).tolist() == [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    (y,), _ = run_op("ShuffleChannel", "shuffle_channel_param { group: 3 }", x)
    assert y.reshape(6).tolist() == [0.0, 2.0, 4.0, 1.0, 3.0, 5.0]


def test_shuffle_channel_needs_divisible_channels():
    with pytest.raises(Unsupported):
        make_op("ShuffleChannel", "shuffle_channel_param { group: 4 }", [(1, 6, 2, 2)])


def test_upsample_with_a_pooling_mask():
    x = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]], requires_grad=True)
    mask = torch.tensor([[[[0.0, 3.0], [9.0, 14.0]]]])  # flat positions in the 4 x 4 output
    (y,), tops = run_op("Upsample", "upsample_param { scale: 2 }", x, mask)
    assert tuple(y.shape) == tops[0] == (1, 1, 4, 4)
    want = torch.zeros(16)
    want[[0, 3, 9, 14]] = torch.tensor([1.0, 2.0, 3.0, 4.0])
    torch.testing.assert_close(y.reshape(16), want)
    y.sum().backward()
    torch.testing.assert_close(x.grad, torch.ones_like(x))


def test_upsample_explicit_size_with_mask_and_bad_index():
    x = torch.ones(1, 1, 2, 2)
    (y,), tops = run_op("Upsample", "upsample_param { upsample_h: 3 upsample_w: 3 }", x,
                        torch.tensor([[[[0.0, 2.0], [6.0, 8.0]]]]))
    assert tops == [(1, 1, 3, 3)] and tuple(y.shape) == (1, 1, 3, 3)
    assert y.reshape(9).tolist() == [1, 0, 1, 0, 0, 0, 1, 0, 1]
    with pytest.raises(ValueError, match="mask"):
        run_op("Upsample", "upsample_param { upsample_h: 3 upsample_w: 3 }", x, torch.full((1, 1, 2, 2), 9.0))


def test_upsample_nearest_one_bottom():
    x = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    (y,), tops = run_op("Upsample", "", x)
    assert tuple(y.shape) == tops[0] == (1, 1, 4, 4)
    torch.testing.assert_close(y[0, 0], torch.tensor([[1.0, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]))
    (y,), tops = run_op("Upsample", "upsample_param { pad_out_h: true }", x)
    assert tuple(y.shape) == tops[0] == (1, 1, 3, 4)
    torch.testing.assert_close(y[0, 0], torch.tensor([[1.0, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4]]))


INTERP_X = torch.tensor([[[[0.0, 1.0], [2.0, 3.0]]]])


def test_interp_zoom_aligns_corners():
    x = INTERP_X.clone().requires_grad_()
    (y,), tops = run_op("Interp", "interp_param { zoom_factor: 2 }", x)
    assert tuple(y.shape) == tops[0] == (1, 1, 3, 3)
    torch.testing.assert_close(y[0, 0], torch.tensor([[0.0, 0.5, 1.0], [1.0, 1.5, 2.0], [2.0, 2.5, 3.0]]))
    y.sum().backward()
    assert x.grad.sum().item() == pytest.approx(9.0)


def test_interp_height_width_and_reference_blob():
    (y,), tops = run_op("Interp", "interp_param { height: 3 width: 5 }", INTERP_X)
    assert tuple(y.shape) == tops[0] == (1, 1, 3, 5)
    torch.testing.assert_close(y[0, 0, 0], torch.tensor([0.0, 0.25, 0.5, 0.75, 1.0]))
    torch.testing.assert_close(y[0, 0, :, 0], torch.tensor([0.0, 1.0, 2.0]))
    (y,), tops = run_op("Interp", "", INTERP_X, torch.zeros(1, 7, 3, 5))
    assert tuple(y.shape) == tops[0] == (1, 1, 3, 5)


def test_interp_shrink_and_crop():
    x = torch.arange(25.0).reshape(1, 1, 5, 5)
    (y,), tops = run_op("Interp", "interp_param { shrink_factor: 2 }", x)  # (5 - 1) / 2 + 1 = 3
    assert tuple(y.shape) == tops[0] == (1, 1, 3, 3)
    torch.testing.assert_close(y, x[:, :, ::2, ::2])
    (y,), tops = run_op("Interp", "interp_param { pad_beg: -1 pad_end: -1 shrink_factor: 1 }", x)
    assert tuple(y.shape) == tops[0] == (1, 1, 3, 3)
    torch.testing.assert_close(y, x[:, :, 1:4, 1:4])


def test_interp_positive_padding_is_unsupported():
    with pytest.raises(Unsupported):
        make_op("Interp", "interp_param { zoom_factor: 2 pad_beg: 1 }", [(1, 1, 4, 4)])


# ---------------------------------------------------------------- legacy
def test_padding():
    x = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]], requires_grad=True)
    (y,), tops = run_op("Padding", "padding { pad: 1 }", x)
    assert tuple(y.shape) == tops[0] == (1, 1, 4, 4)
    want = torch.zeros(4, 4)
    want[1:3, 1:3] = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    torch.testing.assert_close(y[0, 0], want)
    y.sum().backward()
    torch.testing.assert_close(x.grad, torch.ones_like(x))


def test_every_type_of_these_families_has_a_builder():
    for name in ("DummyData", "RNN", "LSTM", "LSTMUnit", "Normalize", "Permute", "PriorBox", "DetectionOutput",
                 "MultiBoxLoss", "ShuffleChannel", "Upsample", "Interp", "Padding"):
        assert callable(builder_for(layer_spec(name))), name
