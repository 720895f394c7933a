"""A tiny DSL that writes Caffe nets as prototxt text, for golden-shape tests.

Each method adds one layer and returns the name of its top blob, so a net reads
like the architecture it describes::

    net = Net("LeNet")
    x = net.input("data", (1, 1, 28, 28))
    x = net.conv("conv1", x, 20, 5)
    x = net.pool("pool1", x, "MAX", 2, stride=2)
    text = net.to_v2()          # or net.to_v1(), net.to_v0()

The V2 writer handles every layer type used here; the V1 (``layers { type:
CONVOLUTION }``, ``blobs_lr``) and V0 (``layers { layer { type: "conv"
kernelsize } }``, with the ``input:``/``input_dim:`` header) writers handle
the LeNet-era types only and raise for the rest.  Nothing here knows any
shape arithmetic: the tests compute the expected shapes by hand.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any


class Ident(str):
    """An enum value, written bare (``MAX``, ``TEST``) instead of quoted."""


@dataclass
class Layer:
    name: str
    type: str
    bottoms: list[str]
    tops: list[str]
    #: Parameter blocks in the order written: ``{"convolution_param": {...}}``.
    blocks: dict[str, dict] = field(default_factory=dict)
    #: Learning-rate multipliers, one per learnable blob (V2 ``param``, V1/V0 ``blobs_lr``).
    lr: list[float] = field(default_factory=list)
    #: ``include { phase: ... }`` (V2/V1 only).
    phase: str | None = None
    #: Other top-level LayerParameter fields (``loss_weight``, ``propagate_down``).
    extra: dict = field(default_factory=dict)
    #: For Input layers: one shape per top.
    shapes: list[tuple[int, ...]] = field(default_factory=list)


# ---------------------------------------------------------------------- text
def _scalar(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Ident):
        return str(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    raise TypeError(f"cannot write {v!r} as a prototxt value")


def _emit(lines: list[str], depth: int, key: str, value: Any) -> None:
    pad = "  " * depth
    if isinstance(value, dict):
        lines.append(f"{pad}{key} {{")
        for k, v in value.items():
            _emit(lines, depth + 1, k, v)
        lines.append(f"{pad}}}")
    elif isinstance(value, (list, tuple)):
        for v in value:
            _emit(lines, depth, key, v)
    elif value is not None:
        lines.append(f"{pad}{key}: {_scalar(value)}")


def _window(kernel: int | Sequence[int] | None, stride: int | Sequence[int], pad: int | Sequence[int],
            defaults: tuple[int, int] = (1, 0)) -> dict:
    """kernel/stride/pad as Caffe writes them: one value, or _h/_w for 2-D non-square."""
    out: dict = {}
    for key, value, default in (("kernel", kernel, None), ("stride", stride, defaults[0]),
                                ("pad", pad, defaults[1])):
        if value is None:
            continue
        if isinstance(value, (tuple, list)):
            if value[0] == value[1]:
                value = value[0]
            else:
                out[f"{key}_h"], out[f"{key}_w"] = value
                continue
        if value != default:
            out["kernel_size" if key == "kernel" else key] = value
    return out


# V2 type -> V1 enum name, for the types the V1 writer supports.
V1_TYPES = {
    "Convolution": "CONVOLUTION", "Pooling": "POOLING", "InnerProduct": "INNER_PRODUCT", "ReLU": "RELU",
    "Softmax": "SOFTMAX", "SoftmaxWithLoss": "SOFTMAX_LOSS", "LRN": "LRN", "Dropout": "DROPOUT",
    "Concat": "CONCAT", "Eltwise": "ELTWISE", "Deconvolution": "DECONVOLUTION", "Flatten": "FLATTEN",
    "Accuracy": "ACCURACY", "Data": "DATA", "Sigmoid": "SIGMOID", "TanH": "TANH",
}

# V2 type -> V0 type string, and V2 parameter names -> V0's flat names.
V0_TYPES = {
    "Convolution": "conv", "Pooling": "pool", "InnerProduct": "innerproduct", "ReLU": "relu",
    "Softmax": "softmax", "SoftmaxWithLoss": "softmax_loss", "LRN": "lrn", "Dropout": "dropout",
    "Concat": "concat", "Accuracy": "accuracy", "Data": "data", "Flatten": "flatten", "Sigmoid": "sigmoid",
    "TanH": "tanh",
}
V0_NAMES = {"kernel_size": "kernelsize", "bias_term": "biasterm", "batch_size": "batchsize",
            "axis": "concat_dim"}


class Net:
    def __init__(self, name: str = "net") -> None:
        self.name = name
        self.layers: list[Layer] = []

    # ------------------------------------------------------------ generic
    def add(self, type: str, name: str, bottoms: Iterable[str], tops: Iterable[str] | None = None,
            phase: str | None = None, lr: Sequence[float] = (), extra: dict | None = None,
            **blocks: dict) -> str:
        """Any layer; returns its first top (``name`` when no tops are given)."""
        tops = list(tops) if tops is not None else [name]
        self.layers.append(Layer(name, type, list(bottoms), tops, dict(blocks), list(lr), phase, extra or {}))
        return tops[0] if tops else ""

    def layer(self, name: str) -> Layer:
        return next(layer for layer in self.layers if layer.name == name)

    # ------------------------------------------------------------ inputs
    def input(self, top: str, shape: Sequence[int], name: str | None = None) -> str:
        return self.inputs({top: shape}, name or top)

    def inputs(self, shapes: dict[str, Sequence[int]], name: str = "input") -> str:
        tops = list(shapes)
        self.layers.append(Layer(name, "Input", [], tops, {"input_param": {"shape": [
            {"dim": list(s)} for s in shapes.values()]}}, shapes=[tuple(s) for s in shapes.values()]))
        return tops[0]

    # ------------------------------------------------------------ vision
    def conv(self, name: str, bottom: str, num_output: int, kernel: int | Sequence[int], stride=1, pad=0,
             group: int = 1, bias_term: bool = True, dilation: int = 1, top: str | None = None,
             deconv: bool = False) -> str:
        p: dict = {"num_output": num_output}
        if not bias_term:
            p["bias_term"] = False
        p.update(_window(kernel, stride, pad))
        if group != 1:
            p["group"] = group
        if dilation != 1:
            p["dilation"] = dilation
        p["weight_filler"] = {"type": "xavier"}
        lr = [1.0, 2.0] if bias_term else [1.0]
        return self.add("Deconvolution" if deconv else "Convolution", name, [bottom], [top or name], lr=lr,
                        convolution_param=p)

    def deconv(self, name: str, bottom: str, num_output: int, kernel, stride=1, pad=0, group: int = 1,
               bias_term: bool = True, top: str | None = None) -> str:
        return self.conv(name, bottom, num_output, kernel, stride, pad, group, bias_term, top=top, deconv=True)

    def pool(self, name: str, bottom: str, method: str = "MAX", kernel=None, stride=1, pad=0,
             global_pooling: bool = False, round_mode: str | None = None, top: str | None = None) -> str:
        p: dict = {"pool": Ident(method)}
        p.update(_window(None if global_pooling else kernel, stride, pad))
        if global_pooling:
            p["global_pooling"] = True
        if round_mode is not None:
            p["round_mode"] = Ident(round_mode)
        return self.add("Pooling", name, [bottom], [top or name], pooling_param=p)

    def ip(self, name: str, bottom: str, num_output: int, bias_term: bool = True, top: str | None = None) -> str:
        p: dict = {"num_output": num_output}
        if not bias_term:
            p["bias_term"] = False
        p["weight_filler"] = {"type": "xavier"}
        return self.add("InnerProduct", name, [bottom], [top or name], lr=[1.0, 2.0] if bias_term else [1.0],
                        inner_product_param=p)

    def lrn(self, name: str, bottom: str, local_size: int = 5, alpha: float = 1e-4, beta: float = 0.75,
            top: str | None = None) -> str:
        return self.add("LRN", name, [bottom], [top or name],
                        lrn_param={"local_size": local_size, "alpha": alpha, "beta": beta})

    # ------------------------------------------------------------ in place
    def relu(self, name: str, bottom: str) -> str:
        return self.add("ReLU", name, [bottom], [bottom])

    def dropout(self, name: str, bottom: str, ratio: float = 0.5) -> str:
        return self.add("Dropout", name, [bottom], [bottom], dropout_param={"dropout_ratio": ratio})

    def bn_scale(self, prefix: str, bottom: str, in_place: bool = True, bn_name: str | None = None,
                 scale_name: str | None = None) -> str:
        """Caffe-style batch normalisation: BatchNorm (statistics) then Scale (gamma, beta)."""
        bn = bn_name or f"bn{prefix}"
        top = bottom if in_place else bn
        self.add("BatchNorm", bn, [bottom], [top], batch_norm_param={"use_global_stats": True})
        self.add("Scale", scale_name or f"scale{prefix}", [top], [top], scale_param={"bias_term": True})
        return top

    # ------------------------------------------------------------ common
    def concat(self, name: str, bottoms: Sequence[str], axis: int = 1, top: str | None = None) -> str:
        p = {"axis": axis} if axis != 1 else {}
        return self.add("Concat", name, bottoms, [top or name], **({"concat_param": p} if p else {}))

    def eltwise(self, name: str, bottoms: Sequence[str], operation: str = "SUM", top: str | None = None) -> str:
        return self.add("Eltwise", name, bottoms, [top or name], eltwise_param={"operation": Ident(operation)})

    def softmax(self, name: str, bottom: str, axis: int | None = None, top: str | None = None,
                phase: str | None = None) -> str:
        blocks = {"softmax_param": {"axis": axis}} if axis is not None else {}
        return self.add("Softmax", name, [bottom], [top or name], phase=phase, **blocks)

    def softmax_loss(self, name: str, bottoms: Sequence[str], phase: str | None = None,
                     top: str | None = None) -> str:
        return self.add("SoftmaxWithLoss", name, bottoms, [top or name], phase=phase)

    def accuracy(self, name: str, bottoms: Sequence[str], phase: str | None = "TEST") -> str:
        return self.add("Accuracy", name, bottoms, [name], phase=phase)

    def crop(self, name: str, bottoms: Sequence[str], axis: int = 2, offset: int | Sequence[int] = 0,
             top: str | None = None) -> str:
        return self.add("Crop", name, bottoms, [top or name], crop_param={"axis": axis, "offset": offset})

    def flatten(self, name: str, bottom: str, axis: int = 1, top: str | None = None) -> str:
        blocks = {"flatten_param": {"axis": axis}} if axis != 1 else {}
        return self.add("Flatten", name, [bottom], [top or name], **blocks)

    def reshape(self, name: str, bottom: str, dims: Sequence[int], top: str | None = None) -> str:
        return self.add("Reshape", name, [bottom], [top or name], reshape_param={"shape": {"dim": list(dims)}})

    def data(self, name: str = "data", batch_size: int = 64, phase: str | None = None,
             crop_size: int | None = None, tops: Sequence[str] = ("data", "label")) -> str:
        blocks: dict = {}
        if crop_size:
            blocks["transform_param"] = {"crop_size": crop_size}
        blocks["data_param"] = {"source": f"examples/{name}_lmdb", "batch_size": batch_size,
                                "backend": Ident("LMDB")}
        return self.add("Data", name, [], tops, phase=phase, **blocks)

    # ------------------------------------------------------------ SSD (weiliu89's fork)
    def permute(self, name: str, bottom: str, order: Sequence[int], top: str | None = None) -> str:
        return self.add("Permute", name, [bottom], [top or name], permute_param={"order": list(order)})

    def normalize(self, name: str, bottom: str, scale: float = 20.0, across_spatial: bool = False,
                  channel_shared: bool = False, top: str | None = None) -> str:
        return self.add("Normalize", name, [bottom], [top or name], norm_param={
            "across_spatial": across_spatial, "scale_filler": {"type": "constant", "value": scale},
            "channel_shared": channel_shared})

    def prior_box(self, name: str, bottoms: Sequence[str], min_size: float, max_size: float | None = None,
                  aspect_ratio: Sequence[float] = (), flip: bool = True, clip: bool = False,
                  step: float | None = None, offset: float = 0.5, top: str | None = None) -> str:
        p: dict = {"min_size": float(min_size)}
        if max_size is not None:
            p["max_size"] = float(max_size)
        p["aspect_ratio"] = [float(a) for a in aspect_ratio]
        p.update({"flip": flip, "clip": clip, "variance": [0.1, 0.1, 0.2, 0.2]})
        if step is not None:
            p["step"] = float(step)
        p["offset"] = offset
        return self.add("PriorBox", name, bottoms, [top or name], prior_box_param=p)

    def detection_output(self, name: str, bottoms: Sequence[str], num_classes: int,
                         keep_top_k: int = 200, top: str | None = None) -> str:
        return self.add("DetectionOutput", name, bottoms, [top or name], detection_output_param={
            "num_classes": num_classes, "share_location": True, "background_label_id": 0,
            "nms_param": {"nms_threshold": 0.45, "top_k": 400}, "code_type": Ident("CENTER_SIZE"),
            "keep_top_k": keep_top_k, "confidence_threshold": 0.01})

    # ------------------------------------------------------------ writers
    def to_v2(self) -> str:
        lines = [f"name: {_scalar(self.name)}"]
        for layer in self.layers:
            lines.append("layer {")
            _emit(lines, 1, "name", layer.name)
            _emit(lines, 1, "type", layer.type)
            _emit(lines, 1, "bottom", layer.bottoms)
            _emit(lines, 1, "top", layer.tops)
            if layer.phase:
                _emit(lines, 1, "include", {"phase": Ident(layer.phase)})
            for k, v in layer.extra.items():
                _emit(lines, 1, k, v)
            for lr in layer.lr:
                _emit(lines, 1, "param", {"lr_mult": lr, "decay_mult": 1.0 if lr == 1.0 else 0.0})
            for k, v in layer.blocks.items():
                _emit(lines, 1, k, v)
            lines.append("}")
        return "\n".join(lines) + "\n"

    def _header(self, lines: list[str]) -> list[Layer]:
        """The old ``input:``/``input_dim:`` header from a leading Input layer; the other layers."""
        layers = list(self.layers)
        if layers and layers[0].type == "Input":
            first = layers.pop(0)
            for top, shape in zip(first.tops, first.shapes):
                if len(shape) != 4:
                    raise ValueError("the input_dim header needs 4-D inputs")
                _emit(lines, 0, "input", top)
            for shape in first.shapes:
                _emit(lines, 0, "input_dim", list(shape))
        for layer in layers:
            if layer.type == "Input":
                raise ValueError("only a leading Input layer can become the input header")
        return layers

    def to_v1(self) -> str:
        """V1 (``layers { type: CONVOLUTION }``) with the input header and ``blobs_lr``."""
        lines = [f"name: {_scalar(self.name)}"]
        for layer in self._header(lines):
            if layer.type not in V1_TYPES:
                raise ValueError(f"the V1 writer does not support {layer.type}")
            lines.append("layers {")
            _emit(lines, 1, "name", layer.name)
            _emit(lines, 1, "type", Ident(V1_TYPES[layer.type]))
            _emit(lines, 1, "bottom", layer.bottoms)
            _emit(lines, 1, "top", layer.tops)
            if layer.phase:
                _emit(lines, 1, "include", {"phase": Ident(layer.phase)})
            _emit(lines, 1, "blobs_lr", layer.lr)
            _emit(lines, 1, "weight_decay", [1.0 if lr == 1.0 else 0.0 for lr in layer.lr])
            for k, v in layer.blocks.items():
                _emit(lines, 1, k, v)
            lines.append("}")
        return "\n".join(lines) + "\n"

    def to_v0(self) -> str:
        """V0 (``layers { layer { type: "conv" kernelsize } bottom top }``) with the input header."""
        lines = [f"name: {_scalar(self.name)}"]
        for layer in self._header(lines):
            if layer.type not in V0_TYPES or layer.phase:
                raise ValueError(f"the V0 writer does not support {layer.type}"
                                 f"{' with a phase' if layer.phase else ''}")
            lines.append("layers {")
            lines.append("  layer {")
            _emit(lines, 2, "name", layer.name)
            _emit(lines, 2, "type", V0_TYPES[layer.type])
            for block in layer.blocks.values():
                for k, v in block.items():
                    if k.endswith(("_h", "_w")):
                        raise ValueError(f"V0 has no {k}")
                    _emit(lines, 2, V0_NAMES.get(k, k), v)
            _emit(lines, 2, "blobs_lr", layer.lr)
            lines.append("  }")
            _emit(lines, 1, "bottom", layer.bottoms)
            _emit(lines, 1, "top", layer.tops)
            lines.append("}")
        return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------- nets
def lenet(batch: int = 1) -> Net:
    """Caffe's examples/mnist LeNet (deploy form)."""
    net = Net("LeNet")
    x = net.input("data", (batch, 1, 28, 28))
    x = net.conv("conv1", x, 20, 5)
    x = net.pool("pool1", x, "MAX", 2, stride=2)
    x = net.conv("conv2", x, 50, 5)
    x = net.pool("pool2", x, "MAX", 2, stride=2)
    x = net.ip("ip1", x, 500)
    x = net.relu("relu1", x)
    x = net.ip("ip2", x, 10)
    net.softmax("prob", x)
    return net


