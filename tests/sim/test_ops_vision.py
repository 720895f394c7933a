"""Torch ops of the vision layers against the static shape functions and against
straightforward loops written here from Caffe's Forward_cpu (no torch conv or
pooling in the references), plus a few hand-computed values."""

from __future__ import annotations

import itertools
import math
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sim_helpers import make_op, run_op

from prototxt_ls.layers import registry
from prototxt_ls.layers.spec import LayerSpec
from prototxt_ls.sim.ops import builder_for
from prototxt_ls.sim.ops.base import Unsupported

VISION = ["Convolution", "Deconvolution", "Im2col", "Pooling", "SPP", "LRN", "Crop"]


def rand(*shape, seed=0, requires_grad=True):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g).requires_grad_(requires_grad)


def assert_static(outs, tops):
    """The real tops have exactly the static shape function's shapes."""
    assert len(outs) == len(tops)
    for out, top in zip(outs, tops):
        assert tuple(out.shape) == tuple(top)


def close(actual, expected):
    torch.testing.assert_close(actual, expected.to(actual.dtype), rtol=1e-4, atol=1e-5)


def backward_runs(outs, *inputs):
    sum(o.sum() for o in outs).backward()
    for x in inputs:
        assert x.grad is not None and torch.isfinite(x.grad).all()


@pytest.mark.parametrize("type_name", VISION)
def test_registered_with_builder(type_name):
    spec: LayerSpec = registry.lookup(type_name)
    assert spec.torch.startswith("vision:")
    assert callable(builder_for(spec))


# ---------------------------------------------------------------- convolution references


def c_out(size, k, s, p, d):
    """Caffe's conv output size, dividing like C (truncation toward zero)."""
    return int((size + 2 * p - (d * (k - 1) + 1)) / s) + 1


def ref_conv(x, w, b, stride, pad, dil, group):
    """Direct convolution: every output position sums its window, positions outside
    the image reading 0 (as Caffe's im2col does)."""
    n_sp = len(stride)
    sizes = x.shape[2:]
    kernel = w.shape[2:]
    outs = [c_out(sizes[i], kernel[i], stride[i], pad[i], dil[i]) for i in range(n_sp)]
    N, C = x.shape[:2]
    O = w.shape[0]
    cpg, opg = C // group, O // group
    y = torch.zeros((N, O, *outs), dtype=x.dtype)
    for o_pos in itertools.product(*[range(o) for o in outs]):
        for k_pos in itertools.product(*[range(k) for k in kernel]):
            idx = [o_pos[i] * stride[i] - pad[i] + k_pos[i] * dil[i] for i in range(n_sp)]
            if not all(0 <= idx[i] < sizes[i] for i in range(n_sp)):
                continue
            patch = x[(slice(None), slice(None)) + tuple(idx)]
            for g in range(group):
                wk = w[(slice(g * opg, (g + 1) * opg), slice(None)) + tuple(k_pos)]
                y[(slice(None), slice(g * opg, (g + 1) * opg)) + o_pos] += patch[:, g * cpg:(g + 1) * cpg] @ wk.T
    if b is not None:
        y += b.reshape((1, O) + (1,) * n_sp)
    return y


def ref_deconv(x, w, b, stride, pad, dil, group):
    """Direct transposed convolution: each input point scatters its kernel-weighted
    value; positions landing in the cropped padding are dropped (Caffe's col2im)."""
    n_sp = len(stride)
    sizes = x.shape[2:]
    kernel = w.shape[2:]
    outs = [stride[i] * (sizes[i] - 1) + dil[i] * (kernel[i] - 1) + 1 - 2 * pad[i] for i in range(n_sp)]
    N, C = x.shape[:2]
    opg = w.shape[1]
    O = opg * group
    cpg = C // group
    y = torch.zeros((N, O, *outs), dtype=x.dtype)
    for i_pos in itertools.product(*[range(s) for s in sizes]):
        for k_pos in itertools.product(*[range(k) for k in kernel]):
            o = [i_pos[i] * stride[i] - pad[i] + k_pos[i] * dil[i] for i in range(n_sp)]
            if not all(0 <= o[i] < outs[i] for i in range(n_sp)):
                continue
            v = x[(slice(None), slice(None)) + i_pos]
            for g in range(group):
                wk = w[(slice(g * cpg, (g + 1) * cpg), slice(None)) + tuple(k_pos)]
                y[(slice(None), slice(g * opg, (g + 1) * opg)) + tuple(o)] += v[:, g * cpg:(g + 1) * cpg] @ wk
    if b is not None:
        y += b.reshape((1, O) + (1,) * n_sp)
    return y


