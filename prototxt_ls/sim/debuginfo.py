"""``debug_info: true`` without Caffe: a few SGD iterations, Caffe's log lines, and verdicts.

Why: the question "why is my loss NaN" is answered by the first layer whose
output or gradient stops being finite.  Caffe's ``debug_info`` prints the
numbers to find it; here the simulator runs the iterations, prints the same
lines, and names the layer itself:

* T002 sim-non-finite: the first layer whose top (forward, in layer order) or
  bottom/param diff (backward, in backward order) holds NaN or Inf.  A
  forward finding wins over the backward of the same iteration, whose NaNs
  are only its consequence; iterations stop after the first finding.
* T003 sim-exploding-gradient: the first layer, in backward order, whose
  bottom or param diff has an L2 norm above ``EXPLODING`` (finite values).
* T004 sim-no-learning: a layer with blobs that learn (``lr_mult`` not 0)
  whose param diffs stayed exactly zero in every iteration (needs a loss).

Each iteration is Caffe's ``Solver::Step`` with ``iter_size: 1``: clear the
param diffs, forward and backward one layer at a time (:mod:`.layerwise`),
then plain SGD, ``w -= base_lr * lr_mult * diff`` (no momentum, no weight
decay: enough to see where numbers go wrong, not a training run).

The printed lines follow Caffe 1.0's ``net.cpp`` exactly, glog prefix
included, so ``prototxt-ls log`` reads them as it reads a real log
(the ``file:line`` tags are Caffe's, for tools keyed on them)::

    I0612 10:00:00.000000 4242 net.cpp:593]     [Forward] Layer conv1, top blob conv1 data: 0.123
    I0612 ... net.cpp:605]     [Forward] Layer conv1, param blob 0 data: 0.0412
    I0612 ... net.cpp:621]     [Backward] Layer conv1, bottom blob data diff: 0.0001
    I0612 ... net.cpp:632]     [Backward] Layer conv1, param blob 0 diff: 0.0003
    E0612 ... net.cpp:721]     [Backward] All net params (data, diff): L1 norm = (a, b); L2 norm = (c, d)
    I0612 ... solver.cpp:239] Iteration 0 (0 iter/s, 0.01s/1 iters), loss = 2.3
    I0612 ... sgd_solver.cpp:112] Iteration 0, lr = 0.01
    I0612 ... net.cpp:684]     [Update] Layer conv1, param 0 data: 0.0412; diff: 3e-06

The value on each line is what Caffe prints: ``asum / count``, the *mean
absolute value* of the blob's data or diff (not a norm).  The verdicts'
thresholds use the L2 norm where the rule says so.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import torch

from .layerwise import Pass, Stepper
from .layerwise import plan as make_plan
from .learning import LayerLearning, freeze_zero_lr, net_learning, propagate_down_flags

#: T003: a diff whose L2 norm is above this is exploding.
EXPLODING = 1e8

Emit = Callable[[str], None]


@dataclass
class Finding:
    """One verdict, on the layer with SimLayer index ``layer``."""

    code: str
    layer: int
    message: str
    iteration: int


@dataclass
class DebugRun:
    lines: list[str] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    #: what seeded backward: "loss", or None (the net has no loss: forward only)
    seeded_by: str | None = None
    iterations: int = 0
    base_lr: float = 0.01
    #: the blobs of the last forward pass (real shapes, for the shape proof)
    blobs: dict[str, torch.Tensor] = field(default_factory=dict)


def mean_abs(t: torch.Tensor | None) -> float:
    """Caffe's ``asum_data() / count()``, summed in double so that only NaN/Inf make it non-finite."""
    if t is None or t.numel() == 0:
        return 0.0
    return t.detach().abs().sum(dtype=torch.float64).item() / t.numel()


def l2(t: torch.Tensor | None) -> float:
    if t is None or t.numel() == 0:
        return 0.0
    return math.sqrt(t.detach().double().pow(2).sum().item())


def _bad(value: float) -> str | None:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Inf"
    return None


def _g(v: float) -> str:
    """C++ ostream's default float output (6 significant digits), which Caffe's lines use."""
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return f"{v:g}"


class _Log:
    """glog-formatted lines: ``I0612 10:00:00.123456 4242 net.cpp:593] message``."""

    def __init__(self, emit: Emit | None) -> None:
        self.emit = emit
        self.lines: list[str] = []
        self.pid = os.getpid()

    def __call__(self, source: str, message: str, severity: str = "I") -> None:
        now = datetime.now()
        line = f"{severity}{now:%m%d %H:%M:%S.%f} {self.pid} {source}] {message}"
        self.lines.append(line)
        if self.emit is not None:
            self.emit(line)


