"""Rules of the pitfalls family (P6xx): nets Caffe builds but that train badly or not as meant.

Documentation, thresholds and layer-type tables; the checks live in
``rules/pitfall_*.py``.  Every threshold is a module-level default that a
project can change before linting (``catalog_pitfalls.WIDENING_FACTOR = 4``)
or silence per rule through configuration (``ignore = ["P601"]``).
"""

from __future__ import annotations

from ..diagnostics import Severity
from .registry import Rule, register

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO

# ------------------------------------------------------------------ thresholds
#: P601: report a layer whose output holds at least this many times the
#: activations (per example: channels x height x width) of its input
#: reference.  2 means "doubled the area or the channels".
WIDENING_FACTOR = 2.0
#: P601: how many learned layers (Convolution, InnerProduct...) to look back
#: through when choosing the input reference.  The reference is the largest
#: blob in that window, so a widening that only restores what a pooling or a
#: 1x1 "squeeze" just removed (VGG's 64 -> 128 channels after pooling,
#: SqueezeNet's expand after squeeze) is not reported.  0 compares with the
#: layer's own input only.
WIDENING_LOOKBACK = 2
#: P603: report the Eltwise SUM that brings the number of branches added into
#: one stream, since the last normalization layer, to this count.
RESIDUAL_SUMS_WITHOUT_NORM = 4

# ------------------------------------------------------------------ layer tables
#: Layers that renormalize activations (P601, P603).  Fork types by name: SegNet's
#: BN, SSD's Normalize, and the usual batch/instance/layer norm ports.
NORMALIZATION_TYPES = frozenset({
    "BatchNorm", "BN", "LRN", "MVN", "Normalize", "SyncBN", "SyncBatchNorm", "InstanceNorm",
    "LayerNorm", "GroupNorm", "ChannelNorm",
})
#: Element-wise nonlinearities (P601: the widened blob must be normalized before one of these).
NONLINEARITY_TYPES = frozenset({
    "ReLU", "PReLU", "ELU", "Sigmoid", "TanH", "AbsVal", "BNLL", "ReLU6", "Swish", "Clip", "Exp",
    "Log", "Power", "Threshold", "GELU", "Mish", "HardSigmoid", "HardSwish",
})
#: Layers that merge branches (P601).
MERGE_TYPES = frozenset({"Eltwise", "Concat"})
#: Layers that can widen a feature map (P601): learned convolutions and upsampling.
WIDENING_TYPES = frozenset({
    "Convolution", "Deconvolution", "Upsample", "Interp", "DepthwiseConvolution", "ConvolutionDepthwise",
})
#: Layers that only move, copy or rescale values; P601 looks through them for the
#: next nonlinearity or merge, P602 and P604 look through them for a blob's origin.
PASS_THROUGH_TYPES = frozenset({
    "Split", "Crop", "Reshape", "Flatten", "Dropout", "Scale", "Bias", "Permute", "Slice", "Tile",
    "Squeeze", "Unsqueeze", "Identity",
})
#: Outputs with a fixed range (P602: a product with one of these is a gate).
BOUNDED_TYPES = frozenset({
    "Sigmoid", "TanH", "Softmax", "Threshold", "ReLU6", "Clip", "HardSigmoid",
})

# ------------------------------------------------------------------ examples
_INPUT = ('layer {\n  name: "data"\n  type: "Input"\n  top: "data"\n'
          '  input_param { shape { dim: 1 dim: 64 dim: 16 dim: 16 } }\n}\n')
_STEM = ('layer {\n  name: "conv1"\n  type: "Convolution"\n  bottom: "data"\n  top: "conv1"\n'
         '  convolution_param { num_output: 64 kernel_size: 3 pad: 1 }\n}\n')


def _layer(name: str, type_: str, bottoms, tops, extra: str = "") -> str:
    lines = [f'layer {{\n  name: "{name}"\n  type: "{type_}"\n']
    lines += [f'  bottom: "{b}"\n' for b in bottoms]
    lines += [f'  top: "{t}"\n' for t in tops]
    return "".join(lines) + extra + "}\n"


def _head(blob: str) -> str:
    """A classifier and its loss on ``blob``: the design rules judge nets that train."""
    return ('layer {\n  name: "label"\n  type: "Input"\n  top: "label"\n  input_param { shape { dim: 1 } }\n}\n'
            + _layer("score", "InnerProduct", [blob], ["score"], "  inner_product_param { num_output: 10 }\n")
            + _layer("loss", "SoftmaxWithLoss", ["score", "label"], ["loss"]))


_WIDEN = _layer("up", "Deconvolution", ["conv1"], ["up"],
                "  convolution_param { num_output: 64 kernel_size: 4 stride: 2 pad: 1 }\n")
_CLASSIFIER = (_INPUT + 'layer {\n  name: "label"\n  type: "Input"\n  top: "label"\n'
               '  input_param { shape { dim: 1 } }\n}\n'
               + _layer("fc", "InnerProduct", ["data"], ["fc"], "  inner_product_param { num_output: 10 }\n"))

