"""Rules of the simulator family (T0xx): what running the net in PyTorch found.

Only ``prototxt-ls sim`` reports these (lint and the server never run a
net); they live in the one rule table so ``prototxt-ls rule T001`` explains
them and configuration can select or re-grade them like any other code.
"""

from __future__ import annotations

from ..diagnostics import Severity
from .registry import Rule, register

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO

_CONV = ('layer {\n  name: "conv1"\n  type: "Convolution"\n  bottom: "data"\n  top: "conv1"\n'
         '  convolution_param { num_output: 16 kernel_size: 3 }\n}\n')

SHAPE_MISMATCH = register(Rule(
    "T001", "sim-shape-mismatch", E,
    "Reports a blob whose real tensor shape, after running the layer in PyTorch, differs from the "
    "shape static inference computed for it.",
    "Static shapes drive every other check (weights, pitfalls, hover). A disagreement means one of "
    "the two models of the layer is wrong; it is a bug in prototxt-ls worth reporting, with the net.",
    _CONV, _CONV, "sim"))

# The T002-T004 examples are whole nets: tests/sim runs `prototxt-ls sim --debug-info` on
# each bad one (the rule fires) and each good one (it does not).
_INPUT = ('layer { name: "data" type: "Input" top: "data" top: "label"\n'
          '        input_param { shape { dim: 2 dim: 1 dim: 4 dim: 4 } shape { dim: 2 } } }\n')


def _conv(bias: str = "") -> str:
    filler = f' bias_filler {{ type: "constant" value: {bias} }}' if bias else ""
    return ('layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"\n'
            f'        convolution_param {{ num_output: 2 kernel_size: 1 weight_filler {{ type: "xavier" }}{filler} }} }}\n')


def _eltwise(name: str, a: str, op: str) -> str:
    return (f'layer {{ name: "{name}" type: "Eltwise" bottom: "{a}" bottom: "{a}" top: "{name}"\n'
            f'        eltwise_param {{ operation: {op} }} }}\n')


def _classifier(bottom: str) -> str:
    return (f'layer {{ name: "ip" type: "InnerProduct" bottom: "{bottom}" top: "ip"\n'
            '        inner_product_param { num_output: 3 weight_filler { type: "xavier" } } }\n'
            'layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }\n')


def _squares(op: str) -> str:
    """conv1 is about 1e5; three PRODs of a blob with itself reach 1e40, past float32's 3.4e38."""
    return (_INPUT + _conv("100000") + _eltwise("sq1", "conv1", op) + _eltwise("sq2", "sq1", op)
            + _eltwise("sq3", "sq2", op) + _classifier("sq3"))


def _regression(normalized: bool) -> str:
    """conv1 is about 1e3 (its bias), squared to 1e6: the regression's weight diffs reach ~1e11."""
    bn = ('layer { name: "bn1" type: "BatchNorm" bottom: "conv1" top: "conv1" }\n'
          'layer { name: "scale1" type: "Scale" bottom: "conv1" top: "conv1" scale_param { bias_term: true } }\n')
    return (_INPUT.replace("shape { dim: 2 } }", "shape { dim: 2 dim: 3 } }") + _conv("1000")
            + (bn if normalized else "") + _eltwise("sq1", "conv1", "PROD")
            + 'layer { name: "ip" type: "InnerProduct" bottom: "sq1" top: "ip"\n'
              '        inner_product_param { num_output: 3 weight_filler { type: "xavier" } } }\n'
              'layer { name: "loss" type: "EuclideanLoss" bottom: "ip" bottom: "label" top: "loss" }\n')


def _branch(feeds_loss: bool) -> str:
    side = ('layer { name: "side" type: "Convolution" bottom: "data" top: "side"\n'
            '        convolution_param { num_output: 2 kernel_size: 1 weight_filler { type: "xavier" } } }\n')
    if feeds_loss:
        side += ('layer { name: "merge" type: "Eltwise" bottom: "conv1" bottom: "side" top: "merge"\n'
                 '        eltwise_param { operation: SUM } }\n')
    return _INPUT + _conv() + side + _classifier("merge" if feeds_loss else "conv1")


NON_FINITE = register(Rule(
    "T002", "sim-non-finite", E,
    "Reports the first layer whose output (forward) or input gradient (backward) holds NaN or Inf "
    "during a few simulated training iterations.",
    "Once one blob is NaN every later layer and every weight update is NaN: Caffe trains on, printing "
    "`loss = nan`. The first layer that produces it is where to look: an Eltwise PROD of large "
    "activations, a Power or Exp layer, a log of zero, a learning rate too large for the net.",
    _squares("PROD"), _squares("SUM"), "sim"))

EXPLODING_GRADIENT = register(Rule(
    "T003", "sim-exploding-gradient", W,
    "Reports the first layer, in backward order, whose gradient (the L2 norm of a bottom or parameter "
    "diff) grows past 1e8 during the simulated iterations.",
    "Gradients that large overflow float32 within a few more iterations or throw the weights far from "
    "anything useful; add normalization (BatchNorm + Scale) before the layer, lower `base_lr`, or set "
    "`clip_gradients` in the solver.",
    _regression(False), _regression(True), "sim"))

NO_LEARNING = register(Rule(
    "T004", "sim-no-learning", W,
    "Reports a layer with learnable parameters whose parameter diffs are all exactly zero after "
    "backward: nothing below the loss reaches it.",
    "The layer never learns: it feeds no loss (a dangling branch), a layer above blocks the gradient "
    "(`propagate_down: false`, dead ReLUs, a zero `loss_weight`). Blobs with `lr_mult: 0` are frozen "
    "on purpose and not reported.",
    _branch(False), _branch(True), "sim"))

PYTHON_SKIPPED = register(Rule(
    "T005", "sim-python-layer-skipped", I,
    "Reports a `type: \"Python\"` layer that the simulator did not run because running it would import "
    "user code; `--allow-python-layers` runs it.",
    "A Python layer runs arbitrary code from the module it names; the simulator imports it only when "
    "asked to. Its tops are then synthetic tensors of the statically inferred shapes (when known).",
    'layer { name: "py" type: "Python" bottom: "data" top: "out"\n'
    '        python_param { module: "my_layers" layer: "MyLayer" } }\n',
    'layer { name: "py" type: "Python" bottom: "data" top: "out"\n'
    '        python_param { module: "my_layers" layer: "MyLayer" } }\n', "sim"))

NOT_SIMULATED = register(Rule(
    "T006", "sim-layer-not-simulated", I,
    "Reports a layer the simulator cannot run (a type with no PyTorch op, or a configuration the op "
    "does not support), with the reason.",
    "Its tops are synthetic tensors of the statically inferred shapes, so the layers after it still "
    "run, but its own shapes and times are not measured.",
    'layer { name: "det" type: "DetectionOutput" bottom: "loc" bottom: "conf" bottom: "prior" top: "det" }\n',
    'layer { name: "det" type: "DetectionOutput" bottom: "loc" bottom: "conf" bottom: "prior" top: "det" }\n',
    "sim"))