def per_axis(n_sp):
    """A parameter given once applies to every spatial axis."""
    return lambda v: v * n_sp if len(v) == 1 else v


def conv_body(num_output, kernel, stride=None, pad=None, dilation=None, group=1, bias=True, extra=""):
    parts = [f"num_output: {num_output}", f"group: {group}", f"bias_term: {'true' if bias else 'false'}"]
    parts += [f"kernel_size: {k}" for k in kernel]
    parts += [f"stride: {s}" for s in stride or []]
    parts += [f"pad: {p}" for p in pad or []]
    parts += [f"dilation: {d}" for d in dilation or []]
    return "convolution_param { " + " ".join(parts) + " " + extra + " }"


CONV_CASES = [
    # (input shape, num_output, kernel, stride, pad, dilation, group, bias)
    ((2, 3, 7, 6), 4, [3], [1], [0], [1], 1, True),
    ((1, 4, 8, 7), 6, [3, 2], [2, 1], [1, 0], [1], 2, True),
    ((1, 4, 9, 9), 4, [3], [2], [2], [2], 4, False),
    ((2, 2, 5, 5), 2, [2], [3], [1], [1], 1, True),
    ((1, 2, 2, 2), 3, [3], [2], [0], [1], 1, True),   # window 1 past the input: C division still gives 1
    ((1, 2, 4, 3), 2, [3], [3], [0], [1], 1, True),   # (4-3)/3 -> 1 output, (3-3)/3 -> 1 output
    ((2, 3, 9), 2, [4], [2], [1], [1], 1, True),      # 1 spatial axis
    ((1, 2, 4, 5, 4), 3, [2, 3, 2], [1, 2, 1], [1, 0, 1], [1], 1, True),  # 3 spatial axes
]


@pytest.mark.parametrize("shape,num_output,kernel,stride,pad,dil,group,bias", CONV_CASES)
def test_convolution_matches_direct_loop(shape, num_output, kernel, stride, pad, dil, group, bias):
    n_sp = len(shape) - 2
    expand = per_axis(n_sp)
    x = rand(*shape)
    body = conv_body(num_output, kernel, stride, pad, dil, group, bias)
    op, tops = make_op("Convolution", body, [shape])
    (y,) = op(x)
    assert_static((y,), tops)
    w = op.blobs[0].detach()
    b = op.blobs[1].detach() if bias else None
    ref = ref_conv(x.detach(), w, b, expand(stride), expand(pad), expand(dil), group)
    close(y, ref)
    backward_runs((y,), x)
    assert op.blobs[0].grad is not None


def test_convolution_two_bottoms_share_weights():
    a, b = rand(1, 2, 5, 5, seed=1), rand(1, 2, 5, 5, seed=2)
    op, tops = make_op("Convolution", conv_body(3, [3]) + ' top: "p" top: "q"', [(1, 2, 5, 5)] * 2)
    ya, yb = op(a, b)
    assert_static((ya, yb), tops)
    w, bias = op.blobs[0].detach(), op.blobs[1].detach()
    close(ya, ref_conv(a.detach(), w, bias, [1, 1], [0, 0], [1, 1], 1))
    close(yb, ref_conv(b.detach(), w, bias, [1, 1], [0, 0], [1, 1], 1))


