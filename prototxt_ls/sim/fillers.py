"""Caffe's weight fillers (``include/caffe/filler.hpp``) as torch tensor factories.

The .caffemodel writer (``weights/writer.py``) knows the same semantics but
draws with Python's ``random``, about 10 M values/s: far too slow to start
VGG-16's 138 M weights every time a net is simulated.  Here each filler is
one vectorised draw from a ``torch.Generator`` (a second or so for VGG-16).
The values follow Caffe's definitions, not Caffe's random stream:

- constant: ``value``; uniform: U[min, max); gaussian: N(mean, std), and with
  ``sparse >= 0`` each value kept with probability sparse / shape[0];
- xavier: U[-sqrt(3/n), sqrt(3/n)); msra: N(0, sqrt(2/n)), with
  n = fan_in = count / num, fan_out = count / channels (Caffe's legacy
  num/channels, 1 past the last axis), or their mean, per ``variance_norm``;
- positive_unitball: U[0, 1) rows of count / num values, each row divided by
  its sum;
- bilinear: the 4-D square upsampling kernel, the same for every (out, in)
  pair.

Random values are drawn directly in float32 (Caffe blobs are float; a
float64 draw of fc6's 103 M values would need 800 MB more); scales are
computed in double, and the bilinear kernel in float64 then rounded.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch

from ..layers.params import Params
from ..weights.writer import filler_spec


class FillerError(ValueError):
    """A filler Caffe would refuse (CHECK failure) for this blob."""


def fill(shape: Sequence[int], spec: Mapping | Params | None, generator: torch.Generator | None = None) -> torch.Tensor:
    """A float32 CPU tensor of ``shape`` filled as Caffe's filler ``spec`` would fill it.

    ``spec``: a FillerParameter as a dict (missing fields take caffe.proto's
    defaults, so ``{"type": "xavier"}`` is enough), a ``Params`` view of a
    ``*_filler`` block, or None (no filler known: zeros, what an unset blob holds).
    """
    shape = tuple(int(d) for d in shape)
    full = filler_spec(spec)
    if full is None or math.prod(shape) == 0:
        return torch.zeros(shape, dtype=torch.float32)
    gen = generator if generator is not None else torch.Generator().manual_seed(0)
    kind = full["type"]
    maker = _FILLERS.get(kind)
    if maker is None:
        raise FillerError(f"unknown filler type {kind!r} (known: {', '.join(sorted(_FILLERS))})")
    return maker(shape, full, gen).to(torch.float32)


def legacy_num_channels(shape: tuple[int, ...]) -> tuple[int, int]:
    """Blob::num() and channels(): axes 0 and 1, 1 where the blob has fewer axes."""
    return (shape[0] if len(shape) >= 1 else 1), (shape[1] if len(shape) >= 2 else 1)


def fan_count(shape: tuple[int, ...], variance_norm: str) -> float:
    """The ``n`` of xavier and msra: fan-in, fan-out or their average."""
    count = math.prod(shape)
    num, channels = legacy_num_channels(shape)
    fan_in = count // num if num else 0
    fan_out = count // channels if channels else 0
    if variance_norm == "AVERAGE":
        return (fan_in + fan_out) / 2.0
    return float(fan_out if variance_norm == "FAN_OUT" else fan_in)


def _constant(shape, spec, gen) -> torch.Tensor:
    return torch.full(shape, float(spec["value"]), dtype=torch.float32)


def _uniform_between(shape, lo: float, hi: float, gen) -> torch.Tensor:
    return torch.rand(shape, generator=gen, dtype=torch.float32).mul_(hi - lo).add_(lo)


def _uniform(shape, spec, gen) -> torch.Tensor:
    lo, hi = float(spec["min"]), float(spec["max"])
    if lo > hi:
        raise FillerError(f"uniform filler: min {lo} > max {hi}")
    return _uniform_between(shape, lo, hi, gen)


def _normal(shape, mean: float, std: float, gen) -> torch.Tensor:
    if std < 0:
        raise FillerError(f"gaussian filler: std {std} < 0")
    return torch.randn(shape, generator=gen, dtype=torch.float32).mul_(std).add_(mean)


def _gaussian(shape, spec, gen) -> torch.Tensor:
    values = _normal(shape, float(spec["mean"]), float(spec["std"]), gen)
    sparse = int(spec["sparse"])
    if sparse < -1:
        raise FillerError(f"gaussian filler: sparse {sparse} < -1")
    if sparse >= 0:
        if not shape:
            raise FillerError("gaussian filler: sparse needs a blob with at least one axis")
        keep = min(1.0, sparse / shape[0])  # Caffe: Bernoulli(sparse / num_outputs) mask
        values.mul_(torch.bernoulli(torch.full(shape, keep, dtype=torch.float32), generator=gen))
    return values


def _fan(shape, spec, kind: str) -> float:
    n = fan_count(shape, spec["variance_norm"])
    if n <= 0:
        raise FillerError(f"{kind} filler: fan count {n} for shape {shape}")
    return n


def _xavier(shape, spec, gen) -> torch.Tensor:
    scale = math.sqrt(3.0 / _fan(shape, spec, "xavier"))
    return _uniform_between(shape, -scale, scale, gen)


def _msra(shape, spec, gen) -> torch.Tensor:
    return _normal(shape, 0.0, math.sqrt(2.0 / _fan(shape, spec, "msra")), gen)


def _positive_unitball(shape, spec, gen) -> torch.Tensor:
    num, _ = legacy_num_channels(shape)
    rows = torch.rand((num, math.prod(shape) // num), generator=gen, dtype=torch.float64)
    return (rows / rows.sum(dim=1, keepdim=True)).reshape(shape)  # float64: the sums of long rows


def bilinear_kernel(size: int) -> torch.Tensor:
    """Caffe's BilinearFiller kernel for a ``size`` x ``size`` window (float64)."""
    f = math.ceil(size / 2.0)
    c = (2 * f - 1 - f % 2) / (2.0 * f)
    ramp = 1.0 - (torch.arange(size, dtype=torch.float64) / f - c).abs()
    return ramp[:, None] * ramp[None, :]


def _bilinear(shape, spec, gen) -> torch.Tensor:
    if len(shape) != 4:
        raise FillerError(f"bilinear filler: the blob must be 4-D, not {shape}")
    if shape[2] != shape[3]:
        raise FillerError(f"bilinear filler: the kernel must be square, not {shape[2]}x{shape[3]}")
    return bilinear_kernel(shape[3]).expand(shape).clone()


_FILLERS = {
    "constant": _constant,
    "uniform": _uniform,
    "gaussian": _gaussian,
    "xavier": _xavier,
    "msra": _msra,
    "positive_unitball": _positive_unitball,
    "bilinear": _bilinear,
}

__all__ = ["FillerError", "bilinear_kernel", "fan_count", "fill", "legacy_num_channels"]
