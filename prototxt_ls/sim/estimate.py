"""Roofline estimates: how long each layer would take on a GPU you may not have.

Why: ``caffe time`` only measures the machine it runs on.  A user on a
laptop wants to know where the time goes on the V100 or H100 they will train
on; a roofline gives a first answer from two published numbers per GPU.

The model, per layer and pass::

    time = max(flops / peak_fp32, bytes / memory_bandwidth) + launches * LAUNCH_MS

* FLOPs: forward ``2 * MACs`` (the registry's ``spec.macs``, one
  multiply-add = 2 FLOPs); backward twice the forward for layers with
  weights (gradient of the input and of the weights), the same as the
  forward for the others.  Layers without a MACs function (ReLU, Pooling,
  Eltwise, ...) count 0 FLOPs: they are bound by memory traffic anyway.
* Bytes: forward ``(bottom + top + weight element counts) * 4`` (float32,
  every tensor read or written once); backward ``2x`` the forward (it reads
  the top diff and the data it needs, and writes the bottom and weight
  diffs).
* Launch latency: ``LAUNCH_MS`` per kernel (one kernel forward, two
  backward): the floor that makes tiny layers cost more than their bytes.

Peaks are FP32 without tensor cores (Caffe computes in float32, and TF32 is
not what Caffe ran), and memory bandwidth, from NVIDIA's datasheets:

* P100 SXM2 10.6 TFLOPS / 732 GB/s; V100 SXM2 15.7 / 900 (Tesla V100 datasheet);
  T4 8.1 / 320 (T4 datasheet); A10 31.2 / 600 (A10 datasheet)
* A100 SXM4 80GB 19.5 / 2,039; A100 40GB 19.5 / 1,555 (A100 datasheet)
* L4 30.3 / 300 (L4 datasheet); L40S 91.6 / 864 (L40S datasheet)
* H100 SXM5 67 / 3,350; H100 PCIe 51 / 2,000 (H100 datasheet);
  H200 SXM 67 / 4,800 (H200 datasheet: same GH100 compute, HBM3e)
* GeForce RTX 3090 35.6 / 936; RTX 4090 82.6 / 1,008 (NVIDIA's GeForce spec pages)

A roofline is a lower bound: real kernels reach perhaps 30-80% of either
peak, so measured times are usually 1.5-3x the estimate.  It is most useful
for the *shares*: which layers dominate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..analysis.inference import LayerResult
from ..layers.shapes import count

FLOAT_BYTES = 4
#: One kernel launch and its minimum run time, in milliseconds (about 5 us on
#: current NVIDIA drivers; a layer is at least one kernel forward, two backward).
LAUNCH_MS = 0.005
BACKWARD_BYTES_FACTOR = 2


@dataclass(frozen=True)
class GPU:
    name: str
    fp32_tflops: float
    bandwidth_gbs: float
    #: Words of ``nvidia-smi``'s / torch's device name that identify it (all must appear).
    tokens: tuple[str, ...]

    @property
    def flops_per_ms(self) -> float:
        return self.fp32_tflops * 1e12 / 1e3

    @property
    def bytes_per_ms(self) -> float:
        return self.bandwidth_gbs * 1e9 / 1e3


GPUS: tuple[GPU, ...] = (
    GPU("P100", 10.6, 732, ("P100",)),
    GPU("V100", 15.7, 900, ("V100",)),
    GPU("T4", 8.1, 320, ("T4",)),
    GPU("A10", 31.2, 600, ("A10",)),
    GPU("A100", 19.5, 2039, ("A100",)),
    GPU("A100-40GB", 19.5, 1555, ("A100", "40GB")),
    GPU("L4", 30.3, 300, ("L4",)),
    GPU("L40S", 91.6, 864, ("L40S",)),
    GPU("H100", 67.0, 3350, ("H100",)),
    GPU("H100-PCIe", 51.0, 2000, ("H100", "PCIE")),
    GPU("H200", 67.0, 4800, ("H200",)),
    GPU("RTX3090", 35.6, 936, ("RTX", "3090")),
    GPU("RTX4090", 82.6, 1008, ("RTX", "4090")),
)


def _norm(text: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", text.upper())


def gpu_names() -> list[str]:
    return [g.name for g in GPUS]


def find_gpu(text: str) -> GPU | None:
    """A GPU by its table name (``h100``, ``rtx-4090``) or by a device name
    (``NVIDIA H100 80GB HBM3``, ``Tesla V100-SXM2-16GB``); the most specific
    entry wins (``A100-PCIE-40GB`` is the 40GB A100, not the 80GB one)."""
    key = _norm(text)
    for g in GPUS:
        if _norm(g.name) == key:
            return g
    words = {_norm(w) for w in re.split(r"[^0-9A-Za-z]+", text) if w}
    hits = [g for g in GPUS if all(t in words for t in g.tokens)]
    return max(hits, key=lambda g: len(g.tokens)) if hits else None


@dataclass(frozen=True)
class Cost:
    """What one layer moves and computes, per pass; None when a shape is unknown."""

    forward_flops: int
    forward_bytes: int
    backward_flops: int
    backward_bytes: int


def cost(lr: LayerResult) -> Cost | None:
    shapes = list(lr.bottoms) + list(lr.tops) + list(lr.weights)
    counts = [count(s) for s in shapes]
    if any(c is None for c in counts):
        return None
    moved = sum(counts) * FLOAT_BYTES
    flops = 2 * (lr.macs or 0)
    backward_flops = 2 * flops if lr.weights else flops
    return Cost(flops, moved, backward_flops, BACKWARD_BYTES_FACTOR * moved)


def _roofline(flops: int, nbytes: int, gpu: GPU, launches: int) -> float:
    return max(flops / gpu.flops_per_ms, nbytes / gpu.bytes_per_ms) + launches * LAUNCH_MS


def estimate(lr: LayerResult, gpu: GPU, pass_: str = "forward") -> float | None:
    """Estimated milliseconds of one layer's ``forward`` or ``backward`` pass on ``gpu``."""
    c = cost(lr)
    if c is None:
        return None
    if pass_ == "forward":
        return _roofline(c.forward_flops, c.forward_bytes, gpu, 1)
    if pass_ == "backward":
        return _roofline(c.backward_flops, c.backward_bytes, gpu, 2)
    raise ValueError(f"pass_ must be 'forward' or 'backward', not {pass_!r}")


def bound(lr: LayerResult, gpu: GPU) -> str | None:
    """``compute`` or ``memory``: which roof the forward pass hits."""
    c = cost(lr)
    if c is None:
        return None
    return "compute" if c.forward_flops / gpu.flops_per_ms > c.forward_bytes / gpu.bytes_per_ms else "memory"