def test_convolution_hand_computed():
    # 1x1x3x3 input 1..9, 2x2 kernel of ones, pad 0: window sums; bias 10
    x = torch.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    (y,), _ = run_op("Convolution", conv_body(1, [2]), x, blobs=[torch.ones(1, 1, 2, 2), torch.tensor([10.0])])
    assert y.tolist() == [[[[22.0, 26.0], [34.0, 38.0]]]]


def test_convolution_kernel_h_w_and_channel_axis_2():
    x = rand(2, 3, 2, 6, 5)  # axis 2: the leading (2, 3) are items
    body = "convolution_param { num_output: 4 kernel_h: 3 kernel_w: 2 stride_h: 2 stride_w: 1 axis: 2 }"
    op, tops = make_op("Convolution", body, [tuple(x.shape)])
    (y,) = op(x)
    assert_static((y,), tops)
    w, b = op.blobs[0].detach(), op.blobs[1].detach()
    for i, j in itertools.product(range(2), range(3)):
        ref = ref_conv(x.detach()[i, j][None], w, b, [2, 1], [0, 0], [1, 1], 1)[0]
        close(y[i, j], ref)


def test_convolution_without_spatial_axes_is_unsupported():
    with pytest.raises(Unsupported):
        make_op("Convolution", "convolution_param { num_output: 2 }", [(2, 3)])


DECONV_CASES = [
    ((1, 2, 3, 4), 3, [3], [2], [1], [1], 1, True),
    ((2, 4, 3, 3), 4, [2, 3], [2, 1], [0, 1], [1], 2, False),
    ((1, 2, 4, 4), 2, [3], [1], [2], [2], 1, True),
    ((1, 3, 5), 2, [4], [3], [1], [1], 1, True),
]


