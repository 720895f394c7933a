"""``caffe time`` for a SimNet: each layer's average forward and backward time.

Why: the first question about a net after "does it run" is "where does the
time go".  Like ``caffe time`` this runs warm-up iterations, then times every
layer's forward in order and every layer's backward in reverse order, one
layer at a time (:mod:`.layerwise`), and reports the averages and the totals.

Clocks: on CPU ``time.perf_counter_ns`` around each layer; on CUDA a pair of
CUDA events around each layer (no synchronisation between layers, so the GPU
queue stays full), read after one ``torch.cuda.synchronize()`` per
iteration, the way Caffe's ``Timer`` uses ``cudaEvent``\\ s.  Whole-pass times
(``Average Forward pass``) are taken the same way around the whole pass, so
they include the time between layers; ``Total Time`` is the wall time of all
timed iterations.

Peak memory: on CUDA ``torch.cuda.max_memory_allocated`` over the timed
iterations (every allocation, cuDNN workspaces included).  On CPU torch
keeps no such counter, so it is the bytes of the tensors alive at the end of
the first backward, each storage counted once: every blob's data and diff,
every parameter and its diff.  That is what Caffe itself allocates (each
Blob holds a data and a diff); PyTorch's temporaries (im2col buffers,
tensors autograd saves beyond the tops) are not counted.

:func:`measure_overhead` compares this per-layer mode with the bare module
(``net.forward`` + ``loss.backward()``, one autograd call) on the same
inputs: the cost of looking at every layer.  It is a fixed ~45 us per layer
and iteration on CPU (a detach per bottom, one autograd call per layer),
lost in the noise once layers take milliseconds (``benchmarks/sim_overhead.py``,
``benchmarks/README.md``); on CUDA it overlaps the GPU's work.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from .layerwise import Pass, Plan, Stepper
from .layerwise import plan as make_plan

Progress = Callable[[int, int], None]


@dataclass
class LayerTime:
    index: int
    name: str
    type: str
    forward_ms: float
    backward_ms: float
    #: whether the layer's backward ran (Caffe: layer_need_backward)
    backward: bool
    skipped: str | None = None


@dataclass
class Timing:
    device: str
    iterations: int
    warmup: int
    layers: list[LayerTime]
    #: averages of the whole passes (``Average Forward pass`` / ``Average Backward pass``)
    forward_ms: float
    backward_ms: float
    #: wall time of all timed iterations (``Total Time``)
    total_ms: float
    peak_memory_bytes: int
    memory_kind: str
    #: what seeded backward: "loss", "outputs" (a net without a loss) or None (no backward)
    seeded_by: str | None
    #: the last timed pass (its blobs are the real shapes)
    last: Pass | None = field(default=None, repr=False)

    @property
    def forward_backward_ms(self) -> float:
        """``Average Forward-Backward``: wall time per iteration."""
        return self.total_ms / self.iterations if self.iterations else 0.0


def is_cuda(device) -> bool:
    return torch.device(device).type == "cuda"


class _CpuClock:
    """Nanoseconds per layer, summed over iterations."""

    def __init__(self, n: int) -> None:
        self.fwd = [0] * n
        self.bwd = [0] * n
        self.t0 = 0
        self.passes = [0, 0]  # forward, backward ns
        self.p0 = 0

    def start(self, i: int, p: Pass) -> None:
        self.t0 = time.perf_counter_ns()

    def stop_fwd(self, i: int, p: Pass) -> None:
        self.fwd[i] += time.perf_counter_ns() - self.t0

    def stop_bwd(self, i: int, p: Pass) -> None:
        self.bwd[i] += time.perf_counter_ns() - self.t0

    def mark(self, k: int) -> None:
        """k=0 before forward, 1 after forward, 2 after backward."""
        now = time.perf_counter_ns()
        if k:
            self.passes[k - 1] += now - self.p0
        self.p0 = now

    def collect(self) -> None:
        pass

    def ms(self) -> tuple[list[float], list[float], list[float]]:
        return [t / 1e6 for t in self.fwd], [t / 1e6 for t in self.bwd], [t / 1e6 for t in self.passes]


class _CudaClock:
    """CUDA events around each layer; read once per iteration after one synchronize."""

    def __init__(self, n: int) -> None:
        def events() -> list:
            return [torch.cuda.Event(enable_timing=True) for _ in range(n)]

        self.f0, self.f1, self.b0, self.b1 = events(), events(), events(), events()
        self.marks = [torch.cuda.Event(enable_timing=True) for _ in range(3)]
        self.fwd = [0.0] * n
        self.bwd = [0.0] * n
        self.passes = [0.0, 0.0]
        self.ran_f: list[int] = []
        self.ran_b: list[int] = []

    def start_fwd(self, i: int, p: Pass) -> None:
        self.f0[i].record()

    def stop_fwd(self, i: int, p: Pass) -> None:
        self.f1[i].record()
        self.ran_f.append(i)

    def start_bwd(self, i: int, p: Pass) -> None:
        self.b0[i].record()

    def stop_bwd(self, i: int, p: Pass) -> None:
        self.b1[i].record()
        self.ran_b.append(i)

    def mark(self, k: int) -> None:
        self.marks[k].record()

    def collect(self) -> None:
        torch.cuda.synchronize()
        for i in self.ran_f:
            self.fwd[i] += self.f0[i].elapsed_time(self.f1[i])
        for i in self.ran_b:
            self.bwd[i] += self.b0[i].elapsed_time(self.b1[i])
        self.passes[0] += self.marks[0].elapsed_time(self.marks[1])
        self.passes[1] += self.marks[1].elapsed_time(self.marks[2])
        self.ran_f, self.ran_b = [], []

    def ms(self) -> tuple[list[float], list[float], list[float]]:
        return self.fwd, self.bwd, self.passes


def _iteration(stepper: Stepper, inputs: dict, clock) -> Pass:
    stepper.zero_param_diffs()
    start_f = clock.start if isinstance(clock, _CpuClock) else clock.start_fwd
    start_b = clock.start if isinstance(clock, _CpuClock) else clock.start_bwd
    clock.mark(0)
    p = stepper.forward(inputs, start_f, clock.stop_fwd)
    clock.mark(1)
    stepper.backward(p, start_b, clock.stop_bwd)
    clock.mark(2)
    clock.collect()
    return p


def live_bytes(p: Pass, params: list[torch.Tensor]) -> int:
    """Bytes of the tensors a pass keeps alive, each storage once (see the module doc)."""
    seen: dict[int, int] = {}

    def add(t: torch.Tensor | None) -> None:
        if t is None:
            return
        s = t.untyped_storage()
        seen[s.data_ptr()] = s.nbytes()

    for t in p.blobs.values():
        add(t)
    for tops in p.tops:
        for t in tops:
            add(t)
    for leaves in p.leaves:
        for t in leaves.values():
            add(t.grad)
    for t in params:
        add(t)
        add(t.grad)
    return sum(seen.values())


def _layer_name(layer) -> tuple[str, str]:
    view = layer.result.layer
    return view.name, view.type or view.type_written


def time_layers(net, inputs: dict[str, torch.Tensor], iterations: int = 10, warmup: int = 1,
                progress: Progress | None = None, seed_outputs: bool = True,
                propagate_down: dict[int, list[bool]] | None = None) -> Timing:
    """Time every layer's forward and backward, ``caffe time`` style (see the module doc)."""
    if iterations < 1:
        raise ValueError("iterations must be at least 1")
    the_plan = make_plan(net, seed_outputs=seed_outputs, propagate_down=propagate_down)
    stepper = Stepper(net, the_plan)
    n = len(stepper.layers)
    cuda = is_cuda(net.device)
    total = warmup + iterations
    params = list(net.parameters())
    peak = 0
    with torch.enable_grad():
        for k in range(warmup):
            p = _iteration(stepper, inputs, _CpuClock(n) if not cuda else _CudaClock(n))
            if k == 0 and not cuda:
                peak = live_bytes(p, params)
            del p
            if progress is not None:
                progress(k + 1, total)
        if cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        clock = _CudaClock(n) if cuda else _CpuClock(n)
        start = time.perf_counter()
        last = None
        for k in range(iterations):
            last = None  # let the previous pass go before the next allocates
            last = _iteration(stepper, inputs, clock)
            if warmup == 0 and k == 0 and not cuda:
                peak = live_bytes(last, params)
            if progress is not None:
                progress(warmup + k + 1, total)
        total_ms = (time.perf_counter() - start) * 1e3
    if cuda:
        peak = torch.cuda.max_memory_allocated()
    fwd, bwd, passes = clock.ms()
    ran = last.ran if last is not None else set()
    layers = []
    for i, layer in enumerate(stepper.layers):
        name, type_ = _layer_name(layer)
        layers.append(LayerTime(i, name, type_, fwd[i] / iterations, bwd[i] / iterations, i in ran,
                                getattr(layer, "skipped", None)))
    return Timing(str(net.device), iterations, warmup, layers, passes[0] / iterations, passes[1] / iterations,
                  total_ms, peak, "cuda max_memory_allocated" if cuda else "live tensors (data + diff)",
                  the_plan.seeded_by, last)