def alexnet(size: int = 227) -> Net:
    """BVLC's bvlc_alexnet deploy.prototxt (LRN after ReLU, group 2 in conv2/4/5)."""
    net = Net("AlexNet")
    x = net.input("data", (1, 3, size, size))
    x = net.relu("relu1", net.conv("conv1", x, 96, 11, stride=4))
    x = net.lrn("norm1", x)
    x = net.pool("pool1", x, "MAX", 3, stride=2)
    x = net.relu("relu2", net.conv("conv2", x, 256, 5, pad=2, group=2))
    x = net.lrn("norm2", x)
    x = net.pool("pool2", x, "MAX", 3, stride=2)
    x = net.relu("relu3", net.conv("conv3", x, 384, 3, pad=1))
    x = net.relu("relu4", net.conv("conv4", x, 384, 3, pad=1, group=2))
    x = net.relu("relu5", net.conv("conv5", x, 256, 3, pad=1, group=2))
    x = net.pool("pool5", x, "MAX", 3, stride=2)
    x = net.dropout("drop6", net.relu("relu6", net.ip("fc6", x, 4096)))
    x = net.dropout("drop7", net.relu("relu7", net.ip("fc7", x, 4096)))
    x = net.ip("fc8", x, 1000)
    net.softmax("prob", x)
    return net


