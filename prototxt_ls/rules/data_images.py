"""D804 mean_file missing, D805 mean_value count, D806 crop larger than the images, D807 image lists."""

from __future__ import annotations

from pathlib import Path

from ..analysis.inference import where_range
from ..analysis.netcheck import inputs_from_comments
from ..analysis.report import Sink, replace_fix
from ..layers.params import Params
from ..model.net import LayerView, NetView
from ..schema.model import Schema
from ..syntax.tree import Document, Scalar
from . import catalog_data as cat
from .data_paths import image_list_problem, image_size, lookup, read_lines
from .data_sources import DataLayer
from .pitfall_graph import Findings

#: Types whose own parameters may carry the deprecated mean_file / crop_size.
_LEGACY_HOLDERS = ("Data", "ImageData", "WindowData")


def _transform(layer: LayerView, schema: Schema) -> tuple[Params | None, Params | None]:
    """(transform_param, the type's own parameters for the deprecated fields);
    (None, None) at once for a layer that has neither (most layers of a net)."""
    if layer.style != "V0" and layer.type not in _LEGACY_HOLDERS and (
            layer.outer is None or "transform_param" not in layer.outer.by_name()):
        return None, None
    try:
        tp = layer.layer_params(schema).message("transform_param")
        spec = layer.spec
        own = layer.type_params(schema, spec) if spec is not None and layer.type in _LEGACY_HOLDERS else None
    except (AttributeError, KeyError, TypeError):
        return None, None
    return tp, own


def _crop(tp: Params, own: Params | None):
    """The crop size in effect and its field (Caffe's upgrade lets the deprecated one win)."""
    if own is not None and own.has("crop_size"):
        return own.get("crop_size") or 0, own.field("crop_size")
    return tp.get("crop_size") or 0, tp.field("crop_size")


def _shapes(analysis) -> dict[int, list]:
    """id(layer) -> its top shapes in the first phase that includes it."""
    out: dict[int, list] = {}
    for phase in analysis.phases.values():
        for lr in phase.layers:
            out.setdefault(id(lr.layer), lr.tops)
    return out


# ---------------------------------------------------------------------- D804, D805, D806 (declared)
def check_transforms(doc: Document, analysis, schema: Schema, net_path: Path | None, root: Path | None,
                     declared_inputs: dict, out: Findings) -> None:
    net: NetView = analysis.net
    shapes = _shapes(analysis)
    declared = dict(inputs_from_comments(doc, Sink()))
    declared.update(declared_inputs or {})
    for layer in net.layers:
        tp, own = _transform(layer, schema)
        if tp is None:
            continue
        _check_mean_file(layer, tp, own, net_path, root, out)
        _check_mean_values(layer, tp, own, shapes.get(id(layer)), out)
        crop, crop_field = _crop(tp, own)
        if crop and layer.tops and layer.tops[0].name in declared and crop_field is not None:
            shape = declared[layer.tops[0].name]
            hw = tuple(shape[-2:]) if shape is not None and len(shape) >= 3 else ()
            if len(hw) == 2 and all(isinstance(d, int) for d in hw) and (crop > hw[0] or crop > hw[1]):
                out.add("D806", crop_field.value.range, f"crop_size {crop} is larger than the {hw[0]}x{hw[1]} "
                        f"images declared for '{layer.tops[0].name}': Caffe stops on the first image "
                        f"(\"Check failed: datum_height >= crop_size\"); crop at most {min(hw)}")


def _check_mean_file(layer: LayerView, tp: Params, own: Params | None, net_path, root, out: Findings) -> None:
    holder = tp if tp.has("mean_file") else (own if own is not None and own.has("mean_file") else None)
    if holder is None:
        return
    text = holder.get("mean_file")
    look = lookup(text, net_path, root) if isinstance(text, str) else None
    if look is None:
        return
    rng = holder.field("mean_file").value.range
    if look.found is None:
        out.add("D804", rng, f"layer '{layer.name}': mean_file '{text}' is not on disk; tried {look.tried_text()}. "
                f"Caffe reads it when it builds the layer and stops if it cannot (create it with "
                f"compute_image_mean, or use mean_value)")
    elif look.found.is_dir():
        out.add("D804", rng, f"layer '{layer.name}': mean_file '{look.found}' is a folder, not a .binaryproto file")


