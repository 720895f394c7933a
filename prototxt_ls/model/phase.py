"""Which layers exist in a phase: Caffe's NetStateRule semantics.

A layer with ``include`` rules is kept when at least one rule matches the
state; otherwise it is dropped when any ``exclude`` rule matches.  A rule
matches when every condition it sets holds: its phase, level bounds, all its
``stage`` values present, none of its ``not_stage`` values present
(Net::StateMeetsRule).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..layers.params import Params
from ..schema.model import Schema
from ..syntax.tree import Message
from .net import LayerView

PHASES = ("TRAIN", "TEST")


@dataclass(frozen=True)
class NetStateView:
    phase: str
    level: int = 0
    stages: tuple[str, ...] = field(default_factory=tuple)


def _rule_matches(rule: Params, state: NetStateView) -> bool:
    if rule.has("phase") and rule.get("phase") != state.phase:
        return False
    if rule.has("min_level") and state.level < rule.get("min_level"):
        return False
    if rule.has("max_level") and state.level > rule.get("max_level"):
        return False
    stages = set(state.stages)
    if any(s not in stages for s in rule.all("stage")):
        return False
    if any(s in stages for s in rule.all("not_stage")):
        return False
    return True


def named_phases(layers: list[LayerView]) -> set[str]:
    """Phases the file's include/exclude rules mention (see inference.judged_phase)."""
    out: set[str] = set()
    for layer in layers:
        holder = layer.outer
        if not isinstance(holder, Message):
            continue
        for f in holder.fields:
            if f.name in ("include", "exclude") and isinstance(f.value, Message):
                ph = f.value.first("phase")
                if ph is not None and hasattr(ph.value, "text") and ph.value.text in PHASES:
                    out.add(ph.value.text)
    return out


def included(layer: LayerView, state: NetStateView, schema: Schema) -> bool:
    """Does ``layer`` take part in a net built for ``state``?"""
    holder = layer.outer
    if not isinstance(holder, Message):
        return True  # the header input and V0 layers have no rules
    params = layer.layer_params(schema) if layer.style != "V0" else Params(
        holder, schema.message("V1LayerParameter"), schema)
    includes = params.messages("include")
    if includes:
        return any(_rule_matches(r, state) for r in includes)
    return not any(_rule_matches(r, state) for r in params.messages("exclude"))