VGG16_BLOCKS = ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512))


def vgg16_features(net: Net, x: str, first_pad: int = 1, blocks=VGG16_BLOCKS, last_pool: bool = True) -> str:
    for b, widths in enumerate(blocks, 1):
        for i, w in enumerate(widths, 1):
            pad = first_pad if (b, i) == (1, 1) else 1
            x = net.relu(f"relu{b}_{i}", net.conv(f"conv{b}_{i}", x, w, 3, pad=pad))
        if b < len(blocks) or last_pool:
            x = net.pool(f"pool{b}", x, "MAX", 2, stride=2)
    return x


def vgg16(size: int = 224) -> Net:
    net = Net("VGG_ILSVRC_16_layers")
    x = vgg16_features(net, net.input("data", (1, 3, size, size)))
    x = net.dropout("drop6", net.relu("relu6", net.ip("fc6", x, 4096)))
    x = net.dropout("drop7", net.relu("relu7", net.ip("fc7", x, 4096)))
    net.softmax("prob", net.ip("fc8", x, 1000))
    return net


def resnet50(size: int = 224, conv1_bias: bool = False) -> Net:
    """KaimingHe's ResNet-50 deploy: bias-free convs, BatchNorm + Scale, stride on branch2a.

    The published file keeps a bias on conv1 (``conv1_bias=True``); the usual 25,557,032
    parameter count is for the all-bias-free version."""
    net = Net("ResNet-50")
    x = net.input("data", (1, 3, size, size))
    x = net.conv("conv1", x, 64, 7, stride=2, pad=3, bias_term=conv1_bias)
    x = net.bn_scale("_conv1", x)
    x = net.relu("conv1_relu", x)
    x = net.pool("pool1", x, "MAX", 3, stride=2)
    for stage, (blocks, width) in enumerate(((3, 64), (4, 128), (6, 256), (3, 512)), 2):
        for i in range(blocks):
            tag = f"{stage}{chr(ord('a') + i)}"
            stride = 2 if (i == 0 and stage > 2) else 1
            if i == 0:
                shortcut = net.conv(f"res{tag}_branch1", x, 4 * width, 1, stride=stride, bias_term=False)
                shortcut = net.bn_scale(f"{tag}_branch1", shortcut)
            else:
                shortcut = x
            y = net.conv(f"res{tag}_branch2a", x, width, 1, stride=stride, bias_term=False)
            y = net.relu(f"res{tag}_branch2a_relu", net.bn_scale(f"{tag}_branch2a", y))
            y = net.conv(f"res{tag}_branch2b", y, width, 3, pad=1, bias_term=False)
            y = net.relu(f"res{tag}_branch2b_relu", net.bn_scale(f"{tag}_branch2b", y))
            y = net.conv(f"res{tag}_branch2c", y, 4 * width, 1, bias_term=False)
            y = net.bn_scale(f"{tag}_branch2c", y)
            x = net.eltwise(f"res{tag}", [shortcut, y])
            x = net.relu(f"res{tag}_relu", x)
    x = net.pool("pool5", x, "AVE", 7, stride=1)
    net.softmax("prob", net.ip("fc1000", x, 1000))
    return net