def _check_mean_values(layer: LayerView, tp: Params, own: Params | None, tops, out: Findings) -> None:
    values = tp.all("mean_value")
    if len(values) < 2 or tp.has("mean_file") or (own is not None and own.has("mean_file")):
        return  # mean_file together with mean_value is H407
    shape = tops[0] if tops else None
    channels = shape[1] if shape is not None and len(shape) >= 2 else None
    if not isinstance(channels, int) or len(values) == channels:
        return
    f = tp.field("mean_value")
    out.add("D805", f.name_range if f is not None else where_range(layer.anchor()),
            f"layer '{layer.name}' gives {len(values)} mean_value entries for {channels}-channel images: Caffe "
            f"stops on the first batch (\"Specify either 1 mean_value or as many as channels: {channels}\")")


# ---------------------------------------------------------------------- D806 (first image), D807
def check_image_lists(layers: list[DataLayer], schema: Schema, net_path, root, out: Findings) -> None:
    for dl in layers:
        if dl.kind != "image_list":
            continue
        p = dl.params
        root_folder = p.get("root_folder") or ""
        lines = None
        if dl.look is not None and dl.look.found is not None and dl.look.found.is_file():
            lines = read_lines(dl.look.found, cat.IMAGE_LIST_MAX_LINES)
        first = _first_path(lines)
        _check_root_folder(dl, root_folder, first, out)
        if lines is None:
            continue
        if not lines:
            out.add("D807", dl.source_range, f"ImageData '{dl.layer.name}': '{dl.look.found}' is empty; Caffe "
                    f"refuses it (\"File is empty\")")
            continue
        bad = [(i + 1, why) for i, line in enumerate(lines) if (why := image_list_problem(line)) is not None]
        if bad:
            quoted = "; ".join(f"line {n} {why}" for n, why in bad[: cat.IMAGE_LIST_QUOTED])
            more = f" (and {len(bad) - cat.IMAGE_LIST_QUOTED} more)" if len(bad) > cat.IMAGE_LIST_QUOTED else ""
            out.add("D807", dl.source_range, f"ImageData '{dl.layer.name}': {len(bad)} of the first {len(lines)} "
                    f"lines of '{dl.look.found}' are not `path label`: {quoted}{more}")
        if first is not None:
            _check_first_image(dl, root_folder + first, net_path, root, schema, out)


def _first_path(lines: list[str] | None) -> str | None:
    if not lines:
        return None
    line = lines[0]
    pos = line.rfind(" ")
    path = line[:pos] if pos >= 0 else line
    return path if path.strip() else None


def _check_root_folder(dl: DataLayer, root_folder: str, first: str | None, out: Findings) -> None:
    if not root_folder or root_folder.endswith(("/", "\\")):
        return
    if first is not None and first.startswith(("/", "\\")):
        return  # the listed paths bring their own separator
    f = dl.params.field("root_folder")
    if f is None or not isinstance(f.value, Scalar):
        return
    example = f" ('{root_folder}{first}')" if first else ""
    text = f.value.text
    fixes = [replace_fix("Add a trailing '/'", f.value.range, text[:-1] + "/" + text[-1], safe=False)] \
        if len(f.value.parts) == 1 and text[-1:] in "\"'" else None
    out.add("D807", f.value.range, f"ImageData '{dl.layer.name}': root_folder '{root_folder}' has no trailing '/', "
            f"and Caffe opens root_folder + path exactly as written{example}; end it with '/'", fixes)


def _check_first_image(dl: DataLayer, image: str, net_path, root, schema: Schema, out: Findings) -> None:
    spec = dl.layer.spec
    if spec is None:
        return
    p = dl.params
    if (p.get("new_height") or 0) or (p.get("new_width") or 0):
        return  # resized first: H403 compares the crop with new_height/new_width
    tp, own = _transform(dl.layer, schema)
    if tp is None:
        return
    crop, crop_field = _crop(tp, own)
    if not crop or crop_field is None:
        return
    look = lookup(image, net_path, root)
    if look is None or look.found is None:
        return
    size = image_size(look.found)
    if size is None:
        return
    h, w = size
    if crop > h or crop > w:
        out.add("D806", crop_field.value.range, f"crop_size {crop} is larger than the first image ImageData "
                f"'{dl.layer.name}' lists, '{look.found}' ({h}x{w}): Caffe stops on it (\"Check failed: "
                f"datum_height >= crop_size\"); resize the images or set new_height/new_width")
