"""Data and input layers: Input, DummyData, Data, ImageData, HDF5Data,
HDF5Output, MemoryData, WindowData, Python.

What a data layer produces often depends on files Caffe opens at start-up
(an LMDB's images, an HDF5 file's datasets, a window file): those dims stay
unknown (``None``) unless a parameter fixes them (``crop_size``, the
``new_height``/``new_width`` resize, MemoryData's explicit sizes).  The
checks Caffe makes before reading any file are reproduced, with the field
to fix.
"""

from __future__ import annotations

from collections.abc import Callable

from .params import Params
from .registry import register
from .shapes import Shape, ShapeError, count, fmt
from .spec import LayerContext, LayerSpec

_INT_MAX = 2**31 - 1
_MAX_BLOB_AXES = 32


def blob_shape(sp: Params, field: str, index: int) -> Shape:
    """A ``BlobShape { dim: ... }`` block as Blob::Reshape accepts it."""
    dims = [int(d) for d in sp.all("dim")]
    if len(dims) > _MAX_BLOB_AXES:
        raise ShapeError(f"a blob may have at most {_MAX_BLOB_AXES} axes, this shape has {len(dims)}",
                         field, index)
    total = 1
    for d in dims:
        if d < 0:
            raise ShapeError(f"shape dims must not be negative (got {d})", field, index)
        if d and total > _INT_MAX // d:
            raise ShapeError("the blob would hold more than INT_MAX (2^31-1) elements", field, index)
        total *= d
    return tuple(dims)


def _check_mean(ctx: LayerContext) -> None:
    """DataTransformer's constructor: a mean image and mean values exclude each other."""
    tp = ctx.param("transform_param")
    has_file = tp.has("mean_file") or ctx.p.has("mean_file")
    if has_file and tp.all("mean_value"):
        raise ShapeError("cannot use mean_file and mean_value at the same time: pick one",
                         "transform_param")


def _crop_size(ctx: LayerContext) -> int:
    """The crop size in effect: Caffe's upgrade moves a (deprecated) crop_size
    written in the layer's own parameters into transform_param, overriding it."""
    if ctx.p.has("crop_size"):
        return ctx.p.get("crop_size") or 0
    return ctx.param("transform_param").get("crop_size") or 0


# ---------------------------------------------------------------------- Input
def _input_shape(ctx: LayerContext) -> list[Shape]:
    shapes = ctx.p.messages("shape")
    n = ctx.n_tops
    if len(shapes) not in (0, 1, n):
        raise ShapeError(f"give 'shape' once, once per top ({n}), or not at all; got {len(shapes)}",
                         "shape", index=min(n, len(shapes) - 1))
    if not shapes:
        return [None] * n  # the tops are shaped later (by pycaffe or the caller)
    return [blob_shape(shapes[0 if len(shapes) == 1 else i], "shape", 0 if len(shapes) == 1 else i)
            for i in range(n)]


# ---------------------------------------------------------------------- DummyData
_LEGACY = ("num", "channels", "height", "width")


def _dummy_shape(ctx: LayerContext) -> list[Shape]:
    p, n = ctx.p, ctx.n_tops
    fillers = p.messages("data_filler")
    if len(fillers) not in (0, 1, n):
        raise ShapeError(f"give data_filler 0 times, once, or once per top ({n}); got {len(fillers)}",
                         "data_filler", index=min(n, len(fillers) - 1))
    legacy = {name: p.all(name) for name in _LEGACY}
    if any(legacy.values()):
        if p.messages("shape"):
            raise ShapeError("use either 'shape' or the legacy num/channels/height/width fields, not both",
                             "shape")
        for name, values in legacy.items():
            if not values:
                raise ShapeError(f"with the legacy fields, '{name}' is needed too (once, or once per top)",
                                 None, code="G308")
            if len(values) not in (1, n):
                raise ShapeError(f"give '{name}' once or once per top ({n}); got {len(values)}", name,
                                 index=min(n, len(values) - 1))
        out = []
        for i in range(n):
            dims = tuple(int(v[0] if len(v) == 1 else v[i]) for v in legacy.values())
            out.append(dims)
        return out
    shapes = p.messages("shape")
    if not shapes:
        raise ShapeError("DummyData needs 'shape' (once, or once per top) or num/channels/height/width",
                         None, code="G308")
    if len(shapes) not in (1, n):
        raise ShapeError(f"give 'shape' once or once per top ({n}); got {len(shapes)}", "shape",
                         index=min(n, len(shapes) - 1))
    return [blob_shape(shapes[0 if len(shapes) == 1 else i], "shape", 0 if len(shapes) == 1 else i)
            for i in range(n)]