def inception(net: Net, name: str, x: str, n1: int, n3r: int, n3: int, n5r: int, n5: int, pp: int) -> str:
    """One GoogLeNet inception module, named as in BVLC's bvlc_googlenet."""
    a = net.relu(f"{name}/relu_1x1", net.conv(f"{name}/1x1", x, n1, 1))
    b = net.relu(f"{name}/relu_3x3_reduce", net.conv(f"{name}/3x3_reduce", x, n3r, 1))
    b = net.relu(f"{name}/relu_3x3", net.conv(f"{name}/3x3", b, n3, 3, pad=1))
    c = net.relu(f"{name}/relu_5x5_reduce", net.conv(f"{name}/5x5_reduce", x, n5r, 1))
    c = net.relu(f"{name}/relu_5x5", net.conv(f"{name}/5x5", c, n5, 5, pad=2))
    d = net.pool(f"{name}/pool", x, "MAX", 3, stride=1, pad=1)
    d = net.relu(f"{name}/relu_pool_proj", net.conv(f"{name}/pool_proj", d, pp, 1))
    return net.concat(f"{name}/output", [a, b, c, d])


GOOGLENET_MODULES = (
    ("inception_3a", 64, 96, 128, 16, 32, 32), ("inception_3b", 128, 128, 192, 32, 96, 64), "pool3/3x3_s2",
    ("inception_4a", 192, 96, 208, 16, 48, 64), ("inception_4b", 160, 112, 224, 24, 64, 64),
    ("inception_4c", 128, 128, 256, 24, 64, 64), ("inception_4d", 112, 144, 288, 32, 64, 64),
    ("inception_4e", 256, 160, 320, 32, 128, 128), "pool4/3x3_s2",
    ("inception_5a", 256, 160, 320, 32, 128, 128), ("inception_5b", 384, 192, 384, 48, 128, 128),
)