UNNORMALIZED_WIDENING = register(Rule(
    "P601", "unnormalized-widening", W,
    "Reports a convolution or upsampling layer whose output holds many more activations than its "
    "input (by default at least twice: 10x10x256 -> 20x20x256, or 10x10x256 -> 10x10x512) when the "
    "widened blob reaches a nonlinearity or a merge (Eltwise, Concat) without a normalization layer "
    "(BatchNorm, LRN, MVN, Normalize) in between. The message gives the growth factor and both shapes. "
    "A widening that only restores what a pooling or a 1x1 squeeze layer just removed (VGG doubling "
    "its channels after each pooling, SqueezeNet's expand layers) is compared with the larger blob "
    "before it and is not reported; neither is the first learned layer after the input. Only nets that "
    "train (have a loss layer) are judged: deploy nets often have their BatchNorm folded into the "
    "convolutions.",
    "Each input value of a layer that widens N-fold feeds about N outputs, so in the backward pass it "
    "collects about N gradients: with Caffe's fan-in fillers (xavier, msra) the gradient reaching the "
    "layers below grows by roughly the widening factor, and upsampling layers add up the gradients of "
    "every output pixel they copied a value to. A normalization layer rescales both directions; without "
    "one, a few such layers in a row make training unstable or force a much smaller learning rate. "
    "Thresholds: catalog_pitfalls.WIDENING_FACTOR (2) and WIDENING_LOOKBACK (2 learned layers).",
    _INPUT + _STEM + _WIDEN + _layer("relu", "ReLU", ["up"], ["up"]) + _head("up"),
    _INPUT + _STEM + _WIDEN + _layer("bn", "BatchNorm", ["up"], ["up"]) + _layer("relu", "ReLU", ["up"], ["up"])
    + _head("up"),
    "pitfalls"))

_BRANCHES = (_STEM + _layer("conv2", "Convolution", ["data"], ["conv2"],
                            "  convolution_param { num_output: 64 kernel_size: 3 pad: 1 }\n"))
ELTWISE_PRODUCT = register(Rule(
    "P602", "unbounded-eltwise-product", W,
    "Reports an Eltwise PROD whose factors include at least two unbounded activations (outputs of "
    "convolutions, ReLUs, sums...), as opposed to a gate such as a Sigmoid, TanH or Softmax output.",
    "The gradient of a product with respect to one factor is the other factor: when both are "
    "unbounded activations of different scale, one branch's gradient is multiplied by the other's "
    "values, and the product's own scale is the product of both. A few iterations of growth in "
    "one branch then explode the other's gradient. Gating one branch through a Sigmoid (attention, "
    "squeeze-and-excitation) keeps the factor in [0, 1]; to combine features, use SUM or Concat. "
    "A factor computed from the data alone (a mask built from the labels) is not counted: no gradient "
    "flows into it. Only nets that train (have a loss) are judged.",
    _INPUT + _BRANCHES + _layer("prod", "Eltwise", ["conv1", "conv2"], ["prod"],
                                "  eltwise_param { operation: PROD }\n") + _head("prod"),
    _INPUT + _BRANCHES + _layer("gate", "Sigmoid", ["conv2"], ["gate"])
    + _layer("prod", "Eltwise", ["conv1", "gate"], ["prod"], "  eltwise_param { operation: PROD }\n")
    + _head("prod"),
    "pitfalls"))


def _residual_chain(norm: bool) -> str:
    out, prev = [], "data"
    for i in range(1, 5):
        conv = f"res{i}_conv"
        out.append(_layer(conv, "Convolution", [prev], [conv],
                          "  convolution_param { num_output: 64 kernel_size: 3 pad: 1 }\n"))
        if norm:
            out.append(_layer(f"res{i}_bn", "BatchNorm", [conv], [conv]))
        out.append(_layer(f"res{i}", "Eltwise", [prev, conv], [f"res{i}"]))
        prev = f"res{i}"
    return "".join(out)


RESIDUAL_SUMS = register(Rule(
    "P603", "unnormalized-residual-sums", I,
    "Reports the Eltwise SUM at which a stream has added up, by default, 4 branches since the last "
    "normalization layer (a chain of residual additions with no BatchNorm, LRN or MVN in the "
    "branches or the trunk), once per chain.",
    "Each residual addition adds the variance of its branch to the trunk, so without normalization "
    "the activations grow with depth and the first blocks' outputs are drowned out. Residual nets "
    "normalize inside every branch (conv-BatchNorm-Scale); a plain stack of sums trains only with "
    "careful initialization or scaled branches. Only nets that train (have a loss) are judged. Threshold: catalog_pitfalls.RESIDUAL_SUMS_WITHOUT_NORM (4). "
    "A SUM with coefficients below 1 (an average) is not counted.",
    _INPUT + _residual_chain(norm=False) + _head("res4"),
    _INPUT + _residual_chain(norm=True) + _head("res4"),
    "pitfalls"))

