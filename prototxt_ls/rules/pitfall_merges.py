"""P602 unbounded Eltwise products, P603 chains of residual sums without normalization."""

from __future__ import annotations

from ..analysis.inference import where_range
from ..schema.model import Schema
from . import catalog_pitfalls as cat
from .pitfall_graph import Findings, Node, PhaseGraph, layer_range

#: Layers a blob's origin is traced through (P602): they keep a gate's range.
ORIGIN_THROUGH = (cat.PASS_THROUGH_TYPES - {"Scale", "Bias"}) | {"Upsample", "Interp"}


def _eltwise(node: Node, schema: Schema):
    spec = node.result.spec
    if node.type != "Eltwise" or spec is None:
        return None
    try:
        return node.result.layer.type_params(schema, spec)
    except (AttributeError, KeyError, TypeError):
        return None


def check_products(g: PhaseGraph, schema: Schema, out: Findings) -> None:
    """P602: an Eltwise PROD with at least two unbounded factors that gradients flow into."""
    if not g.trains:
        return
    for node in g.nodes:
        p = _eltwise(node, schema)
        if p is None or p.get("operation") != "PROD":
            continue
        unbounded = []
        for j, ref in enumerate(node.result.layer.bottoms):
            origin = g.origin(node, j, ORIGIN_THROUGH)
            if origin is None or origin.is_data or origin.result.spec is None or origin.type == "Python":
                continue  # unknown range: not judged
            if _bounded(g, origin) or not g.depends_on_params(origin):
                continue  # a gate, or a mask computed from the data alone (no gradient flows into it)
            unbounded.append((ref.name, origin))
        if len(unbounded) < 2:
            continue
        op = p.field("operation")
        rng = op.value.range if op is not None else layer_range(node)
        factors = ", ".join(f"'{blob}' (from {o.type} '{o.name}')" for blob, o in unbounded)
        out.add("P602", rng, f"Eltwise '{node.name}' multiplies {len(unbounded)} unbounded activations: {factors}; "
                f"the gradient of each factor is scaled by the others' values, so a growing branch explodes "
                f"the other's gradient: gate one factor through a Sigmoid, or combine them with SUM or Concat")


def _bounded(g: PhaseGraph, node: Node, depth: int = 0) -> bool:
    """A gate-like output: a bounded activation, or a Concat of bounded ones."""
    if node.type in cat.BOUNDED_TYPES:
        return True
    if node.type == "Concat" and node.inputs and depth < 20:
        for j in range(len(node.inputs)):
            origin = g.origin(node, j, ORIGIN_THROUGH)
            if origin is None or not _bounded(g, origin, depth + 1):
                return False
        return True
    return False


def _plain_sum(p) -> bool:
    """A SUM that adds its inputs (coefficients of magnitude 1, or none) rather than averaging them."""
    if p.get("operation") != "SUM":
        return False
    return all(abs(c) >= 1.0 for c in p.all("coeff"))


def check_residual_sums(g: PhaseGraph, schema: Schema, out: Findings) -> None:
    """P603: a stream that has added up RESIDUAL_SUMS_WITHOUT_NORM branches since any normalization.

    Per blob: ``count`` = branches added since the last normalization, and
    ``normed`` = a normalization layer lies on its path since the last sum.
    A sum with a normalized input (a ResNet block: conv-BatchNorm in the
    branch) starts the count again.
    """
    if not g.trains:
        return
    threshold = cat.RESIDUAL_SUMS_WITHOUT_NORM
    state: dict[tuple[int, int], tuple[int, bool]] = {}
    for node in g.nodes:
        ins = [state.get(src, (0, False)) if src is not None else (0, False) for src in node.inputs]
        count_in = max((c for c, _ in ins), default=0)
        normed_in = any(n for _, n in ins)
        if node.type in cat.NORMALIZATION_TYPES:
            count, normed = 0, True
        else:
            p = _eltwise(node, schema)
            if p is not None and _plain_sum(p):
                normed = False
                count = 0 if normed_in else count_in + max(len(ins) - 1, 1)
                if count >= threshold > count_in and not normed_in:
                    _report_sum(node, count, out)
            else:
                count, normed = count_in, normed_in
        for k in range(len(node.outputs)):
            state[(node.index, k)] = (count, normed)


def _report_sum(node: Node, count: int, out: Findings) -> None:
    rng = where_range(node.result.layer.anchor())
    out.add("P603", rng, f"Eltwise '{node.name}' brings the number of branches added into this stream to "
            f"{count} with no normalization layer (BatchNorm, LRN, MVN) in the branches or the trunk since "
            f"the last one: each addition adds its branch's variance, so activations grow with depth; "
            f"normalize inside the residual branches (Convolution, BatchNorm, Scale)")
