"""One view of a net's layers, whatever format the file uses.

V2 ``layer { type: "Convolution" }``, V1 ``layers { type: CONVOLUTION }`` and
V0 ``layers { layer { type: "conv" } bottom: ... }`` all become
:class:`LayerView` objects with the canonical (V2) type name, bottoms, tops,
phase rules and loss weights, each with the syntax-tree field it came from so
diagnostics can point at it.  The old ``input:``/``input_dim:``/``input_shape``
header becomes an ``Input`` layer named ``input``, as Caffe's UpgradeNetInput
makes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..layers.params import Params
from ..layers.registry import by_v0, by_v1, lookup
from ..layers.shapes import Shape
from ..layers.spec import LayerSpec
from ..schema.model import Schema
from ..syntax.tree import Document, Field, Message, Scalar
from .v0 import V0_PARAM_ALIASES


@dataclass
class BlobRef:
    """A ``bottom:`` or ``top:`` entry: the blob's name and where it is written."""

    name: str
    field: Field | None


@dataclass
class LayerView:
    index: int
    name: str
    type: str  # canonical V2 type; "" when the file gives none
    type_written: str
    style: str  # "V2", "V1", "V0" or "header"
    block: Field | None  # the `layer`/`layers` field (None for the header input)
    body: Message | None  # where the layer's own fields are (V0: the inner `layer`)
    outer: Message | None  # where bottom/top/include are (V0: the outer `layers` block)
    bottoms: list[BlobRef] = field(default_factory=list)
    tops: list[BlobRef] = field(default_factory=list)
    loss_weights: list[float] = field(default_factory=list)
    #: Shapes fixed by the file itself (the old input header).
    fixed_shapes: list[Shape] | None = None
    _spec: object = field(default=False, repr=False, compare=False)

    @property
    def spec(self) -> LayerSpec | None:
        """The registry's entry for the type (looked up once: the registry is fixed once loaded)."""
        spec = self._spec
        if spec is False:
            spec = self._spec = lookup(self.type) if self.type else None
        return spec  # type: ignore[return-value]

    def name_field(self) -> Field | None:
        return self.body.first("name") if self.body is not None else None

    def type_field(self) -> Field | None:
        return self.body.first("type") if self.body is not None else None

    def anchor(self) -> Field | None:
        """The field to report layer-level findings on: its name, else its type, else its block."""
        return self.name_field() or self.type_field() or self.block

    def layer_params(self, schema: Schema) -> Params:
        """The layer's whole block, for blocks other than its type's (``transform_param``)."""
        if self.style == "V0":
            return _V0Layer(self.body, schema.message("V0LayerParameter"), schema)
        mdef = schema.message("V1LayerParameter" if self.style == "V1" else "LayerParameter")
        return Params(self.outer, mdef, schema)

    def type_params(self, schema: Schema, spec: LayerSpec) -> Params:
        """The block of the type's parameters (``convolution_param``), with defaults."""
        if self.style == "V0":
            return self.layer_params(schema).message(spec.param or "")
        layer_mdef = schema.message("LayerParameter")
        fd = layer_mdef.fields.get(spec.param) if (layer_mdef is not None and spec.param) else None
        v2_mdef = schema.field_message(fd) if fd is not None else None
        if not spec.param or self.body is None:
            return Params(None, v2_mdef, schema)
        own_mdef = schema.message("V1LayerParameter" if self.style == "V1" else "LayerParameter")
        holder = Params(self.body, own_mdef, schema)
        sub = holder.messages(spec.param)
        return sub[-1] if sub else Params(None, v2_mdef, schema)


class _V0Layer(Params):
    """A V0 inner layer seen as a V2 layer: ``message("transform_param")`` reads
    the flat old fields (``cropsize``, ``meanfile``) through the alias table."""

    __slots__ = ()

    def message(self, name: str) -> Params:
        layer_mdef = self.schema.message("LayerParameter")
        fd = layer_mdef.fields.get(name) if layer_mdef is not None else None
        v2_mdef = self.schema.field_message(fd) if fd is not None else None
        aliases = V0_PARAM_ALIASES.get(name)
        if aliases is None:
            # V0 had no such block (softmax_param, flatten_param...): Caffe's
            # upgrade leaves it unset, so every value is the V2 default.
            return Params(None, v2_mdef, self.schema)
        return Params(self.node, self.mdef, self.schema, aliases, v2_mdef)


@dataclass
class InputProblem:
    message: str
    field: Field | None


@dataclass
class NetView:
    name: str
    layers: list[LayerView]
    #: Stages and level from the net's own `state { }` block.
    stages: list[str] = field(default_factory=list)
    level: int = 0
    problems: list[InputProblem] = field(default_factory=list)
    _named: set[str] | None = field(default=None, repr=False, compare=False)

    def phases_named(self) -> set[str]:
        """Phases the include/exclude rules mention (computed once; see phase.named_phases)."""
        if self._named is None:
            from .phase import named_phases

            self._named = named_phases(self.layers)
        return self._named


def _strings(block: Message | None, name: str) -> list[BlobRef]:
    if block is None:
        return []
    out = []
    for f in block.fields:
        if f.name == name:
            for v in f.values():
                if isinstance(v, Scalar) and v.kind == "string":
                    out.append(BlobRef(v.string_value, f))
    return out