# ------------------------------------------------------------------ overhead


def _sync(device) -> None:
    if is_cuda(device):
        torch.cuda.synchronize()


def _whole_loss(net, blobs: dict[str, torch.Tensor], the_plan: Plan) -> torch.Tensor | None:
    """The bare module's loss: ``net.loss`` for a net with one, else the sum of its outputs
    (what seeding every output's diff with ones backpropagates)."""
    if the_plan.seeded_by == "loss":
        return net.loss(blobs)
    if the_plan.seeded_by is None:
        return None
    terms = [w * blobs[name].sum() for layer, ws in zip(net.layers, the_plan.seeds)
             for name, w in zip(layer.tops, ws) if w]
    return torch.stack(terms).sum() if terms else None


def time_whole(net, inputs: dict[str, torch.Tensor], iterations: int = 10, warmup: int = 1) -> float:
    """Milliseconds per iteration of the bare module: ``net.forward``, the loss, ``backward()``."""
    the_plan = make_plan(net, seed_outputs=True)
    params = [p for p in net.parameters() if p.requires_grad]
    with torch.enable_grad():
        start = time.perf_counter()
        for k in range(warmup + iterations):
            if k == warmup:
                _sync(net.device)
                start = time.perf_counter()
            for p in params:
                p.grad = None
            blobs = net.forward(inputs)
            loss = _whole_loss(net, blobs, the_plan)
            if loss is not None and loss.requires_grad:
                loss.backward()
            del blobs, loss
            _sync(net.device)
        return (time.perf_counter() - start) * 1e3 / iterations


@dataclass
class Overhead:
    whole_ms: float
    layerwise_ms: float

    @property
    def ratio(self) -> float:
        return self.layerwise_ms / self.whole_ms if self.whole_ms else float("nan")


def measure_overhead(net, inputs: dict[str, torch.Tensor], iterations: int = 5, warmup: int = 1,
                     rounds: int = 3) -> Overhead:
    """Best-of-``rounds`` ms per iteration, bare module vs per-layer timing, taking turns
    so that clock drift and thermal changes hit both alike."""
    whole, layerwise = [], []
    for _ in range(rounds):
        whole.append(time_whole(net, inputs, iterations, warmup))
        layerwise.append(time_layers(net, inputs, iterations, warmup).forward_backward_ms)
    return Overhead(min(whole), min(layerwise))
