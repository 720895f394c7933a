"""The steps after V0: data transformation, V1 -> V2, input fields, BatchNorm.

- ``UpgradeNetDataTransformation``: ``scale``, ``mean_file``, ``crop_size``
  and ``mirror`` written in ``data_param``/``image_data_param``/
  ``window_data_param`` of a V1 data layer move to ``transform_param``.
- ``UpgradeV1LayerParameter``: ``layers`` -> ``layer``, the enum type ->
  its string, ``param``/``blob_share_mode``/``blobs_lr``/``weight_decay`` ->
  one ``param { name share_mode lr_mult decay_mult }`` per blob index.
- ``UpgradeNetInput``: ``input`` + ``input_dim``/``input_shape`` -> an
  ``Input`` layer named "input", first of the layers.
- ``UpgradeNetBatchNorm``: a BatchNorm layer with exactly three ``param``
  blocks loses them (Caffe fixes its statistics' rates itself).
"""

from __future__ import annotations

from ..layers.registry import by_v1
from .nodes import FNode, block, quoted
from .upgrade_tree import Context, drop, expand_lists, index_of, new_string, string_value

_DATA_PARAMS = {"DATA": "data_param", "IMAGE_DATA": "image_data_param", "WINDOW_DATA": "window_data_param"}
_TRANSFORM_FIELDS = ("scale", "mean_file", "crop_size", "mirror")
#: V1 field -> ParamSpec field, in the order Caffe sets them.
_PARAM_FIELDS = {"param": "name", "blob_share_mode": "share_mode", "blobs_lr": "lr_mult",
                 "weight_decay": "decay_mult"}


def v1_type(layers: FNode, ctx: Context) -> str | None:
    """The V1 enum name of a ``layers`` block's type (numbers resolved), or None."""
    types = [c for c in layers.children or [] if c.name == "type" and c.value is not None]
    if not types:
        return None
    return ctx.enum_name("V1LayerParameter", "type", types[-1].value)


# --- data transformation -----------------------------------------------------------------------

def upgrade_data_transformation(root: FNode, ctx: Context, blocks: list[FNode]) -> None:
    """Move old transformation fields to ``transform_param`` (only when some layer needs it, as Caffe)."""
    typed = [(b, _DATA_PARAMS.get(v1_type(b, ctx) or "")) for b in blocks]
    typed = [(b, p) for b, p in typed if p]
    if not any(f.name in _TRANSFORM_FIELDS for b, p in typed for pb in b.get(p) if pb.is_block
               for f in pb.children or []):
        return
    for layers, pname in typed:
        params = [c for c in layers.children if c.name == pname and c.is_block]
        if not params:  # Caffe's mutable_*_param() creates the block
            params = [block(pname)]
            layers.children.append(params[0])
        transforms = [c for c in layers.children if c.name == "transform_param" and c.is_block]
        if transforms:
            target = transforms[0]
        else:
            target = block("transform_param")
            layers.children.insert(index_of(layers, params[0]), target)
        for pb in params:
            for f in list(pb.children or []):
                if f.name not in _TRANSFORM_FIELDS:
                    continue
                for old in [c for c in target.children if c.name == f.name]:
                    ctx.report(f"`{f.name}` in {pname} replaces the one in transform_param (as in Caffe)", old)
                    drop(target, old)
                i = index_of(pb, f)
                del pb.children[i]
                target.children.append(f)


# --- V1 -> V2 ----------------------------------------------------------------------------------

def upgrade_v1_layer(layers: FNode, ctx: Context) -> None:
    """One V1 ``layers`` block -> a V2 ``layer`` block, in place (UpgradeV1LayerParameter)."""
    expand_lists(layers, set(_PARAM_FIELDS))
    layers.name = "layer"
    label = _label(layers)
    for c in list(layers.children or []):
        if c.name == "type" and c.value is not None:
            c.value = _v2_type(c, ctx, label)
        elif c.name == "layer" and c.is_block:
            ctx.report(f"a V0 `layer` block inside V1 {label}: Caffe ignores it; removed", c)
            drop(layers, c)
        elif c.name not in _PARAM_FIELDS and not ctx.has_field("V1LayerParameter", c.name):
            ctx.report(f"`{c.name}` is not a V1 layer field (Caffe could not read this net); kept as written", c)
    _params(layers, ctx, label)


def _v2_type(node: FNode, ctx: Context, label: str) -> str:
    text = node.value or ""
    if text[:1] in "\"'":  # already a string (a V0 type Caffe does not know, or a V2 type)
        return text
    enum = ctx.enum_name("V1LayerParameter", "type", text)
    if enum == "NONE":
        return '""'
    v2 = by_v1(enum) if enum else None
    if v2 is None:
        ctx.report(f"'{text}' is not a BVLC V1 layer type (Caffe cannot read it); written as the string "
                   f"\"{text}\" in {label}", node)
        return quoted(text)
    return quoted(v2)


