"""Shape proof: every blob's real shape, after running its layer in PyTorch, against static inference.

Layer by layer, in run order, each top the op produced is compared with the
shape static inference gave that top (an unknown static dim matches any
size; an unknown rank matches any tensor).  A blob fed from outside is
compared too (an ``--input`` that the analysis did not see).  A mismatch
whose layer read an already mismatched bottom is ``inherited``: the first
wrong layer is the one to look at, and only it is reported as T001, with the
count of later blobs that differ because of it.  Skipped layers are reported
as what they are (T005 Python layer, T006 not simulated) at their ``type``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..analysis.inference import where_range
from ..analysis.report import Sink
from ..diagnostics import Diagnostic
from ..layers.shapes import Shape, fmt
from ..positions import Position, Range
from .net import SimLayer, SimNet

_ORIGIN = Range(Position(0, 0, 0), Position(0, 0, 0))


@dataclass
class Mismatch:
    """One top whose real shape differs from the static one."""

    blob: str
    layer: SimLayer
    static: Shape
    real: tuple[int, ...]
    #: Which top of the layer.
    top: int = 0
    #: The first mismatch this one follows from (a bottom of the layer
    #: already differed), or None when this layer is the first wrong one.
    cause: Mismatch | None = None

    @property
    def inherited(self) -> bool:
        return self.cause is not None


def shape_matches(static: Shape, real: tuple[int, ...]) -> bool:
    """Equal rank and equal dims, where None (unknown) matches anything."""
    if static is None:
        return True
    if len(static) != len(real):
        return False
    return all(s is None or s == r for s, r in zip(static, real))


def _layer_mismatches(layer: SimLayer, shapes: list[tuple[int, ...]],
                      wrong: dict[str, Mismatch]) -> list[Mismatch]:
    """``wrong``: each currently mismatched blob -> the first mismatch it follows from."""
    cause = next((wrong[b] for b in layer.bottoms if b in wrong), None)
    found = []
    for i, (name, real) in enumerate(zip(layer.tops, shapes)):
        static = layer.static_top(i)
        if shape_matches(static, real):
            wrong.pop(name, None)
            continue
        m = Mismatch(name, layer, static, tuple(real), i, cause)
        wrong[name] = cause or m
        found.append(m)
    return found


def prove(net: SimNet, blobs: dict[str, torch.Tensor]) -> list[Mismatch]:
    """Every top whose real shape disagrees with static inference, in run order.

    ``blobs`` is what ``net(inputs)`` returned: the fed inputs are read from
    it; each layer's own tops from the shapes recorded as it ran (an in-place
    layer's input is overwritten in ``blobs``).
    """
    wrong: dict[str, Mismatch] = {}
    found: list[Mismatch] = []
    for layer in net.layers:
        if layer.is_input:
            shapes = [tuple(blobs[t].shape) for t in layer.tops if t in blobs]
        elif layer.index in net.observed:
            shapes = net.observed[layer.index]
        else:
            continue
        found.extend(_layer_mismatches(layer, shapes, wrong))
    return found


def _dims(shape) -> str:
    return fmt(tuple(shape)) if shape is not None else "unknown"


def _top_range(layer: SimLayer, top: int) -> Range:
    view = layer.result.layer
    ref = view.tops[top] if top < len(view.tops) else None
    rng = where_range(ref.field) if ref is not None and ref.field is not None else None
    return rng or where_range(view.anchor()) or _ORIGIN


def _type_range(layer: SimLayer) -> Range:
    view = layer.result.layer
    return where_range(view.type_field()) or where_range(view.anchor()) or _ORIGIN


def sim_diagnostics(net: SimNet, mismatches: list[Mismatch]) -> list[Diagnostic]:
    """T001 for each first wrong layer's top, T005/T006 for each skipped layer."""
    sink = Sink()
    for layer in net.layers:
        if layer.skipped is not None:
            sink.add(layer.skip_code or "T006", _type_range(layer),
                     f"layer '{layer.name}' ({layer.type}) was not simulated: {layer.skipped}")
    for m in mismatches:
        if m.inherited:
            continue
        following = sum(1 for other in mismatches if other.cause is m)
        after = f"; {following} later blob(s) differ as a consequence" if following else ""
        sink.add("T001", _top_range(m.layer, m.top),
                 f"layer '{m.layer.name}' ({m.layer.type}): top '{m.blob}' is {_dims(m.real)} when run in "
                 f"PyTorch but static inference gives {_dims(m.static)} — a bug in prototxt-ls{after}")
    return sink.items


__all__ = ["Mismatch", "prove", "shape_matches", "sim_diagnostics"]