class _Session:
    """State of one debug-info run: the verdicts found so far and what each layer learnt."""

    def __init__(self, net, learning: dict[int, LayerLearning], log: _Log) -> None:
        self.net = net
        self.layers = list(net.layers)
        self.learning = learning
        self.log = log
        self.findings: list[Finding] = []
        self.iteration = 0
        self.non_finite_at: str | None = None  # "forward"/"backward" of this iteration
        self.exploding = False
        #: layers with learning blobs -> whether any diff was ever non-zero
        self.learnt: dict[int, bool] = {l.index: False for l in self.layers if self._learning_blobs(l)}

    def _learning_blobs(self, layer) -> list[tuple[int, torch.nn.Parameter]]:
        if layer.op is None:
            return []
        return [(j, b) for j, b in enumerate(layer.op.blobs) if b.requires_grad]

    def _owned(self) -> list[torch.nn.Parameter]:
        """Every learning blob once (a blob shared by ``param { name }`` belongs to its first layer)."""
        seen: dict[int, torch.nn.Parameter] = {}
        for layer in self.layers:
            for _, blob in self._learning_blobs(layer):
                seen.setdefault(id(blob), blob)
        return list(seen.values())

    def _find(self, code: str, i: int, message: str) -> None:
        self.findings.append(Finding(code, self.layers[i].index, message, self.iteration))

    # ------------------------------------------------------------------ forward
    def after_forward(self, i: int, p: Pass) -> None:
        layer = self.layers[i]
        for name, top in zip(layer.tops, p.tops[i]):
            if top is None:
                continue
            value = mean_abs(top)
            self.log("net.cpp:593", f"    [Forward] Layer {layer.name}, top blob {name} data: {_g(value)}")
            bad = _bad(value)
            if bad and self.non_finite_at is None:
                self.non_finite_at = "forward"
                self._find("T002", i, f"{bad} first appears in the output of layer '{layer.name}' ({layer.type}): "
                           f"top '{name}' in the forward pass of iteration {self.iteration}; every layer after "
                           "it and every weight update follow")
        if layer.op is not None:
            info = self.learning.get(layer.index)
            for j, blob in enumerate(layer.op.blobs):
                shown = info.name(j) if info is not None else str(j)
                self.log("net.cpp:605", f"    [Forward] Layer {layer.name}, param blob {shown} data: "
                         f"{_g(mean_abs(blob))}")

    # ------------------------------------------------------------------ backward
    def after_backward(self, i: int, p: Pass) -> None:
        layer = self.layers[i]
        for name, leaf in p.leaves[i].items():
            if not leaf.requires_grad:
                continue
            self._diff_line(i, f"bottom blob {name}", f"bottom '{name}'", leaf.grad, "net.cpp:621")
        for j, blob in self._learning_blobs(layer):
            self._diff_line(i, f"param blob {j}", f"param blob {j}", blob.grad, "net.cpp:632")
            if blob.grad is not None and bool(blob.grad.detach().ne(0).any()):
                self.learnt[layer.index] = True

    def _diff_line(self, i: int, shown: str, what: str, diff: torch.Tensor | None, source: str) -> None:
        layer = self.layers[i]
        value = mean_abs(diff)
        self.log(source, f"    [Backward] Layer {layer.name}, {shown} diff: {_g(value)}")
        bad = _bad(value)
        if bad:
            if self.non_finite_at is None:
                self.non_finite_at = "backward"
                self._find("T002", i, f"{bad} first appears in the gradient of layer '{layer.name}' ({layer.type}): "
                           f"the diff of its {what} in the backward pass of iteration {self.iteration}")
            return
        norm = l2(diff)
        if norm > EXPLODING and not self.exploding:
            self.exploding = True
            self._find("T003", i, f"the gradient explodes at layer '{layer.name}' ({layer.type}): the diff of its "
                       f"{what} has L2 norm {norm:.3g} (mean |diff| {value:.3g}) in iteration {self.iteration}, "
                       f"above {EXPLODING:g}")

    def all_params_line(self) -> None:
        """Net::Backward's summary of every learnable blob (glog ERROR, as Caffe logs it)."""
        asum_data = asum_diff = sq_data = sq_diff = 0.0
        for blob in self._owned():
            asum_data += blob.detach().abs().sum(dtype=torch.float64).item()
            sq_data += blob.detach().double().pow(2).sum().item()
            if blob.grad is not None:
                asum_diff += blob.grad.detach().abs().sum(dtype=torch.float64).item()
                sq_diff += blob.grad.detach().double().pow(2).sum().item()
        self.log("net.cpp:721", f"    [Backward] All net params (data, diff): L1 norm = ({_g(asum_data)}, "
                 f"{_g(asum_diff)}); L2 norm = ({_g(math.sqrt(sq_data))}, {_g(math.sqrt(sq_diff))})", "E")

    # ------------------------------------------------------------------ update
    def sgd_step(self, base_lr: float) -> None:
        """``w -= base_lr * lr_mult * diff``, printing Caffe's [Update] line for each learning blob."""
        seen: set[int] = set()
        with torch.no_grad():
            for layer in self.layers:
                info = self.learning.get(layer.index)
                for j, blob in self._learning_blobs(layer):
                    if id(blob) in seen:  # a blob shared by name is updated once, by its owner
                        continue
                    seen.add(id(blob))
                    rate = base_lr * (info.lr_mult(j) if info is not None else 1.0)
                    step = blob.grad * rate if blob.grad is not None else None
                    shown = info.name(j) if info is not None else str(j)
                    self.log("net.cpp:684", f"    [Update] Layer {layer.name}, param {shown} data: "
                             f"{_g(mean_abs(blob))}; diff: {_g(mean_abs(step))}")
                    if step is not None:
                        blob.sub_(step)

    def no_learning(self) -> None:
        for index, learnt in self.learnt.items():
            if not learnt:
                i = next(k for k, l in enumerate(self.layers) if l.index == index)
                layer = self.layers[i]
                self._find("T004", i, f"layer '{layer.name}' ({layer.type}) never learns: every diff of its "
                           f"learnable blobs stayed exactly 0 over {self.iteration + 1} iteration(s) (it feeds no "
                           "loss, or the gradient is blocked above it)")