def googlenet(size: int = 224) -> Net:
    """BVLC's bvlc_googlenet deploy (no auxiliary classifiers)."""
    net = Net("GoogleNet")
    x = net.input("data", (1, 3, size, size))
    x = net.relu("conv1/relu_7x7", net.conv("conv1/7x7_s2", x, 64, 7, stride=2, pad=3))
    x = net.pool("pool1/3x3_s2", x, "MAX", 3, stride=2)
    x = net.lrn("pool1/norm1", x)
    x = net.relu("conv2/relu_3x3_reduce", net.conv("conv2/3x3_reduce", x, 64, 1))
    x = net.relu("conv2/relu_3x3", net.conv("conv2/3x3", x, 192, 3, pad=1))
    x = net.lrn("conv2/norm2", x)
    x = net.pool("pool2/3x3_s2", x, "MAX", 3, stride=2)
    for m in GOOGLENET_MODULES:
        x = net.pool(m, x, "MAX", 3, stride=2) if isinstance(m, str) else inception(net, m[0], x, *m[1:])
    x = net.pool("pool5/7x7_s1", x, "AVE", 7, stride=1)
    x = net.dropout("pool5/drop_7x7_s1", x, 0.4)
    net.softmax("prob", net.ip("loss3/classifier", x, 1000))
    return net