LOSS_INPUT = register(Rule(
    "P604", "loss-input-not-probability", W,
    "Reports a MultinomialLogisticLoss fed something other than a Softmax output, and an "
    "InfogainLoss fed the wrong kind of input for the Caffe the schema belongs to: since BVLC Caffe "
    "added `axis` to InfogainLossParameter, InfogainLoss applies its own softmax and wants raw "
    "scores; before that (and in forks without `axis`), it wants probabilities.",
    "These losses compute -log(p[label]) from their first input as is, clamping p to at least 1e-20: "
    "fed raw scores, negative scores all give the same huge loss with no gradient and scores above 1 "
    "give a negative loss, so the net learns nothing useful. A softmax applied twice (a Softmax layer "
    "before a loss that already applies one) squashes the probabilities towards uniform and the "
    "gradients towards zero. Inputs from a Python layer or a fork's layer are not judged.",
    _CLASSIFIER + _layer("loss", "MultinomialLogisticLoss", ["fc", "label"], ["loss"]),
    _CLASSIFIER + _layer("prob", "Softmax", ["fc"], ["prob"])
    + _layer("loss", "MultinomialLogisticLoss", ["prob", "label"], ["loss"]),
    "pitfalls"))

_TWO_HEADS = (_CLASSIFIER + _layer("fc2", "InnerProduct", ["data"], ["fc2"],
                                   "  inner_product_param { num_output: 10 }\n"))
DEFAULT_LOSS_WEIGHTS = register(Rule(
    "P605", "implicit-loss-weights", I,
    "Reports a training net with several loss layers none of which sets loss_weight, and says the "
    "weights Caffe uses: 1 for each, so the objective is their plain sum.",
    "Caffe adds every loss layer's output with loss_weight 1 unless told otherwise. Losses of "
    "different kinds (a classification and a regression loss, auxiliary heads) rarely have the same "
    "scale, so the largest silently dominates the gradient. Writing the weights down, even as 1, "
    "records that the balance was chosen.",
    _TWO_HEADS + _layer("loss1", "SoftmaxWithLoss", ["fc", "label"], ["loss1"])
    + _layer("loss2", "SoftmaxWithLoss", ["fc2", "label"], ["loss2"]),
    _TWO_HEADS + _layer("loss1", "SoftmaxWithLoss", ["fc", "label"], ["loss1"], "  loss_weight: 1\n")
    + _layer("loss2", "SoftmaxWithLoss", ["fc2", "label"], ["loss2"], "  loss_weight: 0.3\n"),
    "pitfalls"))

NON_LOSS_WEIGHT = register(Rule(
    "P606", "loss-weight-on-non-loss", W,
    "Reports a non-zero loss_weight on a layer that is not a loss layer and whose top holds more "
    "than one value (a ReLU, a convolution, a Softmax...).",
    "loss_weight is not ignored there: Caffe's Layer::SetLossWeights makes ANY layer's top part of "
    "the objective, adding loss_weight times the sum of all its values, so every value of that top "
    "receives the constant gradient loss_weight. That pushes all the activations of a feature map "
    "down (or up) together, which is almost never meant; it is usually a loss_weight copied with a "
    "layer. A Softmax top is the one case where it changes nothing but the reported loss: its values "
    "sum to 1, so the added term is a constant. A single-value top (a Python loss, a Reduction) is the "
    "intended use and is not reported. "
    "On an Accuracy or ArgMax layer of a training net, Caffe also stops at the first backward pass, "
    "since those layers have no gradient.",
    _CLASSIFIER + _layer("act", "ReLU", ["fc"], ["act"], "  loss_weight: 1\n")
    + _layer("loss", "SoftmaxWithLoss", ["act", "label"], ["loss"]),
    _CLASSIFIER + _layer("act", "ReLU", ["fc"], ["act"])
    + _layer("loss", "SoftmaxWithLoss", ["act", "label"], ["loss"], "  loss_weight: 1\n"),
    "pitfalls"))

LOSS_WEIGHT_COUNT = register(Rule(
    "P607", "loss-weight-count", E,
    "Reports a layer whose loss_weight entries do not match its tops one to one, including a loss "
    "layer with two tops and no loss_weight (Caffe supplies one weight, for one top), and a "
    "SoftmaxWithLoss with a second top.",
    "Caffe refuses the net while setting up the layer: \"loss_weight must be unspecified or specified "
    "once per top blob\". BVLC's SoftmaxWithLoss also passes its loss_weights to its internal Softmax, "
    "which has one top, so with a second (probability) top it fails whatever the weights "
    "(BVLC/caffe#2968): add a separate Softmax layer for the probabilities instead. Under a fork's "
    "schema this last case is only a warning, since some forks fixed it.",
    _CLASSIFIER + _layer("loss", "SoftmaxWithLoss", ["fc", "label"], ["loss"],
                         "  loss_weight: 1\n  loss_weight: 0.5\n"),
    _CLASSIFIER + _layer("loss", "SoftmaxWithLoss", ["fc", "label"], ["loss"], "  loss_weight: 1\n"),
    "pitfalls"))
