"""Inlay hints: each layer's output shape after its ``top:`` values.

A hint ``1x20x24x24`` (``?`` for an unknown dimension) sits at the end of each
top's value, from the TEST phase when the layer takes part in it, else from
TRAIN; a top whose shape is unknown altogether gets none.  The editor setting
``prototxt-ls.inlayShapes`` turns them off.
"""

from __future__ import annotations

from lsprotocol import types as lsp

from ...analysis.inference import LayerResult
from ...layers.shapes import fmt
from ..convert import to_lsp_position
from ..documents import Analysis
from ..server import PrototxtServer, safe

#: Phases to take a layer's shapes from, in order of preference.
PHASE_ORDER = ("TEST", "TRAIN")


def _pos(p: lsp.Position) -> tuple[int, int]:
    return (p.line, p.character)


def shape_hints(a: Analysis, rng: lsp.Range | None = None) -> list[lsp.InlayHint]:
    """The hints of ``a`` whose position lies inside ``rng`` (all of them when None)."""
    net = a.result.net
    if net is None:
        return []
    chosen: dict[int, LayerResult] = {}  # layer index -> its result, TEST first
    for phase in PHASE_ORDER:
        result = net.phases.get(phase)
        if result is None:
            continue
        for lr in result.layers:
            chosen.setdefault(lr.layer.index, lr)
    lo = _pos(rng.start) if rng is not None else None
    hi = _pos(rng.end) if rng is not None else None
    hints: list[lsp.InlayHint] = []
    for lr in chosen.values():
        for ref, shape in zip(lr.layer.tops, lr.tops):
            if shape is None or ref.field is None:
                continue
            where = to_lsp_position(ref.field.value.range.end, a.lines)
            if lo is not None and not lo <= _pos(where) <= hi:
                continue
            hints.append(lsp.InlayHint(position=where, label=fmt(shape), kind=lsp.InlayHintKind.Type,
                                       padding_left=True,
                                       tooltip=f"output shape of layer '{lr.layer.name}' ({lr.layer.type or '?'})"
                                       if lr.layer.name else None))
    hints.sort(key=lambda h: _pos(h.position))
    return hints


def register(server: PrototxtServer) -> None:
    @server.feature(lsp.TEXT_DOCUMENT_INLAY_HINT, lsp.InlayHintOptions(resolve_provider=False))
    @safe(list)
    def inlay_hints(ls: PrototxtServer, params: lsp.InlayHintParams):
        if not ls.docs.settings.inlay_shapes:
            return []
        a = ls.analysis(params.text_document.uri)
        if a is None:
            return []
        return shape_hints(a, params.range)


__all__ = ["PHASE_ORDER", "register", "shape_hints"]