def fire(net: Net, name: str, x: str, squeeze: int, expand: int) -> str:
    x = net.relu(f"{name}/relu_squeeze1x1", net.conv(f"{name}/squeeze1x1", x, squeeze, 1))
    a = net.relu(f"{name}/relu_expand1x1", net.conv(f"{name}/expand1x1", x, expand, 1))
    b = net.relu(f"{name}/relu_expand3x3", net.conv(f"{name}/expand3x3", x, expand, 3, pad=1))
    return net.concat(f"{name}/concat", [a, b])


def squeezenet11(size: int = 227) -> Net:
    """forresti's SqueezeNet v1.1 deploy."""
    net = Net("SqueezeNet_v1.1")
    x = net.input("data", (1, 3, size, size))
    x = net.relu("relu_conv1", net.conv("conv1", x, 64, 3, stride=2))
    x = net.pool("pool1", x, "MAX", 3, stride=2)
    x = fire(net, "fire2", x, 16, 64)
    x = fire(net, "fire3", x, 16, 64)
    x = net.pool("pool3", x, "MAX", 3, stride=2)
    x = fire(net, "fire4", x, 32, 128)
    x = fire(net, "fire5", x, 32, 128)
    x = net.pool("pool5", x, "MAX", 3, stride=2)
    x = fire(net, "fire6", x, 48, 192)
    x = fire(net, "fire7", x, 48, 192)
    x = fire(net, "fire8", x, 64, 256)
    x = fire(net, "fire9", x, 64, 256)
    x = net.dropout("drop9", x)
    x = net.relu("relu_conv10", net.conv("conv10", x, 1000, 1))
    x = net.pool("pool10", x, "AVE", global_pooling=True)
    net.softmax("prob", x)
    return net


