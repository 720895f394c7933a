"""The simulator's torch fillers follow Caffe's filler.hpp (statistics, exact kernels, refusals)."""

from __future__ import annotations

import math
import random

import pytest
import torch

from prototxt_ls.sim.fillers import FillerError, bilinear_kernel, fan_count, fill
from prototxt_ls.weights.writer import blob_values


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_none_is_zeros_and_dtype_is_float32():
    t = fill((3, 4), None, gen())
    assert t.dtype == torch.float32 and t.shape == (3, 4) and not t.any()


def test_constant_and_the_defaults():
    assert torch.equal(fill((2, 3), {"type": "constant", "value": 0.25}, gen()), torch.full((2, 3), 0.25))
    # a written but empty filler is FillerParameter's default: constant 0
    assert not fill((5,), {}, gen()).any()


def test_uniform_range_and_mean():
    t = fill((200, 500), {"type": "uniform", "min": 2.0, "max": 3.0}, gen())
    assert 2.0 <= t.min() and t.max() < 3.0
    assert abs(t.mean().item() - 2.5) < 0.01


def test_gaussian_mean_and_std():
    t = fill((400, 500), {"type": "gaussian", "mean": 1.0, "std": 0.1}, gen())
    assert abs(t.mean().item() - 1.0) < 0.002
    assert abs(t.std().item() - 0.1) < 0.002


def test_gaussian_sparse_keeps_sparse_over_num_outputs():
    # Caffe: each value kept with probability sparse / shape(0) = 5 / 20
    t = fill((20, 10_000), {"type": "gaussian", "std": 1.0, "sparse": 5}, gen())
    kept = (t != 0).float().mean().item()
    assert abs(kept - 0.25) < 0.01


def test_xavier_bound_is_sqrt_3_over_fan_in():
    shape = (64, 32, 3, 3)  # fan_in = 32*9 = 288
    t = fill(shape, {"type": "xavier"}, gen())
    bound = math.sqrt(3.0 / 288)
    assert t.abs().max().item() <= bound
    assert t.abs().max().item() > 0.99 * bound
    assert abs(t.var().item() - bound * bound / 3) < 0.05 * bound * bound / 3  # U(-a, a): a^2/3


def test_xavier_fan_out_and_average():
    shape = (64, 32, 3, 3)
    assert fan_count(shape, "FAN_IN") == 288
    assert fan_count(shape, "FAN_OUT") == 64 * 9
    assert fan_count(shape, "AVERAGE") == (288 + 576) / 2
    t = fill(shape, {"type": "xavier", "variance_norm": "FAN_OUT"}, gen())
    assert t.abs().max().item() <= math.sqrt(3.0 / 576)
    # the enum as a number, as a Params view returns it in V1 files
    t = fill(shape, {"type": "xavier", "variance_norm": 2}, gen())
    assert t.abs().max().item() <= math.sqrt(3.0 / 432)


def test_msra_std_is_sqrt_2_over_n():
    shape = (256, 128, 3, 3)  # fan_in 1152
    t = fill(shape, {"type": "msra"}, gen())
    assert abs(t.std().item() - math.sqrt(2.0 / 1152)) < 0.01 * math.sqrt(2.0 / 1152)
    assert abs(t.mean().item()) < 1e-3


def test_legacy_fans_of_low_rank_blobs():
    # Blob::num()/channels() are 1 past the last axis: a vector's fan_out is its count
    assert fan_count((10,), "FAN_IN") == 1 and fan_count((10,), "FAN_OUT") == 10
    assert fan_count((10, 20), "FAN_IN") == 20 and fan_count((10, 20), "FAN_OUT") == 10


def test_positive_unitball_rows_sum_to_one():
    t = fill((7, 3, 4, 5), {"type": "positive_unitball"}, gen())
    assert (t >= 0).all()
    assert torch.allclose(t.reshape(7, -1).sum(1), torch.ones(7), atol=1e-5)


def test_bilinear_kernel_exact():
    # kernel 4 (2x upsampling): f = 2, c = 3/4; ramp = 1 - |x/2 - 3/4| = .25 .75 .75 .25
    ramp = torch.tensor([0.25, 0.75, 0.75, 0.25], dtype=torch.float64)
    assert torch.equal(bilinear_kernel(4), ramp[:, None] * ramp[None, :])
    # kernel 3: f = 2, c = (4 - 1 - 0) / 4 = 0.75 too: 1 - |0 - .75|, 1 - |.5 - .75|, 1 - |1 - .75|
    ramp3 = torch.tensor([0.25, 0.75, 0.75], dtype=torch.float64)
    assert torch.equal(bilinear_kernel(3), ramp3[:, None] * ramp3[None, :])
    t = fill((3, 1, 4, 4), {"type": "bilinear"}, gen())
    for k in range(3):
        assert torch.equal(t[k, 0], (ramp[:, None] * ramp[None, :]).float())


def test_bilinear_matches_the_writer_value_for_value():
    shape = (2, 3, 8, 8)
    ours = fill(shape, {"type": "bilinear"}, gen()).flatten().tolist()
    theirs = [v for chunk in blob_values(shape, {"type": "bilinear"}, "filler", random.Random(0)) for v in chunk]
    assert ours == theirs


@pytest.mark.parametrize("shape, spec, message", [
    ((2, 3), {"type": "bilinear"}, "4-D"),
    ((1, 1, 3, 4), {"type": "bilinear"}, "square"),
    ((2, 2), {"type": "uniform", "min": 1.0, "max": 0.0}, "min"),
    ((2, 2), {"type": "gaussian", "std": -1.0}, "std"),
    ((2, 2), {"type": "gaussian", "sparse": -2}, "sparse"),
    ((2, 2), {"type": "nonsense"}, "unknown filler"),
])
def test_refusals(shape, spec, message):
    with pytest.raises(FillerError, match=message):
        fill(shape, spec, gen())


def test_deterministic_per_generator_seed():
    a = fill((50,), {"type": "gaussian"}, gen(3))
    b = fill((50,), {"type": "gaussian"}, gen(3))
    c = fill((50,), {"type": "gaussian"}, gen(4))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_empty_blob():
    assert fill((0, 5), {"type": "xavier"}, gen()).shape == (0, 5)


def test_vgg_fc6_sized_fill_is_fast():
    import time

    start = time.perf_counter()
    t = fill((4096, 25088), {"type": "gaussian", "std": 0.005}, gen())
    assert t.shape == (4096, 25088)
    assert time.perf_counter() - start < 5.0  # one vectorised draw, not 103 M Python calls