# ---------------------------------------------------------------------- Data
def _with_label(ctx: LayerContext, data: Shape, batch) -> list[Shape]:
    return [data, (batch,)][: max(ctx.n_tops, 1)]


def _data_shape(ctx: LayerContext) -> list[Shape]:
    _check_mean(ctx)
    if ctx.p.node is None:
        # No data_param at all: a placeholder (Netscope-style nets describe their input this way);
        # Caffe could not open a database without a source, so nothing is known.
        batch = None
    else:
        batch = ctx.p.get("batch_size") or 0
        if batch <= 0:
            # DataLayerSetUp accepts it, but the prefetch thread aborts on an empty batch.
            raise ShapeError("Data needs a positive batch_size in data_param", "batch_size"
                             if ctx.p.has("batch_size") else None, code="G308")
    crop = _crop_size(ctx)
    hw = (crop, crop) if crop else (None, None)
    # Channels (and size without a crop) come from the first record of the database.
    return _with_label(ctx, (batch, None, *hw), batch)


def _image_data_shape(ctx: LayerContext) -> list[Shape]:
    p = ctx.p
    _check_mean(ctx)
    new_h, new_w = p.get("new_height") or 0, p.get("new_width") or 0
    if not ((new_h == 0 and new_w == 0) or (new_h > 0 and new_w > 0)):
        raise ShapeError("new_height and new_width must be set together (or neither)",
                         "new_height" if not new_h else "new_width")
    batch = p.get("batch_size")
    if batch is None or batch <= 0:
        raise ShapeError("batch_size must be positive", "batch_size")
    channels = 3 if p.get("is_color") else 1
    crop = _crop_size(ctx)
    if crop:
        if new_h and (crop > new_h or crop > new_w):
            raise ShapeError(f"crop_size {crop} is larger than the resized image ({new_h}x{new_w})",
                             "new_height" if crop > new_h else "new_width", code="H403")
        hw = (crop, crop)
    elif new_h:
        hw = (new_h, new_w)
    else:
        hw = (None, None)  # the size of the first image listed in source
    return [(batch, channels, *hw), (batch,)]


def _hdf5_data_shape(ctx: LayerContext) -> list[Shape]:
    if ctx.layer.has("transform_param"):
        raise ShapeError("HDF5Data does not transform data: remove transform_param", "transform_param")
    if (ctx.p.get("batch_size") or 0) <= 0:
        raise ShapeError("HDF5Data needs a positive batch_size in hdf5_data_param",
                         "batch_size" if ctx.p.has("batch_size") else None, code="G308")
    # Axis 0 is batch_size; the number and size of the other axes come from the file.
    return [None] * ctx.n_tops


def _memory_data_shape(ctx: LayerContext) -> list[Shape]:
    _check_mean(ctx)
    dims = [ctx.p.get(name) or 0 for name in ("batch_size", "channels", "height", "width")]
    for name, d in zip(("batch_size", "channels", "height", "width"), dims):
        if d <= 0:
            raise ShapeError(f"MemoryData needs a positive {name} in memory_data_param",
                             name if ctx.p.has(name) else None, code="G308")
    # LayerSetUp shapes the label (batch_size,); Forward later reshapes it to
    # (batch_size, 1, 1, 1).  The net is built (and checked) with the first.
    return [tuple(dims), (dims[0],)]


def _window_data_shape(ctx: LayerContext) -> list[Shape]:
    _check_mean(ctx)
    crop = _crop_size(ctx)
    if crop <= 0:
        raise ShapeError("WindowData needs transform_param { crop_size } (the warped window size)",
                         None, code="G308")
    batch = ctx.p.get("batch_size") or 0
    # Channels are read from the window file (the last image's entry).
    return [(batch, None, crop, crop), (batch,)]


