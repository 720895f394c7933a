"""V0 -> V1, as Caffe's ``UpgradeV0Net`` does it, on the layout tree.

A V0 net writes ``layers { layer { name type <params> } bottom top }`` with
every parameter flat inside the inner ``layer``.  The upgrade:

1. folds ``padding`` layers into the convolution/pooling that reads their
   output (``UpgradeV0PaddingLayers``);
2. turns each ``layers`` block into a V1 one: ``name`` and ``type`` (now an
   enum) move up, each parameter moves into the ``*_param`` block its layer
   type reads, renamed (``kernelsize`` -> ``kernel_size``); ``scale``,
   ``meanfile``, ``cropsize`` and ``mirror`` go to ``transform_param``;
   ``blobs_lr``/``weight_decay`` stay for the V1 -> V2 step
   (``UpgradeV0LayerParameter``);
3. keeps only ``name``, ``layers``, ``input``, ``input_dim`` and
   ``force_backward`` at the top (``UpgradeV0Net``).

Whatever Caffe drops is dropped here too, but reported, and its comments
stay in the file.
"""

from __future__ import annotations

from ..layers.registry import by_v0, lookup
from .nodes import FNode, block
from .upgrade_tree import Context, comments_of, drop, expand_lists, string_value

#: V0 field -> {V0 layer type: V1 parameter block}; the field is renamed by _RENAME.
_PARAMS: dict[str, dict[str, str]] = {
    "num_output": {"conv": "convolution_param", "innerproduct": "inner_product_param"},
    "biasterm": {"conv": "convolution_param", "innerproduct": "inner_product_param"},
    "weight_filler": {"conv": "convolution_param", "innerproduct": "inner_product_param"},
    "bias_filler": {"conv": "convolution_param", "innerproduct": "inner_product_param"},
    "pad": {"conv": "convolution_param", "pool": "pooling_param"},
    "kernelsize": {"conv": "convolution_param", "pool": "pooling_param"},
    "group": {"conv": "convolution_param"},
    "stride": {"conv": "convolution_param", "pool": "pooling_param"},
    "pool": {"pool": "pooling_param"},
    "dropout_ratio": {"dropout": "dropout_param"},
    "local_size": {"lrn": "lrn_param"},
    "alpha": {"lrn": "lrn_param"},
    "beta": {"lrn": "lrn_param"},
    "k": {"lrn": "lrn_param"},
    "source": {"data": "data_param", "hdf5_data": "hdf5_data_param", "images": "image_data_param",
               "window_data": "window_data_param", "infogain_loss": "infogain_loss_param"},
    "batchsize": {"data": "data_param", "hdf5_data": "hdf5_data_param", "images": "image_data_param",
                  "window_data": "window_data_param"},
    "rand_skip": {"data": "data_param", "images": "image_data_param"},
    "shuffle_images": {"images": "image_data_param"},
    "new_height": {"images": "image_data_param"},
    "new_width": {"images": "image_data_param"},
    "concat_dim": {"concat": "concat_param"},
    "det_fg_threshold": {"window_data": "window_data_param"},
    "det_bg_threshold": {"window_data": "window_data_param"},
    "det_fg_fraction": {"window_data": "window_data_param"},
    "det_context_pad": {"window_data": "window_data_param"},
    "det_crop_mode": {"window_data": "window_data_param"},
    "hdf5_output_param": {"hdf5_output": "hdf5_output_param"},
}
#: Moved to transform_param whatever the layer type.
_TRANSFORM = {"scale": "scale", "meanfile": "mean_file", "cropsize": "crop_size", "mirror": "mirror"}
_RENAME = {"biasterm": "bias_term", "kernelsize": "kernel_size", "batchsize": "batch_size",
           "shuffle_images": "shuffle", "det_fg_threshold": "fg_threshold", "det_bg_threshold": "bg_threshold",
           "det_fg_fraction": "fg_fraction", "det_context_pad": "context_pad", "det_crop_mode": "crop_mode"}
