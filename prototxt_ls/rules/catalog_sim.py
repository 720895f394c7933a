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

NON_FINITE = register(Rule(
    "T002", "sim-non-finite", E,
    "Reports the first layer whose output (forward) or input gradient (backward) holds NaN or Inf "
    "during a few simulated training iterations.",
    "Once one blob is NaN every later layer and every weight update is NaN: Caffe trains on, printing "
    "`loss = nan`. The first layer that produces it is where to look: an Eltwise PROD of large "
    "activations, a Power or Exp layer, a log of zero, a learning rate too large for the net.",
    'layer { name: "sq" type: "Eltwise" bottom: "a" bottom: "b" top: "sq"\n'
    '        eltwise_param { operation: PROD } }\n',
    'layer { name: "sum" type: "Eltwise" bottom: "a" bottom: "b" top: "sum"\n'
    '        eltwise_param { operation: SUM } }\n',
    "sim"))

EXPLODING_GRADIENT = register(Rule(
    "T003", "sim-exploding-gradient", W,
    "Reports a layer whose gradient (the L2 norm of a bottom or parameter diff) grows past 1e8 "
    "during the simulated iterations.",
    "Gradients that large overflow float32 within a few more iterations or throw the weights far from "
    "anything useful; add normalization (BatchNorm + Scale) before the layer, lower `base_lr`, or set "
    "`clip_gradients` in the solver.",
    _CONV, _CONV.replace("}\n}\n", "}\n}\n") + 'layer { name: "bn1" type: "BatchNorm" bottom: "conv1" '
    'top: "conv1" }\n', "sim"))

NO_LEARNING = register(Rule(
    "T004", "sim-no-learning", W,
    "Reports a layer with learnable parameters whose parameter diffs are all exactly zero after "
    "backward: nothing below the loss reaches it.",
    "The layer never learns: it feeds no loss (a dangling branch), a layer above blocks the gradient "
    "(`propagate_down: false`, dead ReLUs, a zero `loss_weight`), or its `lr_mult` is 0 on purpose.",
    _CONV, _CONV, "sim"))

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