def _pyloss_euclidean(ctx: LayerContext) -> list[Shape]:
    """examples/pycaffe/layers/pyloss.py: setup() wants two bottoms, reshape() equal
    counts, and the loss top is reshaped to (1,)."""
    if len(ctx.bottoms) != 2:
        raise ShapeError(f"pyloss.EuclideanLossLayer needs two bottoms to compute a distance; got "
                         f"{len(ctx.bottoms)}", "bottom", code="G304")
    a, b = count(ctx.bottoms[0]), count(ctx.bottoms[1])
    if a is not None and b is not None and a != b:
        raise ShapeError(f"pyloss.EuclideanLossLayer inputs must have the same count: {fmt(ctx.bottoms[0])} vs "
                         f"{fmt(ctx.bottoms[1])}", "bottom", 1, code="H401")
    return [(1,)] * ctx.n_tops


#: Python layers whose shapes are known: (module, class) -> shape function.
#: BVLC's examples ship pyloss.EuclideanLossLayer, whose reshape() makes a
#: one-element loss; projects can add their own with register_python_layer.
PYTHON_LAYERS: dict[tuple[str, str], Callable[[LayerContext], list[Shape]]] = {
    ("pyloss", "EuclideanLossLayer"): _pyloss_euclidean,
}


def register_python_layer(module: str, layer: str, shape: Callable[[LayerContext], list[Shape]]) -> None:
    """Teach the shape inference what a project's Python layer produces."""
    PYTHON_LAYERS[(module, layer)] = shape


def _python_shape(ctx: LayerContext) -> list[Shape]:
    for name in ("module", "layer"):
        if not ctx.p.get(name):
            raise ShapeError(f"Python layers need python_param {{ {name}: ... }}", None, code="G308")
    known = PYTHON_LAYERS.get((ctx.p.get("module"), ctx.p.get("layer")))
    if known is not None:
        return known(ctx)
    return [None] * ctx.n_tops  # set by the Python code's reshape()


register(LayerSpec(
    "Input", "input_param", (0, 0), (1, None), shape=_input_shape, is_data=True, category="data",
    doc="Feeds blobs filled by the caller; input_param gives one shape for every top or one per top."))

register(LayerSpec(
    "DummyData", "dummy_data_param", (0, 0), (1, None), shape=_dummy_shape, is_data=True,
    category="data", v1_name="DUMMY_DATA", torch="data:dummy_data",
    doc="Blobs of a fixed shape filled by a filler (constant 0 by default); handy for tests."))

register(LayerSpec(
    "Data", "data_param", (0, 0), (1, 2), shape=_data_shape, is_data=True, category="data",
    v1_name="DATA", v0_names=("data",),
    doc="Reads Datum records from LMDB/LevelDB: batch_size x channels x height x width, plus labels."))

register(LayerSpec(
    "ImageData", "image_data_param", (0, 0), (2, 2), shape=_image_data_shape, is_data=True,
    category="data", v1_name="IMAGE_DATA", v0_names=("images",),
    doc="Reads images listed in a text file (path label per line); 3 channels, or 1 if is_color is false."))

register(LayerSpec(
    "HDF5Data", "hdf5_data_param", (0, 0), (1, None), shape=_hdf5_data_shape, is_data=True,
    category="data", v1_name="HDF5_DATA", v0_names=("hdf5_data",),
    doc="Reads the HDF5 datasets named like its tops, batch_size rows at a time; no transformations."))

register(LayerSpec(
    "HDF5Output", "hdf5_output_param", (2, 2), (0, 0), shape=lambda ctx: [], category="data",
    v1_name="HDF5_OUTPUT", v0_names=("hdf5_output",),
    doc="Writes its two bottoms (data, label) to an HDF5 file; produces no top."))

register(LayerSpec(
    "MemoryData", "memory_data_param", (0, 0), (2, 2), shape=_memory_data_shape, is_data=True,
    category="data", v1_name="MEMORY_DATA",
    doc="Serves arrays handed over from C++/Python; batch_size, channels, height and width are required."))

register(LayerSpec(
    "WindowData", "window_data_param", (0, 0), (2, 2), shape=_window_data_shape, is_data=True,
    category="data", v1_name="WINDOW_DATA", v0_names=("window_data",),
    doc="R-CNN style: crops windows listed in a window file and warps them to crop_size x crop_size."))

register(LayerSpec(
    "Python", "python_param", (0, None), (0, None), shape=_python_shape, category="data",
    doc="A layer written in Python (python_param module/layer); its top shapes are set by its code."))