def _loss(stepper: Stepper, p: Pass) -> tuple[float, list[tuple[str, float, float]]]:
    """Caffe's iteration loss (sum of loss_weight * top) and the outputs it displays."""
    total = 0.0
    outputs = []
    for i, layer in enumerate(stepper.layers):
        for name, weight, top in zip(layer.tops, stepper.plan.seeds[i], p.tops[i]):
            if weight and top is not None:
                value = top.detach().sum(dtype=torch.float64).item()
                total += weight * value
                outputs.append((name, value, weight))
    return total, outputs


def debug_info(net, inputs: dict[str, torch.Tensor], iterations: int = 3, base_lr: float = 0.01,
               emit: Emit | None = None) -> DebugRun:
    """Run ``iterations`` SGD iterations printing Caffe's debug_info lines; return lines and verdicts.

    Blobs with ``lr_mult: 0`` are frozen (their ``requires_grad`` turned off)
    for the run, as Caffe computes no diff for them.
    """
    learning = net_learning(net)
    freeze_zero_lr(net, learning)
    the_plan = make_plan(net, seed_outputs=False, propagate_down=propagate_down_flags(learning))
    stepper = Stepper(net, the_plan)
    log = _Log(emit)
    session = _Session(net, learning, log)
    run = DebugRun(seeded_by=the_plan.seeded_by, base_lr=base_lr)
    with torch.enable_grad():
        for it in range(iterations):
            session.iteration = it
            start = time.perf_counter()
            stepper.zero_param_diffs()
            p = stepper.forward(inputs, after=session.after_forward)
            if the_plan.seeded_by is not None:
                stepper.backward(p, after=session.after_backward)
                session.all_params_line()
            loss, outputs = _loss(stepper, p)
            lapse = time.perf_counter() - start
            log("solver.cpp:239", f"Iteration {it} ({_g(1 / lapse if lapse else 0.0)} iter/s, {_g(lapse)}s/1 iters), "
                f"loss = {_g(loss)}")
            for k, (name, value, weight) in enumerate(outputs):
                log("solver.cpp:258", f"    Train net output #{k}: {name} = {_g(value)} (* {_g(weight)} = "
                    f"{_g(value * weight)} loss)")
            run.losses.append(loss)
            run.iterations = it + 1
            if the_plan.seeded_by is not None:
                log("sgd_solver.cpp:112", f"Iteration {it}, lr = {_g(base_lr)}")
                session.sgd_step(base_lr)
            run.blobs = p.blobs
            del p
            if session.non_finite_at is not None:
                break
    if the_plan.seeded_by is not None and session.non_finite_at is None:
        session.no_learning()
    run.lines = log.lines
    run.findings = session.findings
    return run


def debug_diagnostics(net, run: DebugRun) -> list:
    """The verdicts as Diagnostics on each layer's name (its anchor), through the rule table."""
    from ..analysis.inference import where_range
    from ..analysis.report import Sink
    from ..positions import Position, Range

    origin = Range(Position(0, 0, 0), Position(0, 0, 0))
    by_index = {layer.index: layer for layer in net.layers}
    sink = Sink()
    for f in run.findings:
        view = by_index[f.layer].result.layer
        sink.add(f.code, where_range(view.anchor()) or origin, f.message)
    return sink.items