@pytest.mark.parametrize("shape,num_output,kernel,stride,pad,dil,group,bias", DECONV_CASES)
def test_deconvolution_matches_scatter_loop(shape, num_output, kernel, stride, pad, dil, group, bias):
    n_sp = len(shape) - 2
    expand = per_axis(n_sp)
    x = rand(*shape)
    op, tops = make_op("Deconvolution", conv_body(num_output, kernel, stride, pad, dil, group, bias), [shape])
    (y,) = op(x)
    assert_static((y,), tops)
    assert tuple(op.blobs[0].shape[:2]) == (shape[1], num_output // group)  # Caffe's [C_in, C_out/group, k...]
    b = op.blobs[1].detach() if bias else None
    ref = ref_deconv(x.detach(), op.blobs[0].detach(), b, expand(stride), expand(pad), expand(dil), group)
    close(y, ref)
    backward_runs((y,), x)


def test_deconvolution_hand_computed():
    # stride 2, 2x2 kernel of ones: each input value fills its own 2x2 block
    x = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    (y,), tops = run_op("Deconvolution", conv_body(1, [2], [2], bias=False), x, blobs=[torch.ones(1, 1, 2, 2)])
    assert tops == [(1, 1, 4, 4)]
    assert y[0, 0].tolist() == [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]


# ---------------------------------------------------------------- Im2col


def ref_im2col(x, kernel, stride, pad, dil):
    """Caffe's im2col_nd_cpu, one column entry at a time."""
    n_sp = len(kernel)
    sizes = x.shape[2:]
    outs = [c_out(sizes[i], kernel[i], stride[i], pad[i], dil[i]) for i in range(n_sp)]
    N, C = x.shape[:2]
    K = math.prod(kernel)
    cols = torch.zeros((N, C * K, *outs), dtype=x.dtype)
    for c in range(C):
        for ki, k_pos in enumerate(itertools.product(*[range(k) for k in kernel])):
            for o_pos in itertools.product(*[range(o) for o in outs]):
                idx = [o_pos[i] * stride[i] - pad[i] + k_pos[i] * dil[i] for i in range(n_sp)]
                if all(0 <= idx[i] < sizes[i] for i in range(n_sp)):
                    cols[(slice(None), c * K + ki) + o_pos] = x[(slice(None), c) + tuple(idx)]
    return cols


@pytest.mark.parametrize("shape,kernel,stride,pad,dil", [
    ((2, 3, 5, 6), [3], [1], [1], [1]),
    ((1, 2, 7, 6), [3, 2], [2, 3], [1, 0], [2, 1]),
    ((1, 2, 2, 2), [3], [2], [0], [1]),
    ((1, 2, 8), [3], [2], [1], [1]),
    ((1, 2, 4, 3, 4), [2], [2], [1], [1]),
])
def test_im2col_matches_loop(shape, kernel, stride, pad, dil):
    n_sp = len(shape) - 2
    expand = per_axis(n_sp)
    x = rand(*shape)
    body = conv_body(1, kernel, stride, pad, dil, extra="")
    (y,), tops = run_op("Im2col", body, x)
    assert_static((y,), tops)
    close(y, ref_im2col(x.detach(), expand(kernel), expand(stride), expand(pad), expand(dil)))
    backward_runs((y,), x)


def test_im2col_hand_computed():
    x = torch.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    (y,), _ = run_op("Im2col", "convolution_param { kernel_size: 2 }", x)
    # rows: kernel offsets (0,0), (0,1), (1,0), (1,1); columns: the 2x2 output positions
    assert y.reshape(4, 4).tolist() == [[1, 2, 4, 5], [2, 3, 5, 6], [4, 5, 7, 8], [5, 6, 8, 9]]


# ---------------------------------------------------------------- Pooling references


def caffe_pooled(size, k, s, p, ceil=True, any_pad=None):
    """PoolingLayer::Reshape for one axis: round, then drop a last window that starts
    in the padding (checked whenever either axis is padded)."""
    a = size + 2 * p - k
    out = (math.ceil(a / s) if ceil else a // s) + 1
    if (p if any_pad is None else any_pad) and (out - 1) * s >= size + p:
        out -= 1
    return out


def ref_pool(x, method, kh, kw, sh=1, sw=1, ph=0, pw=0, ceil=True):
    """PoolingLayer::Forward (MAX with mask, AVE) and the GPU's StoPoolForwardTest,
    written out position by position."""
    N, C, H, W = x.shape
    oh = caffe_pooled(H, kh, sh, ph, ceil, ph or pw)
    ow = caffe_pooled(W, kw, sw, pw, ceil, ph or pw)
    top = torch.zeros(N, C, oh, ow, dtype=x.dtype)
    mask = torch.full((N, C, oh, ow), -1.0, dtype=x.dtype)
    for n, c, i, j in itertools.product(range(N), range(C), range(oh), range(ow)):
        hs, ws = i * sh - ph, j * sw - pw
        if method == "AVE":
            he, we = min(hs + kh, H + ph), min(ws + kw, W + pw)
            pool_size = (he - hs) * (we - ws)
            hs, ws, he, we = max(hs, 0), max(ws, 0), min(he, H), min(we, W)
            top[n, c, i, j] = sum(x[n, c, a, b] for a in range(hs, he) for b in range(ws, we)) / pool_size
        elif method == "MAX":
            he, we = min(hs + kh, H), min(ws + kw, W)
            hs, ws = max(hs, 0), max(ws, 0)
            best = -math.inf
            for a in range(hs, he):
                for b in range(ws, we):
                    if x[n, c, a, b] > best:
                        best, mask[n, c, i, j] = x[n, c, a, b], a * W + b
            top[n, c, i, j] = best
        else:  # STOCHASTIC, TEST
            he, we = min(hs + kh, H), min(ws + kw, W)
            vals = [x[n, c, a, b] for a in range(hs, he) for b in range(ws, we)]
            top[n, c, i, j] = sum(v * v for v in vals) / (torch.finfo(torch.float32).tiny + sum(vals))
    return top, mask


POOL_CASES = [
    # (H, W, kernel, stride, pad, round_mode)
    (6, 6, 3, 2, 1, "CEIL"),
    (3, 3, 2, 2, 1, "CEIL"),     # the last window would start in the padding: dropped
    (7, 5, 3, 2, 1, "CEIL"),
    (4, 4, 3, 2, 1, "CEIL"),     # the last window runs past the padded input: AVE divisor 2, not 3
    (7, 7, 3, 2, 0, "CEIL"),
    (6, 7, 3, 2, 0, "CEIL"),     # ceil: a last window past the input, no pad
    (6, 7, 3, 2, 0, "FLOOR"),
    (7, 6, 3, 2, 1, "FLOOR"),
    (5, 5, 2, 3, 1, "CEIL"),
    (5, 8, 4, 3, 3, "CEIL"),     # pad 3 with kernel 4: Caffe allows pad < kernel (torch only pad <= k/2)
]


@pytest.mark.parametrize("H,W,k,s,p,mode", POOL_CASES)
@pytest.mark.parametrize("method", ["MAX", "AVE"])
def test_pooling_matches_caffe_loop(H, W, k, s, p, mode, method):
    x = rand(2, 2, H, W)
    body = f"pooling_param {{ pool: {method} kernel_size: {k} stride: {s} pad: {p} round_mode: {mode} }}"
    outs, tops = run_op("Pooling", body, x)
    assert_static(outs, tops)
    ref, _ = ref_pool(x.detach(), method, k, k, s, s, p, p, mode == "CEIL")
    close(outs[0], ref)
    backward_runs(outs, x)


def test_clipped_window_cases_do_clip():
    """The cases above really exercise the dropped last window (Caffe's --pooled)."""
    assert caffe_pooled(3, 2, 2, 1) == 2 and math.ceil((3 + 2 - 2) / 2) + 1 == 3


@pytest.mark.parametrize("H,W,k,s,p,mode", POOL_CASES)
def test_max_pooling_mask_is_caffe_flat_index(H, W, k, s, p, mode):
    x = rand(2, 3, H, W, seed=4)
    body = f'pooling_param {{ pool: MAX kernel_size: {k} stride: {s} pad: {p} round_mode: {mode} }} top: "t" top: "m"'
    (top, mask), tops = run_op("Pooling", body, x)
    assert_static((top, mask), tops)
    ref, ref_mask = ref_pool(x.detach(), "MAX", k, k, s, s, p, p, mode == "CEIL")
    close(top, ref)
    assert torch.equal(mask, ref_mask)
    assert mask.dtype == x.dtype
    backward_runs((top,), x)


def test_max_pooling_mask_hand_computed():
    x = torch.arange(9.0).reshape(1, 1, 3, 3)
    (top, mask), _ = run_op("Pooling", 'pooling_param { pool: MAX kernel_size: 2 stride: 1 } top: "t" top: "m"', x)
    assert top[0, 0].tolist() == [[4, 5], [7, 8]]
    assert mask[0, 0].tolist() == [[4, 5], [7, 8]]
    # ties: the first maximum in row-major order wins
    (top, mask), _ = run_op("Pooling", 'pooling_param { pool: MAX kernel_size: 2 } top: "t" top: "m"',
                            torch.ones(1, 1, 2, 2))
    assert mask.item() == 0


def test_ave_pooling_divisors_hand_computed():
    ones = torch.ones(1, 1, 4, 4)
    (y,), tops = run_op("Pooling", "pooling_param { pool: AVE kernel_size: 3 stride: 1 pad: 1 }", ones)
    assert tops == [(1, 1, 4, 4)]
    edge, corner = 6 / 9, 4 / 9
    expected = [[corner, edge, edge, corner], [edge, 1, 1, edge], [edge, 1, 1, edge], [corner, edge, edge, corner]]
    close(y[0, 0], torch.tensor(expected))
    # stride 2: the last window [3, 6) is cut to the padded input [3, 5): divisor 2 per axis, 1 row of ones
    (y,), tops = run_op("Pooling", "pooling_param { pool: AVE kernel_size: 3 stride: 2 pad: 1 }", ones)
    assert tops == [(1, 1, 3, 3)]
    per_axis = torch.tensor([2 / 3, 1.0, 1 / 2])
    close(y[0, 0], per_axis[:, None] * per_axis[None, :])


def test_pooling_rectangular_windows():
    x = rand(1, 2, 7, 9)
    body = "pooling_param { pool: AVE kernel_h: 3 kernel_w: 2 stride_h: 2 stride_w: 3 pad_h: 1 pad_w: 0 }"
    outs, tops = run_op("Pooling", body, x)
    assert_static(outs, tops)
    close(outs[0], ref_pool(x.detach(), "AVE", 3, 2, 2, 3, 1, 0)[0])
    body = body.replace("AVE", "MAX")
    outs, tops = run_op("Pooling", body, x)
    close(outs[0], ref_pool(x.detach(), "MAX", 3, 2, 2, 3, 1, 0)[0])


@pytest.mark.parametrize("method", ["MAX", "AVE"])
def test_global_pooling(method):
    x = rand(2, 3, 5, 4)
    outs, tops = run_op("Pooling", f"pooling_param {{ pool: {method} global_pooling: true }}", x)
    assert_static(outs, tops)
    expected = x.amax(dim=(2, 3), keepdim=True) if method == "MAX" else x.mean(dim=(2, 3), keepdim=True)
    close(outs[0], expected)
    backward_runs(outs, x)


def test_global_pooling_follows_the_actual_input_size():
    op, _ = make_op("Pooling", "pooling_param { pool: AVE global_pooling: true }", [(1, 2, 3, 3)])
    x = rand(1, 2, 6, 5)
    close(op(x)[0], x.mean(dim=(2, 3), keepdim=True))


def test_stochastic_pooling_test_phase_is_weighted_average():
    x = (rand(1, 2, 5, 5, requires_grad=False).abs() + 0.1).requires_grad_(True)
    outs, tops = run_op("Pooling", "pooling_param { pool: STOCHASTIC kernel_size: 2 stride: 2 }", x)
    assert_static(outs, tops)  # ceil: 3x3, the last windows cut to the image
    close(outs[0], ref_pool(x.detach(), "STOCHASTIC", 2, 2, 2, 2)[0])
    # one window: (1 + 4 + 9 + 16) / (1 + 2 + 3 + 4)
    (y,), _ = run_op("Pooling", "pooling_param { pool: STOCHASTIC kernel_size: 2 }",
                     torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]]))
    assert y.item() == pytest.approx(3.0)
    backward_runs(outs, x)


