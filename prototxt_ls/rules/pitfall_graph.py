"""The layer graph of one phase, for the design rules, and how they report.

:class:`PhaseGraph` links each layer of a :class:`PhaseResult` to the layers
that produce its bottoms and consume its tops *as Caffe connects them*: a
bottom reads the latest producer of that name in file order, so in-place
chains (``conv1 -> relu1 -> pool1`` all on blob ``conv1``) become a path
``conv1 -> relu1 -> pool1``, not a fan-out.

:class:`Findings` collects findings from every phase and reports each once.
"""

from __future__ import annotations

from math import prod

from ..analysis.inference import LayerResult, PhaseResult, where_range
from ..analysis.report import Sink
from ..diagnostics import Diagnostic
from ..layers.shapes import Shape
from ..positions import Range
from .catalog_pitfalls import NORMALIZATION_TYPES

_NOT_LEARNED = NORMALIZATION_TYPES | {"Scale", "Bias"}


class Node:
    """One layer of a phase, linked as Caffe connects it.

    ``inputs``: per bottom, (producer node index, its top index), or None when
    nothing produced it.  ``outputs``: per top, the (consumer node index, its
    bottom index) pairs, in file order.  A plain slotted class: a large net
    makes thousands per check.
    """

    __slots__ = ("index", "result", "inputs", "outputs", "type", "name")

    def __init__(self, index: int, result: LayerResult, n_tops: int) -> None:
        self.index = index
        self.result = result
        self.inputs: list[tuple[int, int] | None] = []
        self.outputs: list[list[tuple[int, int]]] = [[] for _ in range(n_tops)]
        layer = result.layer
        self.type: str = layer.type or layer.type_written
        self.name: str = layer.name

    def top_shape(self, i: int = 0) -> Shape:
        tops = self.result.tops
        return tops[i] if i < len(tops) else None

    def bottom_shape(self, i: int = 0) -> Shape:
        bottoms = self.result.bottoms
        return bottoms[i] if i < len(bottoms) else None

    @property
    def learned(self) -> bool:
        """Computes new features with weights of its own (a convolution, an inner product, PReLU...);
        BatchNorm's statistics and Scale/Bias's affine factors do not count."""
        if self.type in _NOT_LEARNED:
            return False
        spec = self.result.spec
        return bool(self.result.weights) or (spec is not None and spec.weights is not None)

    @property
    def is_data(self) -> bool:
        spec = self.result.spec
        return (spec is not None and spec.is_data) or not self.result.layer.bottoms


class PhaseGraph:
    def __init__(self, phase: PhaseResult) -> None:
        self.phase = phase
        self.nodes: list[Node] = []
        self._trains: bool | None = None
        self._params: dict[int, bool] = {}
        self._unlearned: list[bool] | None = None
        latest: dict[str, tuple[int, int]] = {}
        for i, lr in enumerate(phase.layers):
            node = Node(i, lr, len(lr.layer.tops))
            for j, b in enumerate(lr.layer.bottoms):
                src = latest.get(b.name)
                node.inputs.append(src)
                if src is not None:
                    self.nodes[src[0]].outputs[src[1]].append((i, j))
            self.nodes.append(node)
            for k, t in enumerate(lr.layer.tops):
                latest[t.name] = (i, k)

    @property
    def trains(self) -> bool:
        """Does this phase have an objective (a loss layer, or a loss_weight)?  Deploy nets do not."""
        if self._trains is None:
            self._trains = any(_is_loss(n.result.layer) or any(w != 0 for w in n.result.layer.loss_weights)
                               for n in self.nodes)
        return self._trains

    def depends_on_params(self, node: Node) -> bool:
        """Is ``node``'s output computed from learned weights (so gradients flow into it)?"""
        cached = self._params.get(node.index)
        if cached is not None:
            return cached
        stack, seen, found = [node], set(), False
        while stack and not found:
            n = stack.pop()
            if n.index in seen:
                continue
            seen.add(n.index)
            if self._params.get(n.index) or n.learned:
                found = True
                break
            stack.extend(p[0] for j in range(len(n.inputs)) if (p := self.producer(n, j)) is not None)
        self._params[node.index] = found
        return found

    def input_without_learning(self, node: Node) -> bool:
        """Is there a path from a data layer to ``node``'s output that crosses no learned layer
        (``node`` included)?  Computed for every node at once, in file order."""
        if self._unlearned is None:
            flags: list[bool] = []
            for n in self.nodes:
                if n.learned:
                    flags.append(False)
                elif n.is_data:
                    flags.append(True)
                else:
                    flags.append(any(flags[src[0]] for src in n.inputs if src is not None))
            self._unlearned = flags
        return self._unlearned[node.index]

    def producer(self, node: Node, bottom: int = 0) -> tuple[Node, int] | None:
        src = node.inputs[bottom] if bottom < len(node.inputs) else None
        return (self.nodes[src[0]], src[1]) if src is not None else None

    def consumers(self, node: Node, top: int = 0) -> list[tuple[Node, int]]:
        outs = node.outputs[top] if top < len(node.outputs) else []
        return [(self.nodes[i], j) for i, j in outs]

    def origin(self, node: Node, bottom: int, through: frozenset[str]) -> Node | None:
        """The layer that computed ``node``'s bottom, looking through ``through`` types
        (via their first bottom); None when nothing produced it."""
        src = self.producer(node, bottom)
        seen = 0
        while src is not None and src[0].type in through and src[0].inputs and seen < 1000:
            src = self.producer(src[0], 0)
            seen += 1
        return src[0] if src is not None else None


def volume(shape: Shape) -> int | None:
    """Values per example (every axis after the first), or None if any is unknown."""
    if shape is None or len(shape) < 2 or any(d is None for d in shape[1:]):
        return None
    return prod(shape[1:])  # type: ignore[arg-type]


def spatial(shape: Shape) -> bool:
    """A known feature map: N x C x H (x W ...), every dim after N known."""
    return shape is not None and len(shape) >= 4 and volume(shape) is not None


def layer_range(node_or_result) -> Range | None:
    """Where to report a finding about a whole layer: its name (else its type, else its block)."""
    layer = node_or_result.result.layer if isinstance(node_or_result, Node) else node_or_result.layer
    return where_range(layer.anchor())


def factor_text(x: float) -> str:
    return f"{x:.0f}" if abs(x - round(x)) < 0.05 else f"{x:.1f}"


class Findings:
    """Findings of several phases, reported once each (the first phase's message wins)."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self._seen: dict[tuple[str, int, int], Diagnostic] = {}

    def add(self, code: str, rng: Range | None, message: str, fixes=None, related=None) -> Diagnostic | None:
        if rng is None:
            return None
        key = (code, rng.start.offset, rng.end.offset)
        if key in self._seen:
            return self._seen[key]
        d = self.sink.add(code, rng, message, fixes, [r for r in (related or []) if r[0] is not None])
        self._seen[key] = d
        return d


def graphs(net) -> list[PhaseGraph]:
    """One graph per phase the net builds, TRAIN first."""
    return [PhaseGraph(p) for _, p in sorted(net.phases.items(), key=lambda kv: kv[0] != "TRAIN")]


def _is_loss(layer) -> bool:
    spec = layer.spec
    return spec.is_loss if spec is not None else (layer.type or layer.type_written).endswith("Loss")
