"""Torch ops of the general-purpose layers against the static shape functions and
against hand-computed values or plain loops written here from Caffe's Forward_cpu."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sim_helpers import make_op, run_op

from prototxt_ls.layers import registry
from prototxt_ls.sim.ops import builder_for

COMMON = ["InnerProduct", "Embed", "Concat", "Slice", "Split", "Eltwise", "Flatten", "Reshape", "Softmax",
          "ArgMax", "Tile", "Reduction", "BatchNorm", "Scale", "Bias", "MVN", "Filter", "BatchReindex",
          "Silence", "Parameter"]


def rand(*shape, seed=0, requires_grad=True):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g).requires_grad_(requires_grad)


def t(values, requires_grad=False):
    return torch.tensor(values, dtype=torch.float32, requires_grad=requires_grad)


def close(actual, expected):
    torch.testing.assert_close(actual, torch.as_tensor(expected, dtype=actual.dtype), rtol=1e-4, atol=1e-5)


def assert_static(outs, tops):
    assert len(outs) == len(tops)
    for out, top in zip(outs, tops):
        assert tuple(out.shape) == tuple(top)


def backward_runs(outs, *inputs):
    sum(o.sum() for o in outs).backward()
    for x in inputs:
        assert x.grad is not None and torch.isfinite(x.grad).all()


@pytest.mark.parametrize("type_name", COMMON)
def test_registered_with_builder(type_name):
    spec = registry.lookup(type_name)
    assert spec.torch.startswith("common:")
    assert callable(builder_for(spec))


# ---------------------------------------------------------------- InnerProduct


@pytest.mark.parametrize("shape,body", [
    ((2, 3, 2, 2), "inner_product_param { num_output: 4 }"),
    ((2, 3, 2, 2), "inner_product_param { num_output: 4 axis: 2 }"),
    ((2, 3, 2, 2), "inner_product_param { num_output: 5 transpose: true bias_term: false }"),
    ((3, 7), "inner_product_param { num_output: 2 axis: -1 }"),
])
def test_inner_product_matches_loop(shape, body):
    x = rand(*shape)
    op, tops = make_op("InnerProduct", body, [shape])
    (y,) = op(x)
    assert_static((y,), tops)
    w = op.blobs[0].detach()
    transpose = "transpose" in body
    n_out = w.shape[1] if transpose else w.shape[0]
    axis = len(tops[0]) - 1
    flat = x.detach().reshape(-1, w.shape[0] if transpose else w.shape[1])
    expected = torch.zeros(flat.shape[0], n_out)
    for m, n in itertools.product(range(flat.shape[0]), range(n_out)):
        col = w[:, n] if transpose else w[n]
        expected[m, n] = sum(flat[m, k] * col[k] for k in range(flat.shape[1]))
        if "bias_term: false" not in body:
            expected[m, n] += op.blobs[1][n].item()
    close(y, expected.reshape(tuple(shape[:axis]) + (n_out,)))
    backward_runs((y,), x)
    assert op.blobs[0].grad is not None


def test_inner_product_hand_computed():
    x = t([[1, 2, 3]])
    (y,), _ = run_op("InnerProduct", "inner_product_param { num_output: 2 }", x,
                     blobs=[t([[1, 0, 1], [0, 1, 0]]), t([10, 20])])
    assert y.tolist() == [[14, 22]]
    (y,), _ = run_op("InnerProduct", "inner_product_param { num_output: 2 transpose: true }", x,
                     blobs=[t([[1, 0], [0, 1], [1, 0]]), t([10, 20])])
    assert y.tolist() == [[14, 22]]


# ---------------------------------------------------------------- Embed


def test_embed_hand_computed():
    table = t([[0, 1], [10, 11], [20, 21]])
    x = t([[0, 2.7], [1, 2]])  # 2.7 -> 2, as Caffe's static_cast<int>
    op, tops = make_op("Embed", "embed_param { num_output: 2 input_dim: 3 }", [(2, 2)], blobs=[table, t([0.5, -1])])
    (y,) = op(x)
    assert_static((y,), tops)
    close(y, [[[0.5, 0], [20.5, 20]], [[10.5, 10], [20.5, 20]]])
    y.sum().backward()
    assert op.blobs[0].grad.tolist() == [[1, 1], [1, 1], [2, 2]]


def test_embed_out_of_range_raises():
    op, _ = make_op("Embed", "embed_param { num_output: 2 input_dim: 3 bias_term: false }", [(2,)])
    with pytest.raises(ValueError):
        op(t([0, 3]))


# ---------------------------------------------------------------- Concat, Slice, Split


@pytest.mark.parametrize("body,dim", [("", 1), ("concat_param { axis: 2 }", 2), ("concat_param { axis: -1 }", 3),
                                      ("concat_param { concat_dim: 0 }", 0)])
def test_concat(body, dim):
    shapes = [[2, 3, 4, 5], [2, 3, 4, 5]]
    shapes[1][dim] = 1
    a, b = rand(*shapes[0], seed=1), rand(*shapes[1], seed=2)
    (y,), tops = run_op("Concat", body, a, b)
    assert_static((y,), tops)
    close(y.narrow(dim, 0, shapes[0][dim]), a.detach())
    close(y.narrow(dim, shapes[0][dim], 1), b.detach())
    backward_runs((y,), a, b)


def test_slice_points_hand_computed():
    x = torch.arange(10.0).reshape(2, 5).requires_grad_(True)
    outs, tops = run_op("Slice", 'slice_param { axis: 1 slice_point: 1 slice_point: 3 } top: "a" top: "b" top: "c"', x)
    assert_static(outs, tops)
    assert [o.tolist() for o in outs] == [[[0], [5]], [[1, 2], [6, 7]], [[3, 4], [8, 9]]]
    backward_runs(outs, x)


def test_slice_equal_and_legacy_slice_dim():
    x = rand(6, 2, 3)
    outs, tops = run_op("Slice", 'slice_param { slice_dim: 0 } top: "a" top: "b" top: "c"', x)
    assert_static(outs, tops)
    for i, o in enumerate(outs):
        close(o, x.detach()[2 * i:2 * i + 2])
    outs, tops = run_op("Slice", 'slice_param { axis: -1 slice_point: 2 } top: "a" top: "b"', x)
    assert_static(outs, tops)
    close(outs[1], x.detach()[..., 2:])


def test_slice_follows_the_actual_batch():
    op, _ = make_op("Slice", 'slice_param { axis: 0 slice_point: 1 } top: "a" top: "b"', [(2, 3)])
    a, b = op(rand(5, 3))
    assert a.shape == (1, 3) and b.shape == (4, 3)


def test_split_gradients_add_up():
    x = rand(2, 3)
    outs, tops = run_op("Split", 'top: "a" top: "b" top: "c"', x)
    assert_static(outs, tops)
    assert all(torch.equal(o, x) for o in outs)
    backward_runs(outs, x)
    assert x.grad.eq(3).all()


# ---------------------------------------------------------------- Eltwise


def test_eltwise_sum_with_coeff():
    a, b, c = t([1, 2], True), t([10, 20], True), t([100, 200], True)
    (y,), tops = run_op("Eltwise", "eltwise_param { operation: SUM coeff: 1 coeff: -1 coeff: 0.5 }", a, b, c)
    assert_static((y,), tops)
    assert y.tolist() == [41, 82]
    backward_runs((y,), a, b, c)
    assert b.grad.tolist() == [-1, -1] and c.grad.tolist() == [0.5, 0.5]
    (y,), _ = run_op("Eltwise", "", a, b)  # default SUM, coeff 1
    assert y.tolist() == [11, 22]


def test_eltwise_prod():
    a, b, c = t([1, 2], True), t([3, 4], True), t([5, -1], True)
    (y,), _ = run_op("Eltwise", "eltwise_param { operation: PROD }", a, b, c)
    assert y.tolist() == [15, -8]
    backward_runs((y,), a, b, c)
    assert a.grad.tolist() == [15, -4]


def test_eltwise_max_ties_route_the_gradient_as_caffe():
    a, b, c = t([1, 5, 2, 7], True), t([1, 3, 4, 7], True), t([1, 5, 0, 7], True)
    (y,), _ = run_op("Eltwise", "eltwise_param { operation: MAX }", a, b, c)
    assert y.tolist() == [1, 5, 4, 7]
    backward_runs((y,), a, b, c)
    # a tie between bottoms 0 and 1 goes to 1; a later bottom must be strictly larger
    assert a.grad.tolist() == [0, 1, 0, 0]
    assert b.grad.tolist() == [1, 0, 1, 1]
    assert c.grad.tolist() == [0, 0, 0, 0]


# ---------------------------------------------------------------- Flatten, Reshape


@pytest.mark.parametrize("body", ["", "flatten_param { axis: 2 }", "flatten_param { axis: 1 end_axis: 2 }",
                                  "flatten_param { axis: 0 end_axis: -2 }", "flatten_param { axis: 2 end_axis: 1 }"])
def test_flatten(body):
    x = rand(2, 3, 4, 5)
    (y,), tops = run_op("Flatten", body, x)
    assert_static((y,), tops)
    assert torch.equal(y.flatten(), x.flatten())
    backward_runs((y,), x)


@pytest.mark.parametrize("body", [
    "reshape_param { shape { dim: 0 dim: -1 } }",
    "reshape_param { shape { dim: 0 dim: 2 dim: -1 dim: 5 } }",
    "reshape_param { shape { dim: 3 dim: 2 } axis: 1 num_axes: 1 }",
    "reshape_param { shape { dim: 1 } axis: -1 num_axes: 0 }",
    "reshape_param { shape { dim: -1 } axis: 1 }",
])
def test_reshape(body):
    x = rand(2, 6, 5)
    (y,), tops = run_op("Reshape", body, x)
    assert_static((y,), tops)
    assert torch.equal(y.flatten(), x.flatten())
    backward_runs((y,), x)


def test_reshape_follows_the_actual_batch():
    op, tops = make_op("Reshape", "reshape_param { shape { dim: 0 dim: -1 } }", [(2, 3, 4)])
    assert tops == [(2, 12)]
    assert op(rand(5, 3, 4))[0].shape == (5, 12)
    op, _ = make_op("Reshape", "reshape_param { shape { dim: -1 dim: 6 } }", [(2, 3, 4)])
    assert op(rand(3, 3, 4))[0].shape == (6, 6)


# ---------------------------------------------------------------- Softmax, ArgMax


def test_softmax_hand_computed():
    x = t([[[0, 0], [1, 1]]], True)
    (y,), tops = run_op("Softmax", "", x)  # axis 1: over the 2 rows
    assert_static((y,), tops)
    e = torch.e
    close(y[0, :, 0], [1 / (1 + e), e / (1 + e)])
    (y,), _ = run_op("Softmax", "softmax_param { axis: -1 }", x)
    close(y, torch.full((1, 2, 2), 0.5))
    backward_runs((y,), x)


def test_argmax_without_axis_hand_computed():
    x = t([[1, 3, 2, 3], [4, 0, 5, 1]]).reshape(2, 2, 2)
    (y,), tops = run_op("ArgMax", "argmax_param { top_k: 2 }", x)
    assert_static((y,), tops)  # [N, 1, top_k]
    # equal values: the larger index first (std::greater on (value, index) pairs)
    assert y.tolist() == [[[3, 1]], [[2, 0]]]
    (y,), tops = run_op("ArgMax", "argmax_param { out_max_val: true top_k: 2 }", x)
    assert_static((y,), tops)  # [N, 2, top_k]: indices, then values
    assert y.tolist() == [[[3, 1], [3, 3]], [[2, 0], [5, 4]]]
    (y,), tops = run_op("ArgMax", "", rand(2, 3, 4, 5))
    assert_static((y,), tops)  # [N, 1, 1, 1]


def test_argmax_with_axis():
    x = t([[[1, 9], [5, 2], [3, 4]]])  # 1 x 3 x 2, axis 1
    (y,), tops = run_op("ArgMax", "argmax_param { axis: 1 top_k: 2 }", x)
    assert_static((y,), tops)
    assert y.tolist() == [[[1, 0], [2, 2]]]
    (y,), _ = run_op("ArgMax", "argmax_param { axis: 1 out_max_val: true }", x)
    assert y.tolist() == [[[5, 9]]]  # with axis, out_max_val gives the values only
    x = rand(2, 3, 4)
    (y,), tops = run_op("ArgMax", "argmax_param { axis: -1 top_k: 3 }", x)
    assert_static((y,), tops)
    close(y, x.detach().argsort(dim=-1, descending=True)[..., :3].float())


# ---------------------------------------------------------------- Tile, Reduction


def test_tile_repeats_the_whole_block():
    x = t([[1, 2], [3, 4]], True)
    (y,), tops = run_op("Tile", "tile_param { axis: 1 tiles: 2 }", x)
    assert_static((y,), tops)
    assert y.tolist() == [[1, 2, 1, 2], [3, 4, 3, 4]]
    (y,), tops = run_op("Tile", "tile_param { axis: 0 tiles: 3 }", x)
    assert_static((y,), tops)
    assert y.tolist() == [[1, 2], [3, 4]] * 3
    backward_runs((y,), x)
    assert x.grad.eq(3).all()


@pytest.mark.parametrize("op_name,expected", [("SUM", [6, -4]), ("ASUM", [6, 12]), ("SUMSQ", [14, 50]),
                                              ("MEAN", [2, -4 / 3])])
def test_reduction(op_name, expected):
    x = t([[1, 2, 3], [-3, 4, -5]], True)
    (y,), tops = run_op("Reduction", f"reduction_param {{ operation: {op_name} axis: 1 coeff: 2 }}", x)
    assert_static((y,), tops)
    close(y, [2 * e for e in expected])
    backward_runs((y,), x)


def test_reduction_default_axis_gives_a_scalar():
    x = rand(2, 3, 4)
    (y,), tops = run_op("Reduction", "", x)
    assert tops == [()] and y.shape == ()
    close(y, x.detach().sum())


# ---------------------------------------------------------------- BatchNorm


def test_batch_norm_global_stats_with_scale_factor():
    x = t([[[1], [2]], [[3], [6]]], True)
    blobs = [t([4, 8]), t([2, 18]), t([2])]  # mean [2, 4], var [1, 9] after / 2
    op, tops = make_op("BatchNorm", "batch_norm_param { eps: 0 }", [(2, 2, 1)], blobs=blobs)
    (y,) = op(x)
    assert_static((y,), tops)
    close(y.reshape(2, 2), [[-1, -2 / 3], [1, 2 / 3]])
    backward_runs((y,), x)
    assert not op.blobs[0].requires_grad


def test_batch_norm_zero_scale_factor_means_zero_stats():
    x = t([[1.0, -2.0]]).reshape(1, 2)
    (y,), _ = run_op("BatchNorm", "batch_norm_param { eps: 0.25 }", x, blobs=[t([5, 5]), t([7, 7]), t([0])])
    close(y, [[2.0, -4.0]])  # x / sqrt(0 + 0.25)


def test_batch_norm_train_batch_statistics_and_running_update():
    x = rand(3, 2, 2, 2)
    blobs = [t([1, 1]), t([1, 1]), t([1])]
    op, tops = make_op("BatchNorm", "batch_norm_param { moving_average_fraction: 0.5 }", [(3, 2, 2, 2)],
                       phase="TRAIN", blobs=blobs)
    (y,) = op(x)
    assert_static((y,), tops)
    xd = x.detach()
    for c in range(2):
        vals = [xd[n, c, h, w].item() for n, h, w in itertools.product(range(3), range(2), range(2))]
        m = sum(vals) / len(vals)
        var = sum((v - m) ** 2 for v in vals) / len(vals)  # biased
        close(y[:, c], (xd[:, c] - m) / (var + 1e-5) ** 0.5)
        close(op.blobs[0][c], 0.5 * 1 + m)
        close(op.blobs[1][c], 0.5 * 1 + var * 12 / 11)
    close(op.blobs[2], [1.5])
    backward_runs((y,), x)


def test_batch_norm_use_global_stats_overrides_the_phase():
    x = rand(4, 3)
    blobs = [t([0, 0, 0]), t([1, 1, 1]), t([1])]
    (y,), _ = run_op("BatchNorm", "batch_norm_param { use_global_stats: true eps: 0 }", x, phase="TRAIN",
                     blobs=blobs)
    close(y, x.detach())
    (y,), _ = run_op("BatchNorm", "batch_norm_param { use_global_stats: false eps: 0 }", x,
                     blobs=[b.clone() for b in blobs])
    close(y.mean(dim=0), torch.zeros(3))


# ---------------------------------------------------------------- Scale, Bias


def test_scale_one_bottom_with_bias():
    x = rand(2, 3, 2)
    op, tops = make_op("Scale", "scale_param { bias_term: true }", [(2, 3, 2)], blobs=[t([1, 2, 3]), t([0, 10, 20])])
    (y,) = op(x)
    assert_static((y,), tops)
    xd = x.detach()
    for c in range(3):
        close(y[:, c], xd[:, c] * (c + 1) + 10 * c)
    backward_runs((y,), x)
    assert op.blobs[0].grad is not None and op.blobs[1].grad is not None


def test_scale_axis_and_num_axes():
    x = rand(2, 3, 4)
    s = rand(3, 4, seed=5, requires_grad=False)
    (y,), tops = run_op("Scale", "scale_param { axis: 1 num_axes: -1 }", x, blobs=[s])
    assert_static((y,), tops)
    close(y, x.detach() * s[None])
    (y,), _ = run_op("Scale", "scale_param { axis: 0 num_axes: 0 }", x, blobs=[torch.tensor(3.0)])
    close(y, 3 * x.detach())


def test_scale_second_bottom_is_the_factor():
    x, s = rand(2, 3, 4), rand(3, seed=6)
    op, tops = make_op("Scale", "scale_param { bias_term: true }", [(2, 3, 4), (3,)], blobs=[t([1, 2, 3])])
    (y,) = op(x, s)
    assert_static((y,), tops)
    close(y, x.detach() * s.detach()[None, :, None] + t([1, 2, 3])[None, :, None])
    backward_runs((y,), x, s)
    (y,), _ = run_op("Scale", "scale_param { axis: 1 }", x, torch.tensor(2.0))  # a scalar applies from axis 0
    close(y, 2 * x.detach())


def test_bias_one_and_two_bottoms():
    x = rand(2, 3, 4)
    (y,), tops = run_op("Bias", "bias_param { axis: 2 }", x, blobs=[t([1, 2, 3, 4])])
    assert_static((y,), tops)
    close(y, x.detach() + t([1, 2, 3, 4]))
    b = rand(2, 3, seed=3)
    (y,), tops = run_op("Bias", "bias_param { axis: 0 }", x, b)
    assert_static((y,), tops)
    close(y, x.detach() + b.detach()[:, :, None])
    backward_runs((y,), x, b)


# ---------------------------------------------------------------- MVN


def ref_mvn(x4, across, normalize, eps):
    N, C, H, W = x4.shape
    out = torch.empty_like(x4)
    groups = [[(n, c) for c in range(C)] for n in range(N)] if across else [[(n, c)] for n in range(N)
                                                                            for c in range(C)]
    for group in groups:
        vals = [x4[n, c, h, w].item() for n, c in group for h in range(H) for w in range(W)]
        m = sum(vals) / len(vals)
        std = (sum((v - m) ** 2 for v in vals) / len(vals)) ** 0.5
        for n, c in group:
            out[n, c] = (x4[n, c] - m) / (std + eps if normalize else 1)
    return out


@pytest.mark.parametrize("body,across,normalize", [
    ("", False, True),
    ("mvn_param { across_channels: true }", True, True),
    ("mvn_param { normalize_variance: false }", False, False),
    ("mvn_param { eps: 0.5 }", False, True),
])
def test_mvn(body, across, normalize):
    x = rand(2, 3, 2, 3)
    (y,), tops = run_op("MVN", body, x)
    assert_static((y,), tops)
    eps = 0.5 if "eps" in body else 1e-9
    close(y, ref_mvn(x.detach(), across, normalize, eps))
    backward_runs((y,), x)


def test_mvn_top_is_always_4d():
    x = rand(2, 3)
    (y,), tops = run_op("MVN", "mvn_param { normalize_variance: false }", x)
    assert_static((y,), tops)
    assert y.shape == (2, 3, 1, 1)
    close(y, torch.zeros(2, 3, 1, 1))  # one value per (item, channel): nothing left after the mean


# ---------------------------------------------------------------- Filter, BatchReindex


def test_filter_hand_computed():
    a, b = torch.arange(6.0).reshape(3, 2).requires_grad_(True), rand(3, 1, 2)
    sel = t([1, 0, 2.5]).reshape(3, 1)
    outs, tops = run_op("Filter", 'top: "fa" top: "fb"', a, b, sel)
    assert [o.shape[1:] for o in outs] == [tuple(s[1:]) for s in tops]  # the kept count is a runtime value
    assert outs[0].tolist() == [[0, 1], [4, 5]]
    close(outs[1], b.detach()[[0, 2]])
    backward_runs(outs, a, b)
    assert a.grad.tolist() == [[1, 1], [0, 0], [1, 1]]


def test_batch_reindex_hand_computed():
    x = torch.arange(6.0).reshape(3, 2).requires_grad_(True)
    (y,), tops = run_op("BatchReindex", "", x, t([2, 0, 2]))
    assert_static((y,), tops)
    assert y.tolist() == [[4, 5], [0, 1], [4, 5]]
    backward_runs((y,), x)
    assert x.grad.tolist() == [[1, 1], [0, 0], [2, 2]]
    op, _ = make_op("BatchReindex", "", [(3, 2), (1,)])
    with pytest.raises(ValueError):
        op(x, t([3]))


# ---------------------------------------------------------------- Silence, Parameter


def test_silence_has_no_tops():
    outs, tops = run_op("Silence", "", rand(2, 3), rand(4))
    assert outs == () and tops == []


def test_parameter_returns_its_blob():
    blob = rand(2, 3, requires_grad=False)
    op, tops = make_op("Parameter", "parameter_param { shape { dim: 2 dim: 3 } }", [], blobs=[blob])
    (y,) = op()
    assert_static((y,), tops)
    close(y, blob)
    y.sum().backward()
    assert op.blobs[0].grad.eq(1).all()