def _params(layers: FNode, ctx: Context, label: str) -> None:
    kids = layers.children or []
    related = [c for c in kids if c.name in _PARAM_FIELDS]
    if not related:
        return
    first = index_of(layers, related[0])
    specs: list[FNode] = [c for c in related if c.name == "param" and c.is_block]
    if specs:
        ctx.report(f"`param {{ ... }}` blocks in V1 {label} (V1 `param` is a blob name); kept as blob specs",
                   specs[0])
    group_comments, related[0].leading = related[0].leading, []  # they introduce the whole group
    taken = {id(c) for c in related}
    layers.children = [c for c in kids if id(c) not in taken]
    counters = dict.fromkeys(_PARAM_FIELDS, 0)
    for c in related:
        if c.name == "param" and c.is_block:
            continue
        i = counters[c.name]
        counters[c.name] = i + 1
        while len(specs) <= i:
            specs.append(block("param"))
        spec = specs[i]
        target = _PARAM_FIELDS[c.name]
        for old in [s for s in spec.children if s.name == target]:
            ctx.report(f"`{c.name}` sets {target} of blob {i} in {label} again: the later value wins", old)
            drop(spec, old)
        c.name = target
        spec.children.append(c)
    for spec in specs:  # keep the share mode, lr and decay in Caffe's order, comments moving with them
        order = {"name": 0, "share_mode": 1, "lr_mult": 2, "decay_mult": 3}
        spec.children.sort(key=lambda n: order.get(n.name, 4))
    specs[0].leading[:0] = group_comments
    layers.children[first:first] = specs


def _label(layers: FNode) -> str:
    for c in layers.children or []:
        if c.name == "name" and c.value is not None:
            return f"layer {c.value}"
    return "a layer without a name"


# --- input fields ------------------------------------------------------------------------------

def upgrade_input(root: FNode, ctx: Context) -> None:
    """``input`` + ``input_dim``/``input_shape`` -> an Input layer first in the net (UpgradeNetInput)."""
    expand_lists(root, {"input", "input_dim", "input_shape"})
    kids = root.children or []
    inputs = [c for c in kids if c.name == "input"]
    if not inputs:
        return
    shapes = [c for c in kids if c.name == "input_shape" and c.is_block]
    dims = [c for c in kids if c.name == "input_dim" and c.value is not None]
    header = [c for c in kids if c.name in ("input", "input_dim", "input_shape")]
    first = header[0]
    if not shapes and not dims:
        for c in header:
            ctx.report(f"`{c.name}` without input_dim or input_shape: Caffe drops it (it only keeps inputs "
                       "with a shape); removed", c)
            drop(root, c)
        return
    layer = block("layer", [new_string("name", "input"), new_string("type", "Input")])
    layer.leading, first.leading = first.leading, []
    layer.blank_before = first.blank_before
    used: set[int] = set()
    param = block("input_param")
    tops: list[FNode] = []
    for i, inp in enumerate(inputs):
        inp.name = "top"
        tops.append(inp)
        used.add(id(inp))
        if shapes:
            if i < len(shapes):
                shapes[i].name = "shape"
                param.children.append(shapes[i])
                used.add(id(shapes[i]))
            else:
                ctx.report(f"input {inp.value} has no input_shape (Caffe reads past the end); no shape written",
                           inp)
            continue
        mine = dims[4 * i:4 * i + 4]
        if len(mine) < 4:
            ctx.report(f"input {inp.value} needs 4 input_dim values, found {len(mine)} (Caffe reads past the "
                       "end); shape written with those found", inp)
        shape = block("shape")
        for d in mine:
            d.name = "dim"
            shape.children.append(d)
            used.add(id(d))
        param.children.append(shape)
    for c in header:
        if id(c) in used:
            continue
        why = ("input_shape wins over input_dim" if c.name == "input_dim" and shapes
               else f"more {c.name} values than inputs")
        ctx.report(f"`{c.name}` dropped as Caffe does ({why})", c)
    layer.children.extend(tops)
    layer.children.append(param)
    # take the header out (dropped fields hand their comments on), then put the layer where the
    # header began, but never after a layer: Caffe makes it the first one
    original = list(kids)
    for c in header:
        if id(c) in used:
            del root.children[index_of(root, c)]
        else:
            drop(root, c)
    at = _position_after_removal(original, header, original.index(first))
    first_layer = next((k for k, c in enumerate(root.children) if c.name in ("layer", "layers")),
                       len(root.children))
    root.children.insert(min(at, first_layer), layer)


def _position_after_removal(original: list[FNode], removed: list[FNode], index: int) -> int:
    gone = {id(c) for c in removed}
    return sum(1 for c in original[:index] if id(c) not in gone)


# --- BatchNorm ---------------------------------------------------------------------------------

def upgrade_batch_norm(root: FNode, ctx: Context) -> None:
    """BatchNorm layers with exactly three ``param`` specs lose them (UpgradeNetBatchNorm)."""
    for layer in root.children or []:
        if layer.name != "layer" or not layer.is_block:
            continue
        types = [c for c in layer.children or [] if c.name == "type" and c.value is not None]
        if not types or string_value(types[-1].value) != "BatchNorm":
            continue
        expand_lists(layer, {"param"})
        params = [c for c in layer.children if c.name == "param"]
        if len(params) != 3:
            continue
        ctx.report(f"the 3 `param` blocks of BatchNorm {_label(layer)} removed, as Caffe's upgrade does: the "
                   "layer itself keeps the learning rates of its statistics at zero", params[0])
        for p in params:
            drop(layer, p)
