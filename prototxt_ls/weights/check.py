"""Does a .caffemodel fit the net?  Caffe's CopyTrainedLayersFrom, all at once.

Caffe copies weights by layer name and aborts at the first layer whose blob
count or blob shape differs ("Cannot copy param 0 weights from layer 'fc8';
shape mismatch"), after loading everything.  Here every layer is compared
in one pass, on the layer's ``name`` in the net:

- W501 a blob's shape differs (both shapes printed the way Caffe prints them),
  with the fix Caffe itself suggests: rename the layer to train it from scratch;
- W502 the number of blobs differs;
- W503 the model's layer has another type (Caffe does not check; it is usually a mistake);
- W504 a layer with weights has no counterpart in the model (it starts from its filler);
- W505 model layers the net does not use (information, once per file).
"""

from __future__ import annotations

from ..analysis.netcheck import NetAnalysis
from ..analysis.report import Sink, replace_fix
from ..layers.shapes import Shape
from ..positions import Position, Range
from ..syntax.tree import Document
from .reader import BlobInfo, ModelInfo

_ORIGIN = Range(Position(0, 0, 0), Position(0, 0, 0))


def _caffe_shape(dims: tuple) -> str:
    """Blob::shape_string: dims separated by spaces, then the count in parentheses."""
    count = 1
    for d in dims:
        count *= d
    return " ".join(str(d) for d in dims) + f" ({count})"


def shape_equals(expected: Shape, blob: BlobInfo) -> bool | None:
    """Caffe's Blob::ShapeEquals; None when the expected shape is not fully known.

    A legacy blob (num/channels/height/width) matches any blob of at most 4
    axes whose shape, padded with leading 1s to 4 axes, is the same.
    """
    if expected is None or any(d is None for d in expected):
        return None
    if blob.legacy:
        if len(expected) > 4:
            return False
        padded = (1,) * (4 - len(expected)) + tuple(expected)
        return padded == blob.shape
    return tuple(expected) == blob.shape


def _rename_fix(layer_view, name: str):
    f = layer_view.name_field()
    if f is None:
        return None
    new = f"{name}_new"
    return [replace_fix(f"Rename layer '{name}' to '{new}' so Caffe trains it from scratch",
                        f.value.range, f'"{new}"', safe=False)]


def check_weights(doc: Document, analysis: NetAnalysis, model: ModelInfo, sink: Sink,
                  model_label: str) -> None:
    """Compare every layer of every phase with the model's layer of the same name."""
    by_name = model.by_name()
    seen: set[str] = set()
    used: set[str] = set()
    for phase in analysis.phases.values():
        for lr in phase.layers:
            layer = lr.layer
            if layer.name in seen or layer.style == "header":
                continue
            seen.add(layer.name)
            anchor = layer.name_field()
            where = anchor.value.range if anchor is not None else _ORIGIN
            m = by_name.get(layer.name)
            if m is not None:
                used.add(layer.name)
            if lr.spec is None:
                continue
            expected = lr.weights
            if m is None:
                if expected:
                    sink.add("W504", where, f"layer '{layer.name}' has {len(expected)} weight blob(s) but "
                             f"{model_label} has no layer of that name: Caffe starts it from its filler")
                continue
            if m.type and layer.type and m.type != layer.type:
                sink.add("W503", where, f"layer '{layer.name}' is {layer.type} in the net but {m.type} in "
                         f"{model_label}; Caffe copies weights by name and does not check the type")
            if len(m.blobs) != len(expected):
                sink.add("W502", where, f"Incompatible number of blobs for layer '{layer.name}': the net has "
                         f"{len(expected)}, {model_label} has {len(m.blobs)}", _rename_fix(layer, layer.name))
                continue
            for j, (want, blob) in enumerate(zip(expected, m.blobs)):
                if shape_equals(want, blob) is False:
                    sink.add("W501", where,
                             f"Cannot copy param {j} weights from layer '{layer.name}'; shape mismatch. "
                             f"Source param shape is {_caffe_shape(blob.shape)}; target param shape is "
                             f"{_caffe_shape(tuple(want))}. To learn this layer's parameters from scratch "
                             "rather than copying from a saved net, rename the layer.",
                             _rename_fix(layer, layer.name))
                    break
    unused = [m.name for m in model.layers if m.blobs and m.name not in used and m.name not in seen]
    if unused:
        shown = ", ".join(unused[:12]) + (f", ... ({len(unused)} in all)" if len(unused) > 12 else "")
        name_field = doc.root.first("name")
        sink.add("W505", name_field.name_range if name_field is not None else _ORIGIN,
                 f"{model_label} has {len(unused)} layer(s) with weights that this net does not use: {shown}")