#: Kept at the V1 level as they are.
_KEEP = ("name", "blobs", "blobs_lr", "weight_decay")
#: What UpgradeV0Net copies from the net.
_NET_KEEP = ("name", "layers", "input", "input_dim", "force_backward")


def is_v0_block(node: FNode) -> bool:
    return node.name == "layers" and node.is_block and any(c.name == "layer" and c.is_block
                                                           for c in node.children or [])


def v0_type(layers: FNode) -> str:
    """The V0 type string of a ``layers`` block ("" when it has none, as Caffe reads it)."""
    inner = [c for c in layers.children or [] if c.name == "layer" and c.is_block]
    types = [c for v in inner for c in v.children or [] if c.name == "type" and c.value is not None]
    return string_value(types[-1].value) or "" if types else ""


def _names(node: FNode) -> list[str]:
    """The strings a scalar or list field gives (``top: "a"``, ``input: ["a", "b"]``)."""
    values = [node.value] if node.value is not None else [i for i in node.items or [] if isinstance(i, str)]
    return [string_value(v) or "" for v in values]


def upgrade_padding(root: FNode, ctx: Context, blocks: list[FNode]) -> None:
    """Fold ``padding`` layers into the conv/pool layers that read them (UpgradeV0PaddingLayers)."""
    producer: dict[str, FNode | None] = {}
    for c in root.children or []:
        if c.name == "input":
            producer.update(dict.fromkeys(_names(c)))
    for layers in blocks:
        expand_lists(layers, {"bottom", "top"})
    chosen = {id(b) for b in blocks}
    padding: list[FNode] = []
    for node in list(root.children or []):
        if node.name not in ("layers", "layer") or not node.is_block:
            continue
        if id(node) not in chosen:  # a V2 layer (or a block left alone): only its tops count
            for t in node.children or []:
                if t.name == "top":
                    producer.update(dict.fromkeys(_names(t)))
            continue
        kind = v0_type(node)
        bottoms = [c for c in node.children or [] if c.name == "bottom" and c.value is not None]
        for b in bottoms:
            name = string_value(b.value) or ""
            if name not in producer:
                ctx.report(f"Caffe stops here: bottom '{name}' of {_label(node)} comes from no earlier layer "
                           "or net input (Unknown blob input)", b, node)
                continue
            src = producer[name]
            if src is None or v0_type(src) != "padding":
                continue
            src_bottoms = [c for c in src.children or [] if c.name == "bottom" and c.value is not None]
            src_tops = [c for c in src.children or [] if c.name == "top"]
            if kind not in ("conv", "pool") or len(bottoms) != 1 or len(src_bottoms) != 1 or len(src_tops) != 1:
                ctx.report("Caffe stops here: a padding layer may only feed a single-input convolution or "
                           f"pooling layer with one bottom and one top (this one is '{kind}'); not folded", b, node)
                continue
            _set_pad(node, src)
            b.value = src_bottoms[0].value
        for t in node.children or []:
            if t.name == "top" and t.value is not None:
                producer[string_value(t.value) or ""] = node
        if kind == "padding":
            padding.append(node)
    for node in padding:
        drop(root, node)


def _pad_text(layers: FNode) -> str:
    for v in layers.children or []:
        if v.name == "layer" and v.is_block:
            pads = [c for c in v.children or [] if c.name == "pad" and c.value is not None]
            if pads:
                return pads[-1].value or "0"
    return "0"  # Caffe copies pad() even when unset: its default, 0


def _set_pad(layers: FNode, padding: FNode) -> None:
    value = _pad_text(padding)
    inner = [c for c in layers.children or [] if c.name == "layer" and c.is_block][-1]
    pads = [c for c in inner.children or [] if c.name == "pad"]
    if pads:
        for extra in pads[:-1]:
            drop(inner, extra)
        pads[-1].value = value
        pads[-1].items = None
    else:
        inner.children.append(FNode("pad", value=value))