def test_stochastic_pooling_in_train_is_unsupported():
    with pytest.raises(Unsupported):
        make_op("Pooling", "pooling_param { pool: STOCHASTIC kernel_size: 2 }", [(1, 1, 4, 4)], phase="TRAIN")


# ---------------------------------------------------------------- SPP


def spp_window(h, w, level):
    bins = 2 ** level
    kh, kw = math.ceil(h / bins), math.ceil(w / bins)
    return kh, kw, (kh * bins - h + 1) // 2, (kw * bins - w + 1) // 2


@pytest.mark.parametrize("H,W,height,method", [(4, 4, 2, "MAX"), (7, 9, 3, "MAX"), (9, 7, 3, "AVE"), (6, 10, 2, "AVE"),
                                               (9, 9, 1, "AVE"), (8, 8, 3, "STOCHASTIC")])
def test_spp_matches_per_level_pooling(H, W, height, method):
    x = (rand(2, 3, H, W, requires_grad=False).abs() + 0.1).requires_grad_(True)
    outs, tops = run_op("SPP", f"spp_param {{ pyramid_height: {height} pool: {method} }}", x)
    assert_static(outs, tops)
    levels = []
    for level in range(height):
        kh, kw, ph, pw = spp_window(H, W, level)
        levels.append(ref_pool(x.detach(), method, kh, kw, kh, kw, ph, pw)[0])
    expected = levels[0] if height == 1 else torch.cat([t.flatten(1) for t in levels], dim=1)
    close(outs[0], expected)
    backward_runs(outs, x)


