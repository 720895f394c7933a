"""P601: a convolution or upsampling layer that widens a feature map a lot, unnormalized.

For a candidate layer (``catalog_pitfalls.WIDENING_TYPES``) with known N-D
feature maps in and out:

1. The *reference* is the largest blob met walking back from its input
   through at most ``WIDENING_LOOKBACK`` learned layers (pooling, ReLU, LRN...
   do not count).  A widening that only restores what a pooling or a squeeze
   layer removed is therefore not a widening.  A layer with a path back to
   the net's input that crosses no learned layer is the stem (the first
   convolution of an RGB image) and is never judged.
2. It widens when its output holds ``WIDENING_FACTOR`` times the reference's
   values per example.
3. It is reported when the widened blob, followed through layers that only
   move or rescale values (Split, Crop, Reshape, Scale...), reaches a
   nonlinearity or a merge before any normalization layer.
"""

from __future__ import annotations

from collections import deque

from ..layers.shapes import Shape, fmt
from . import catalog_pitfalls as cat
from .pitfall_graph import (
    Findings,
    Node,
    PhaseGraph,
    factor_text,
    layer_range,
    spatial,
    volume,
)

#: How many layers back the reference is looked for at most (identity shortcuts are free of
#: learned layers, so the lookback alone would follow a residual trunk to the stem).
MAX_HOPS = 48


def check_widening(g: PhaseGraph, out: Findings) -> None:
    if not g.trains:
        return  # a deploy net (often with BatchNorm folded into its convolutions) is not trained
    factor = cat.WIDENING_FACTOR
    for node in g.nodes:
        if node.type not in cat.WIDENING_TYPES:
            continue
        b, t = node.bottom_shape(0), node.top_shape(0)
        if not (spatial(b) and spatial(t)):
            continue
        vt = volume(t)
        if vt < factor * volume(b):
            continue  # the reference is never smaller than the layer's own input
        hit = _unnormalized_use(g, node)
        if hit is None:
            continue
        src = g.producer(node, 0)
        if src is None or g.input_without_learning(src[0]):
            continue  # the stem: the first learned layer on a path from the input
        ref_volume, ref_name, ref_shape = _reference(g, src, cat.WIDENING_LOOKBACK)
        if vt < factor * ref_volume:
            continue
        out.add("P601", layer_range(node), _message(node, b, t, vt / ref_volume, ref_name, ref_shape, hit))


def _reference(g: PhaseGraph, start: tuple[Node, int], lookback: int) -> tuple[int, str, Shape]:
    """(volume, blob name, shape) of the largest known feature map at most ``lookback``
    learned layers (and MAX_HOPS layers) upstream of ``start``, the first bottom's producer."""
    best: tuple[int, str, Shape] = (0, "", None)
    queue = deque([(start[0], start[1], 0, 0)])  # producer, its top, learned layers crossed, layers walked
    seen: set[tuple[int, int]] = set()
    while queue:
        src, top, depth, hops = queue.popleft()
        if (src.index, top) in seen:
            continue
        seen.add((src.index, top))
        shape = src.top_shape(top)
        v = volume(shape) if spatial(shape) else None
        if v is not None and v > best[0]:
            best = (v, src.result.layer.tops[top].name, shape)
        depth_next = depth + (1 if src.learned else 0)
        if src.is_data or depth_next > lookback or hops >= MAX_HOPS:
            continue
        for j in range(len(src.inputs)):
            prev = g.producer(src, j)
            if prev is not None:
                queue.append((prev[0], prev[1], depth_next, hops + 1))
    return best


def _unnormalized_use(g: PhaseGraph, node: Node) -> Node | None:
    """The first nonlinearity or merge the widened output reaches without a normalization layer."""
    queue = deque((c, j) for k in range(len(node.outputs)) for c, j in g.consumers(node, k))
    seen: set[int] = set()
    while queue:
        consumer, bottom = queue.popleft()
        if consumer.index in seen:
            continue
        seen.add(consumer.index)
        kind = consumer.type
        if kind in cat.NORMALIZATION_TYPES:
            continue
        if kind in cat.NONLINEARITY_TYPES or kind in cat.MERGE_TYPES:
            return consumer
        if kind in cat.PASS_THROUGH_TYPES and (bottom == 0 or kind == "Split"):
            queue.extend((c, j) for k in range(len(consumer.outputs)) for c, j in g.consumers(consumer, k))
    return None


def _message(node: Node, b: Shape, t: Shape, growth: float, ref_name: str, ref_shape: Shape, hit: Node) -> str:
    parts = []
    area_in = volume((1,) + tuple(b[2:])) or 1
    area_out = volume((1,) + tuple(t[2:])) or 0
    if area_out != area_in:
        parts.append(f"area x{factor_text(area_out / area_in)}")
    if t[1] != b[1]:
        parts.append(f"channels x{factor_text(t[1] / b[1])}")
    detail = f": {', '.join(parts)}" if parts else ""
    text = (f"{node.type} '{node.name}' widens its input {factor_text(growth)}x ({fmt(b)} -> {fmt(t)}{detail})")
    if ref_shape != b and ref_name:
        text += f", counted against '{ref_name}' ({fmt(ref_shape)}), the largest blob just before it"
    use = "merges it" if hit.type in cat.MERGE_TYPES else "applies a nonlinearity to it"
    return (text + f"; {hit.type} '{hit.name}' {use} with no normalization layer (BatchNorm, LRN, MVN, "
            f"Normalize) in between, so gradients grow by about that factor: normalize the output of "
            f"'{node.name}'")