def upgrade_v0_net_fields(root: FNode, ctx: Context) -> None:
    """Drop what UpgradeV0Net does not copy from the net (reported)."""
    for c in list(root.children or []):
        if c.name not in _NET_KEEP:
            ctx.report(f"Caffe's V0 upgrade keeps only {', '.join(_NET_KEEP)} at the top of the net; "
                       f"`{c.name}` removed", c)
            drop(root, c)


def upgrade_v0_layer(layers: FNode, ctx: Context) -> None:
    """One V0 ``layers`` block -> V1 (UpgradeV0LayerParameter), in place."""
    kind = v0_type(layers)
    label = _label(layers)
    out: list[FNode] = []
    pending: list[str] = []
    groups: dict[str, FNode] = {}

    def emit(node: FNode) -> None:
        if pending:
            node.leading[:0] = pending
            pending.clear()
        out.append(node)

    def into(group: str, node: FNode) -> None:
        target = groups.get(group)
        if target is None:
            target = groups[group] = block(group)
            emit(target)
        elif pending:
            node.leading[:0] = pending
            pending.clear()
        target.children.append(node)

    for c in list(layers.children or []):
        if c.name in ("bottom", "top"):
            emit(c)
            continue
        if c.name != "layer" or not c.is_block:
            ctx.report(f"Caffe's V0 upgrade keeps only `layer`, `bottom` and `top` of a `layers` block; "
                       f"`{c.name}` of {label} removed", c, layers)
            pending.extend(comments_of(c))
            continue
        pending.extend(c.leading)
        for f in c.children or []:
            name = f.name
            if name == "type":
                f.value = _v1_type(f, ctx, layers)
                f.items = None
                emit(f)
            elif name in _KEEP:
                emit(f)
            elif name in _TRANSFORM:
                f.name = _TRANSFORM[name]
                into("transform_param", f)
            elif name == "hdf5_output_param" and kind == "hdf5_output":
                emit(f)  # copied whole
            elif name in _PARAMS and kind in _PARAMS[name]:
                f.name = _RENAME.get(name, name)
                into(_PARAMS[name][kind], f)
            else:
                why = (f"Caffe's V0 upgrade does not carry `{name}` over" if name in ("new_num", "new_channels")
                       else f"`{name}` is not a parameter of V0 layer type '{kind}'" if name in _PARAMS
                       else f"`{name}` is not a V0 layer field")
                ctx.report(f"{why}; removed from {label}", f, layers)
                pending.extend(comments_of(f))
        pending.extend(c.inner)
        if c.trailing:
            pending.append(c.trailing)
    # V2's usual order: name and type, then the blobs, then the rest (each field keeps its comments)
    rank = {"name": 0, "type": 0, "bottom": 1, "top": 1}
    out.sort(key=lambda n: rank.get(n.name, 2))
    layers.children = out
    if pending:
        layers.inner[:0] = pending


def _v1_type(f: FNode, ctx: Context, layers: FNode) -> str | None:
    text = string_value(f.value) or ""
    v2 = by_v0(text)
    spec = lookup(v2) if v2 else None
    if spec is not None and spec.v1_name:
        return spec.v1_name
    ctx.report(f"unknown V0 layer type '{text}': Caffe stops here (Unknown layer name); type kept as written",
               f, layers)
    return f.value


def _label(layers: FNode) -> str:
    for v in [c for c in layers.children or [] if c.name == "layer" and c.is_block] + [layers]:
        for c in v.children or []:
            if c.name == "name" and c.value is not None:
                return f"layer {c.value}"
    return "a layer without a name"


def upgrade_v0(root: FNode, ctx: Context, whole_net: bool, padding: bool = True, layers: bool = True) -> None:
    """Run the V0 steps: on every ``layers`` block (a V0 net) or only on the V0 ones."""
    blocks = [c for c in root.children or [] if c.name == "layers" and c.is_block
              and (whole_net or is_v0_block(c))]
    if padding:
        upgrade_padding(root, ctx, blocks)
    if not layers:
        return
    if whole_net:
        upgrade_v0_net_fields(root, ctx)
    alive = {id(c) for c in root.children or []}
    for b in blocks:
        if id(b) in alive:
            upgrade_v0_layer(b, ctx)