def test_spp_hand_computed():
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    (y,), _ = run_op("SPP", "spp_param { pyramid_height: 2 pool: MAX }", x)
    assert y.tolist() == [[15, 5, 7, 13, 15]]


# ---------------------------------------------------------------- LRN


def ref_lrn_across(x, size, alpha, beta, k):
    N, C, H, W = x.shape
    out = torch.empty_like(x)
    half = (size - 1) // 2
    for n, c, h, w in itertools.product(range(N), range(C), range(H), range(W)):
        s = sum(x[n, j, h, w] ** 2 for j in range(max(0, c - half), min(C, c + half + 1)))
        out[n, c, h, w] = x[n, c, h, w] * (k + alpha / size * s) ** -beta
    return out


def ref_lrn_within(x, size, alpha, beta):
    N, C, H, W = x.shape
    out = torch.empty_like(x)
    half = (size - 1) // 2
    for n, c, h, w in itertools.product(range(N), range(C), range(H), range(W)):
        s = sum(x[n, c, a, b] ** 2 for a in range(max(0, h - half), min(H, h + half + 1))
                for b in range(max(0, w - half), min(W, w + half + 1)))
        out[n, c, h, w] = x[n, c, h, w] * (1 + alpha * s / size ** 2) ** -beta
    return out