def densenet121_head(size: int = 224, growth: int = 32, blocks: Sequence[int] = (6, 12)) -> Net:
    """shicai's DenseNet-121: stem, then dense blocks (BN-Scale-ReLU-1x1(4k)-BN-Scale-ReLU-3x3(k),
    concatenated onto the running features) with transitions (1x1 halving channels, 2x2 AVE pool)."""
    net = Net("DenseNet-121")
    x = net.input("data", (1, 3, size, size))
    x = net.conv("conv1", x, 64, 7, stride=2, pad=3, bias_term=False)
    x = net.relu("relu1", net.bn_scale("1", x, in_place=False, bn_name="conv1/bn", scale_name="conv1/scale"))
    x = net.pool("pool1", x, "MAX", 3, stride=2, pad=1, round_mode="FLOOR")  # shicai's `ceil_mode: false`
    channels = 64
    for b, n in enumerate(blocks, 2):
        for i in range(1, n + 1):
            tag = f"conv{b}_{i}"
            y = net.bn_scale("", x, in_place=False, bn_name=f"{tag}/x1/bn", scale_name=f"{tag}/x1/scale")
            y = net.relu(f"relu{b}_{i}/x1", y)
            y = net.conv(f"{tag}/x1", y, 4 * growth, 1, bias_term=False)
            y = net.bn_scale("", y, in_place=False, bn_name=f"{tag}/x2/bn", scale_name=f"{tag}/x2/scale")
            y = net.relu(f"relu{b}_{i}/x2", y)
            y = net.conv(f"{tag}/x2", y, growth, 3, pad=1, bias_term=False)
            x = net.concat(f"concat_{b}_{i}", [x, y])
            channels += growth
        if b < len(blocks) + 1:
            tag = f"conv{b}_blk"
            y = net.bn_scale("", x, in_place=False, bn_name=f"{tag}/bn", scale_name=f"{tag}/scale")
            y = net.relu(f"relu{b}_blk", y)
            channels //= 2
            y = net.conv(tag, y, channels, 1, bias_term=False)
            x = net.pool(f"pool{b}", y, "AVE", 2, stride=2)
    return net


