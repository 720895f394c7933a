"""A layer's learnable blobs before the first iteration: from a .caffemodel, else from its fillers.

Which filler each blob gets is the .caffemodel writer's table
(``weights.writer.layer_fillers``: Convolution's weight_filler and
bias_filler, Scale's implicit constant 1, PReLU's 0.25, ...), plus the
recurrent layers, whose unrolled inner nets fill every weight matrix with
``recurrent_param.weight_filler`` and every bias with its ``bias_filler``.
Blobs with no filler (BatchNorm's statistics, Parameter's blob) start at
zero, as Caffe allocates them.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch

from ..analysis.inference import LayerResult
from ..layers.params import Params
from ..schema.model import Schema
from ..weights.writer import layer_fillers
from .fillers import fill
from .weights import CaffemodelWeights

_RECURRENT = ("RNN", "LSTM")


def blob_fillers(lr: LayerResult, schema: Schema | None) -> list[Params | Mapping | None]:
    """The filler of each weight blob of the layer, in Caffe's blob order."""
    n = len(lr.weights)
    if lr.layer.type in _RECURRENT and schema is not None and lr.spec is not None:
        p = lr.layer.type_params(schema, lr.spec)
        # W_xc, b_c, [W_xc_static], W_hc, [W_ho, b_o]: matrices are weights, vectors biases
        return [p.message("weight_filler" if len(s or ()) >= 2 else "bias_filler") for s in lr.weights]
    return layer_fillers(lr, schema, n)


def blob_seed(seed: int, layer_index: int, blob_index: int) -> int:
    """A generator seed per (net seed, layer, blob): a layer's values do not depend on the layers before it."""
    return ((seed * 1_000_003 + layer_index) * 1_009 + blob_index) % (1 << 63)


def known(shape) -> bool:
    return shape is not None and all(isinstance(d, int) for d in shape)


def initial_blobs(lr: LayerResult, schema: Schema | None, seed: int,
                  model: CaffemodelWeights | None = None) -> list[torch.Tensor]:
    """The layer's blobs: the model's values where it stores them, the fillers' elsewhere.

    Raises WeightsError (from the model) where Caffe's copy would abort.
    The caller checks that every weight shape is known first.
    """
    shapes = [tuple(s) for s in lr.weights]
    stored = model.layer_blobs(lr.layer.name, shapes) if model is not None and shapes else None
    fillers = blob_fillers(lr, schema)
    out = []
    for j, shape in enumerate(shapes):
        value = stored[j] if stored is not None else None
        if value is None:
            gen = torch.Generator().manual_seed(blob_seed(seed, lr.layer.index, j))
            value = fill(shape, fillers[j] if j < len(fillers) else None, gen)
        out.append(value)
    return out


__all__ = ["blob_fillers", "blob_seed", "initial_blobs", "known"]