@pytest.mark.parametrize("size,alpha,beta,k", [(5, 1e-4, 0.75, 1.0), (3, 0.5, 0.6, 2.0), (1, 0.3, 1.0, 1.5)])
def test_lrn_across_channels(size, alpha, beta, k):
    x = rand(2, 6, 3, 2)
    body = f"lrn_param {{ local_size: {size} alpha: {alpha} beta: {beta} k: {k} }}"
    outs, tops = run_op("LRN", body, x)
    assert_static(outs, tops)
    close(outs[0], ref_lrn_across(x.detach(), size, alpha, beta, k))
    backward_runs(outs, x)


def test_lrn_across_channels_hand_computed():
    # channels 1, 2, 3 at one pixel, local_size 3, alpha 3 (alpha/size = 1), beta 1, k 1
    x = torch.tensor([1.0, 2.0, 3.0]).reshape(1, 3, 1, 1)
    (y,), _ = run_op("LRN", "lrn_param { local_size: 3 alpha: 3 beta: 1 k: 1 }", x)
    close(y.flatten(), torch.tensor([1 / (1 + 5), 2 / (1 + 14), 3 / (1 + 13)]))


@pytest.mark.parametrize("size,alpha,beta", [(3, 0.9, 0.75), (5, 2.0, 0.5)])
def test_lrn_within_channel(size, alpha, beta):
    x = rand(2, 2, 5, 4)
    body = f"lrn_param {{ norm_region: WITHIN_CHANNEL local_size: {size} alpha: {alpha} beta: {beta} k: 7 }}"
    outs, tops = run_op("LRN", body, x)
    assert_static(outs, tops)
    close(outs[0], ref_lrn_within(x.detach(), size, alpha, beta))  # k unused
    backward_runs(outs, x)


# ---------------------------------------------------------------- Crop


def test_crop_hand_computed():
    x = torch.arange(2 * 3 * 5 * 6.0).reshape(2, 3, 5, 6).requires_grad_(True)
    ref = torch.zeros(1, 1, 2, 3)
    (y,), tops = run_op("Crop", "crop_param { axis: 2 offset: 1 offset: 2 }", x, ref)
    assert_static((y,), tops)
    close(y, x.detach()[:, :, 1:3, 2:5])
    (y,), tops = run_op("Crop", "crop_param { axis: 1 offset: 1 }", x, torch.zeros(1, 2, 3, 4))
    assert_static((y,), tops)
    close(y, x.detach()[:, 1:3, 1:4, 1:5])
    (y,), tops = run_op("Crop", "", x, torch.zeros(1, 1, 4, 4))  # default axis 2, offset 0
    assert_static((y,), tops)
    close(y, x.detach()[:, :, :4, :4])
    (y,), _ = run_op("Crop", "crop_param { axis: -1 offset: 3 }", x, torch.zeros(1, 1, 1, 2))
    close(y, x.detach()[..., 3:5])
    backward_runs((y,), x)
    assert x.grad[..., 3:5].eq(1).all() and x.grad[..., :3].eq(0).all()