def _scalar_text(block: Message | None, name: str) -> tuple[str, Scalar | None]:
    f = block.first(name) if block is not None else None
    if f is None or not isinstance(f.value, Scalar):
        return "", None
    v = f.value
    return (v.string_value if v.kind == "string" else v.text), v


def _floats(block: Message | None, name: str) -> list[float]:
    out = []
    for f in (block.get(name) if block is not None else []):
        for v in f.values():
            if isinstance(v, Scalar) and v.kind == "number":
                n = v.number_value
                if n is not None:
                    out.append(float(n))
    return out


def build_net(doc: Document, schema: Schema, memo=None) -> NetView:
    """Normalise every layer of a parsed net, in file order.

    ``memo`` (the server's, analysis/memo.py) hands back the LayerView of a
    block an edit did not touch; only its index is brought up to date.
    """
    root = doc.root
    name, _ = _scalar_text(root, "name")
    layers: list[LayerView] = []
    net = NetView(name, layers)
    header = _header_input(root, net)
    if header is not None:
        layers.append(header)
    for f in root.fields:
        if not isinstance(f.value, Message) or f.name not in ("layer", "layers"):
            continue
        if memo is not None:
            hit = memo.get("view", f)
            if hit is not None:
                view = hit[0]
                view.index = len(layers)
                layers.append(view)
                continue
        view = _layer_view(len(layers), f)
        if memo is not None:
            memo.put("view", f, None, view)
        layers.append(view)
    state = root.first("state")
    if state is not None and isinstance(state.value, Message):
        p = Params(state.value, schema.message("NetState"), schema)
        net.stages = [s for s in p.all("stage")]
        net.level = p.get("level") or 0
    return net


def _layer_view(index: int, f: Field) -> LayerView:
    if f.name == "layer":
        return _v2(index, f)
    inner = f.value.first("layer")
    if inner is not None and isinstance(inner.value, Message):
        return _v0(index, f, inner.value)
    return _v1(index, f)


def _v2(index: int, f: Field) -> LayerView:
    body = f.value
    name, _ = _scalar_text(body, "name")
    written, _ = _scalar_text(body, "type")
    return LayerView(index, name, written, written, "V2", f, body, body,
                     _strings(body, "bottom"), _strings(body, "top"), _floats(body, "loss_weight"))


def _v1(index: int, f: Field) -> LayerView:
    body = f.value
    name, _ = _scalar_text(body, "name")
    written, _ = _scalar_text(body, "type")
    canonical = by_v1(written) or ""
    return LayerView(index, name, canonical, written, "V1", f, body, body,
                     _strings(body, "bottom"), _strings(body, "top"), _floats(body, "loss_weight"))


def _v0(index: int, f: Field, inner: Message) -> LayerView:
    outer = f.value
    name, _ = _scalar_text(inner, "name")
    written, _ = _scalar_text(inner, "type")
    canonical = by_v0(written) or ("Padding" if written == "padding" else "")
    return LayerView(index, name, canonical, written, "V0", f, inner, outer,
                     _strings(outer, "bottom"), _strings(outer, "top"))


def _header_input(root: Message, net: NetView) -> LayerView | None:
    """``input: "data"`` + 4 ``input_dim`` (or one ``input_shape``) per input -> an Input layer.

    As in Caffe's UpgradeNetInput: an ``input`` with neither dims nor shapes
    is simply dropped (old deploy files carry it beside a real Input layer).
    """
    inputs = _strings(root, "input")
    if not inputs:
        return None
    dims: list[tuple[int, Field]] = []
    for f in root.get("input_dim"):
        for v in f.values():
            if isinstance(v, Scalar) and v.kind == "number" and isinstance(v.number_value, int):
                dims.append((v.number_value, f))
    shapes_fields = [f for f in root.get("input_shape") if isinstance(f.value, Message)]
    if not dims and not shapes_fields:
        return None
    shapes: list[Shape] = []
    if shapes_fields:
        for f in shapes_fields:
            shapes.append(tuple(int(v.number_value) for d in f.value.get("dim") for v in d.values()
                                if isinstance(v, Scalar) and isinstance(v.number_value, int)))
        if len(shapes) != len(inputs):
            net.problems.append(InputProblem(
                f"{len(inputs)} input(s) but {len(shapes)} input_shape block(s): give exactly one per input",
                shapes_fields[0]))
    else:
        if len(dims) != 4 * len(inputs):
            net.problems.append(InputProblem(
                f"{len(inputs)} input(s) need {4 * len(inputs)} input_dim values (4 each: N, C, H, W); "
                f"found {len(dims)}", dims[0][1]))
        values = [d for d, _ in dims]
        shapes = [tuple(values[4 * i: 4 * i + 4]) for i in range(len(inputs))]
        shapes = [s if len(s) == 4 else None for s in shapes]
    first = inputs[0].field
    view = LayerView(0, "input", "Input", "Input", "header", first, None, None, [], inputs)
    view.fixed_shapes = (shapes + [None] * len(inputs))[: len(inputs)]
    return view