def fcn32s(size: int = 500, classes: int = 21) -> Net:
    """shelhamer's voc-fcn32s deploy: VGG-16 with pad 100, fc6/fc7 as convolutions, a 64x64 stride-32
    Deconvolution and a Crop (offset 19) back to the input size."""
    net = Net("voc-fcn32s")
    data = net.input("data", (1, 3, size, size))
    x = vgg16_features(net, data, first_pad=100)
    x = net.dropout("drop6", net.relu("relu6", net.conv("fc6", x, 4096, 7)))
    x = net.dropout("drop7", net.relu("relu7", net.conv("fc7", x, 4096, 1)))
    x = net.conv("score_fr", x, classes, 1)
    x = net.deconv("upscore", x, classes, 64, stride=32, bias_term=False)
    net.crop("score", [x, data], axis=2, offset=19)
    return net


def ssd300_head(classes: int = 21) -> Net:
    """weiliu89's SSD300 (VGG-16 reduced) up to fc7, with the conv4_3 and fc7 prediction heads,
    their concatenation and DetectionOutput."""
    net = Net("VGG_SSD_300x300_two_sources")
    data = net.input("data", (1, 3, 300, 300))
    x = data
    for b, widths in enumerate(VGG16_BLOCKS, 1):
        for i, w in enumerate(widths, 1):
            x = net.relu(f"relu{b}_{i}", net.conv(f"conv{b}_{i}", x, w, 3, pad=1))
        if b == 4:
            conv4_3 = x
        if b < 5:
            x = net.pool(f"pool{b}", x, "MAX", 2, stride=2)
    x = net.pool("pool5", x, "MAX", 3, stride=1, pad=1)
    x = net.relu("relu6", net.conv("fc6", x, 1024, 3, pad=6, dilation=6))
    fc7 = net.relu("relu7", net.conv("fc7", x, 1024, 1))
    norm = net.normalize("conv4_3_norm", conv4_3)
    sources = ((norm, 4, {"min_size": 30, "max_size": 60, "aspect_ratio": (2,), "step": 8}),
               (fc7, 6, {"min_size": 60, "max_size": 111, "aspect_ratio": (2, 3), "step": 16}))
    locs, confs, priors = [], [], []
    for src, n_priors, prior in sources:
        loc = net.conv(f"{src}_mbox_loc", src, 4 * n_priors, 3, pad=1)
        loc = net.permute(f"{src}_mbox_loc_perm", loc, (0, 2, 3, 1))
        locs.append(net.flatten(f"{src}_mbox_loc_flat", loc))
        conf = net.conv(f"{src}_mbox_conf", src, classes * n_priors, 3, pad=1)
        conf = net.permute(f"{src}_mbox_conf_perm", conf, (0, 2, 3, 1))
        confs.append(net.flatten(f"{src}_mbox_conf_flat", conf))
        priors.append(net.prior_box(f"{src}_mbox_priorbox", [src, data], **prior))
    loc = net.concat("mbox_loc", locs)
    conf = net.concat("mbox_conf", confs)
    prior = net.concat("mbox_priorbox", priors, axis=2)
    conf = net.reshape("mbox_conf_reshape", conf, (0, -1, classes))
    conf = net.softmax("mbox_conf_softmax", conf, axis=2)
    conf = net.flatten("mbox_conf_flatten", conf)
    net.detection_output("detection_out", [loc, conf, prior], classes)
    return net
