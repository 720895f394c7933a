"""Shared helpers for the layer-registry tests (tests/layers/).

``make_ctx`` turns the text of one layer into the LayerContext its shape,
weights and MACs functions receive; ``layer_spec`` finds a registered type.
Several test modules share this file: add helpers, do not remove any.
"""

from __future__ import annotations

import pytest

from prototxt_ls.layers import registry
from prototxt_ls.layers.params import Params
from prototxt_ls.layers.shapes import ShapeError
from prototxt_ls.layers.spec import LayerContext, LayerSpec
from prototxt_ls.schema.loader import bundled_schema
from prototxt_ls.syntax.parser import parse
from prototxt_ls.syntax.tree import Message, Scalar

def layer_spec(type_name: str) -> LayerSpec:
    """The registered spec of ``type_name``."""
    spec = registry.lookup(type_name)
    assert spec is not None, f"layer type {type_name} is not registered"
    return spec


def make_ctx(type_name: str, layer_body_text: str = "", bottoms=None, n_tops: int | None = None,
             schema=None) -> LayerContext:
    """Parse ``layer { type: "<type_name>" <layer_body_text> }`` into a LayerContext.

    ``bottoms`` are the input shapes (tuples, lists or None); ``n_tops``
    defaults to the number of ``top:`` fields, or 1 when there are none.
    """
    schema = schema or bundled_schema()
    doc = parse(f'layer {{ type: "{type_name}" {layer_body_text} }}')
    assert not doc.errors, doc.errors
    layer_msg = doc.root.fields[0].value
    assert isinstance(layer_msg, Message)
    layer_def = schema.message("LayerParameter")
    spec = layer_spec(type_name)
    p_node, p_def = None, None
    if spec.param:
        fdef = layer_def.fields.get(spec.param)
        p_def = schema.field_message(fdef) if fdef is not None else None
        blocks = [f.value for f in layer_msg.fields if f.name == spec.param and isinstance(f.value, Message)]
        p_node = blocks[-1] if blocks else None
    tops = [f.value.string_value for f in layer_msg.fields
            if f.name == "top" and isinstance(f.value, Scalar)]
    names = [f.value.string_value for f in layer_msg.fields
             if f.name == "name" and isinstance(f.value, Scalar)]
    shapes = [None if b is None else tuple(b) for b in (bottoms or [])]
    return LayerContext(
        name=names[0] if names else type_name,
        type=type_name,
        p=Params(p_node, p_def, schema),
        layer=Params(layer_msg, layer_def, schema),
        bottoms=shapes,
        n_tops=n_tops if n_tops is not None else (len(tops) or 1),
        top_names=tops,
    )


def shapes_of(type_name: str, body: str = "", bottoms=None, n_tops: int | None = None) -> list:
    """The top shapes the registry computes for one layer."""
    ctx = make_ctx(type_name, body, bottoms, n_tops)
    return layer_spec(type_name).shape(ctx)


def weights_of(type_name: str, body: str = "", bottoms=None, n_tops: int | None = None) -> list:
    """The learnable-blob shapes the registry computes for one layer."""
    ctx = make_ctx(type_name, body, bottoms, n_tops)
    fn = layer_spec(type_name).weights
    return fn(ctx) if fn is not None else []


def macs_of(type_name: str, body: str = "", bottoms=None, n_tops: int | None = None):
    """The MACs the registry computes for one layer (None when not counted)."""
    ctx = make_ctx(type_name, body, bottoms, n_tops)
    spec = layer_spec(type_name)
    tops = spec.shape(ctx)
    return spec.macs(ctx, tops) if spec.macs is not None else None


def shape_error(type_name: str, body: str = "", bottoms=None, n_tops: int | None = None) -> ShapeError:
    """The ShapeError the shape function raises (fails the test if none)."""
    with pytest.raises(ShapeError) as exc:
        shapes_of(type_name, body, bottoms, n_tops)
    return exc.value
