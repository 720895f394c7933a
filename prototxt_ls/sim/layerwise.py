"""Caffe's ``ForwardFromTo(i, i)`` and ``BackwardFromTo(i, i)``: one layer at a time.

Why: ``caffe time`` reports each layer's backward on its own and
``debug_info`` prints each layer's bottom diffs right after its backward.
One ``loss.backward()`` over the whole net cannot give either: autograd runs
the whole graph in one call, in its own order.

The design: in the forward pass each layer reads *detached* copies of its
bottoms (leaves that require grad when the blob needs one), so every layer
owns a small autograd graph from its bottoms to its tops.  Backward walks
the layers in reverse and calls ``torch.autograd.backward(tops, top_diffs)``
on one layer's graph at a time; the leaves' ``.grad`` are that layer's
bottom diffs, summed into the pending diff of the blob they came from (what
Caffe's Split layers do).  Pending diffs are keyed by blob name and taken
out when the producing layer runs, which is exactly Caffe's semantics for
in-place layers (a ReLU whose top is its bottom).  Detaching costs a few
microseconds per layer and adds no copies: the memory is that of one
autograd graph over the whole net.

Which layers run backward follows ``Net::Init``: a blob needs a diff when a
layer at or below it has learnable parameters; a layer runs backward when it
needs it *and* it contributes to a loss (a top with a non-zero loss weight,
or a top that a contributing layer reads).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch

Hook = Callable[[int, "Pass"], None]


@dataclass
class Plan:
    """What backward touches, fixed for a net (Caffe's ``layer_need_backward_``)."""

    #: per layer: whether its backward runs
    need_backward: list[bool]
    #: per layer: which of its bottoms (by name) get a diff
    bottom_grad: list[dict[str, bool]]
    #: per layer: the loss weight of each top (0 for none); the seed of backward
    seeds: list[list[float]]
    #: "loss" (the net's loss layers), "outputs" (no loss: each unread top seeded with ones) or None
    seeded_by: str | None


@dataclass
class Pass:
    """One forward (and then backward) pass: every layer's leaves and tops."""

    blobs: dict[str, torch.Tensor]
    leaves: list[dict[str, torch.Tensor]] = field(default_factory=list)
    tops: list[list[torch.Tensor]] = field(default_factory=list)
    #: during backward: diffs waiting for the layer that produced their blob
    pending: dict[str, torch.Tensor] = field(default_factory=dict)
    #: after backward: the layers whose backward ran
    ran: set[int] = field(default_factory=set)


def _learnable(layer) -> bool:
    op = getattr(layer, "op", None)
    if op is None:
        return False
    return any(p.requires_grad for p in op.parameters())


def plan(net, seed_outputs: bool = False, propagate_down: dict[int, list[bool]] | None = None) -> Plan:
    """Work out which layers run backward, Caffe's way.

    ``seed_outputs``: a net without any loss (a deploy net) gets ones as the
    diff of every top no later layer reads, so its backward can be timed,
    as ``force_backward`` would.  ``propagate_down``: per layer index, the
    layer's ``propagate_down`` flags (one per bottom).
    """
    layers = list(net.layers)
    needs: dict[str, bool] = {}
    bottom_grad: list[dict[str, bool]] = []
    layer_needs: list[bool] = []
    for layer in layers:
        flags = (propagate_down or {}).get(layer.index)
        per_bottom: dict[str, bool] = {}
        for k, name in enumerate(layer.bottoms):
            allowed = flags[k] if flags is not None and k < len(flags) else True
            per_bottom[name] = per_bottom.get(name, False) or (needs.get(name, False) and allowed)
        need = _learnable(layer) or any(per_bottom.values())
        for name in layer.tops:
            needs[name] = need
        bottom_grad.append(per_bottom)
        layer_needs.append(need)
    seeds = [[float(w) for w in (layer.loss_weights or [])] + [0.0] * (len(layer.tops) - len(layer.loss_weights or []))
             for layer in layers]
    seeded_by = "loss" if any(any(s) for s in seeds) else None
    if seeded_by is None and seed_outputs:
        read_later: set[str] = set()
        for i in range(len(layers) - 1, -1, -1):
            seeds[i] = [0.0 if t in read_later else 1.0 for t in layers[i].tops]
            read_later.update(layers[i].bottoms)
        seeded_by = "outputs" if any(any(s) for s in seeds) else None
    under_loss: set[str] = set()
    need_backward = [False] * len(layers)
    for i in range(len(layers) - 1, -1, -1):
        layer = layers[i]
        contributes = any(seeds[i]) or any(t in under_loss for t in layer.tops)
        if contributes:
            under_loss.update(layer.bottoms)
        need_backward[i] = contributes and layer_needs[i]
    return Plan(need_backward, bottom_grad, seeds, seeded_by)


class Stepper:
    """Runs a SimNet's layers one by one, forward then backward, with hooks around each.

    ``before(i, pass)``/``after(i, pass)`` hooks are how timing puts a clock
    around a layer and debug info reads its blobs; None costs nothing.
    """

    def __init__(self, net, the_plan: Plan) -> None:
        self.net = net
        self.layers = list(net.layers)
        self.plan = the_plan
        self.params = [p for p in net.parameters() if p.requires_grad]

    def zero_param_diffs(self) -> None:
        """Caffe's ClearParamDiffs: each iteration's param diffs start from nothing."""
        for p in self.params:
            p.grad = None

    def forward(self, inputs: dict[str, torch.Tensor], before: Hook | None = None,
                after: Hook | None = None) -> Pass:
        blobs = dict(inputs)
        p = Pass(blobs)
        run = self.net.run_layer
        if hasattr(self.net, "observed"):
            self.net.observed = {}  # the shape proof reads what this pass ran
        for i, layer in enumerate(self.layers):
            local: dict[str, torch.Tensor] = {}
            for name, grad in self.plan.bottom_grad[i].items():
                if name not in blobs:
                    continue  # never produced (a skipped layer's top of unknown shape): run_layer says so
                t = blobs[name].detach()
                if grad and t.is_floating_point():
                    t.requires_grad_()
                local[name] = t
            leaves = dict(local)
            for name in layer.tops:  # a layer without bottoms (Input) finds what it was given
                if name not in local and name in blobs:
                    local[name] = blobs[name]
            if before is not None:
                before(i, p)
            run(layer, local)
            outs = [local.get(name) for name in layer.tops]  # None: a skipped layer's top of unknown shape
            for name, t in zip(layer.tops, outs):
                if t is not None:
                    blobs[name] = t
            p.leaves.append(leaves)
            p.tops.append(outs)
            if after is not None:
                after(i, p)
        return p

    def backward(self, p: Pass, before: Hook | None = None, after: Hook | None = None) -> None:
        pending = p.pending
        for i in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[i]
            seeds = self.plan.seeds[i]
            outs, diffs = [], []
            for j, name in enumerate(layer.tops):
                diff = pending.pop(name, None)
                top = p.tops[i][j]
                if top is None:
                    continue
                if seeds[j]:
                    seed = torch.full_like(top, seeds[j])
                    diff = seed if diff is None else diff + seed
                if diff is not None and top.requires_grad:
                    outs.append(top)
                    diffs.append(diff)
            if not self.plan.need_backward[i] or not outs:
                continue
            if before is not None:
                before(i, p)
            torch.autograd.backward(outs, diffs)
            p.ran.add(i)
            if after is not None:
                after(i, p)
            for name, leaf in p.leaves[i].items():
                g = leaf.grad
                if g is not None:
                    old = pending.get(name)
                    pending[name] = g if old is None else old + g
