"""Recurrent layers: RNN and LSTM (recurrent_param), and LSTMUnit.

Caffe builds RNN and LSTM by unrolling them into an inner net of
InnerProduct, Scale, Eltwise, TanH/LSTMUnit, Slice and Concat layers (see
RNNLayer/LSTMLayer::FillUnrolledNet), one step per timestep.  The layer's
learnable blobs are the inner net's owned parameters in the order the inner
layers first use them:

* LSTM: W_xc [4H, D], b_c [4H], (W_xc_static [4H, S] with a static input),
  W_hc [4H, H];
* RNN:  W_xh [H, D],  b_h [H],  (W_xh_static [H, S]), W_hh [H, H],
  W_ho [H, H], b_o [H];

where H is num_output, D the size of one timestep of one stream of x (all
axes after the first two) and S that of one stream of x_static (all axes
after the first).  Bottoms are x (T, N, ...), cont (T, N), an optional
x_static (N, ...) and, with expose_hidden, the initial hidden state(s)
(1, N, H); the top is (T, N, H) plus, with expose_hidden, the final hidden
state(s).

MACs count the matrix products only: T*N*G*D for the input transform (G =
4H gate rows for LSTM, H for RNN), N*G*S once for a static input, T*N*G*H
for the recurrent transform, and for RNN another T*N*H*H for the output
layer.  LSTMUnit (element-wise gate arithmetic) has none.
"""

from __future__ import annotations

from .registry import register
from .shapes import Dim, Shape, ShapeError, count, fmt, mul
from .spec import LayerContext, LayerSpec

#: RecurrentInputBlobNames: how many hidden-state blobs each type carries.
_STATES = {"RNN": 1, "LSTM": 2}
_STATE_NAMES = {"RNN": ("h_0",), "LSTM": ("h_0", "c_0")}


def _num_output(ctx: LayerContext) -> int:
    h = ctx.p.get("num_output") or 0
    if h <= 0:
        raise ShapeError(f"{ctx.type} needs a positive recurrent_param {{ num_output }}",
                         "num_output" if ctx.p.has("num_output") else None, code="G308")
    return h


def _layout(ctx: LayerContext) -> tuple[int, bool]:
    """(number of exposed hidden states, whether x_static is given), checking the counts."""
    states = _STATES[ctx.type] if ctx.p.get("expose_hidden") else 0
    nb, lo = len(ctx.bottoms), 2 + states
    if nb < lo or nb > lo + 1:
        extra = f" (x, cont, optional x_static, then {', '.join(_STATE_NAMES[ctx.type])})" if states else \
            " (x, cont and an optional x_static)"
        raise ShapeError(f"{ctx.type} with expose_hidden {'true' if states else 'false'} takes {lo} or {lo + 1} "
                         f"bottoms{extra}; got {nb}", "bottom", lo + 1 if nb > lo + 1 else None, code="G304")
    if ctx.n_tops != 1 + states:
        raise ShapeError(f"{ctx.type} with expose_hidden {'true' if states else 'false'} produces exactly "
                         f"{1 + states} top(s); got {ctx.n_tops}", "top", min(ctx.n_tops, 1 + states) if
                         ctx.n_tops > 1 + states else None, code="G305")
    return states, nb > lo


def _dims(ctx: LayerContext) -> tuple[Dim, Dim, Shape, Shape, int, bool]:
    """T, N, x, x_static, exposed states, has x_static: RecurrentLayer::LayerSetUp's checks."""
    states, static = _layout(ctx)
    x, cont = ctx.bottoms[0], ctx.bottoms[1]
    x_static = ctx.bottoms[2] if static else None
    T = N = None
    if x is not None:
        if len(x) < 2:
            raise ShapeError(f"x (bottom 0) must have at least 2 axes (timesteps, streams, ...); got {fmt(x)}",
                             "bottom", 0, code="H401")
        T, N = x[0], x[1]
    if cont is not None:
        if len(cont) != 2:
            raise ShapeError(f"cont (bottom 1) must have exactly 2 axes (timesteps, streams); got {fmt(cont)}",
                             "bottom", 1, code="H401")
        for i, (a, b, what) in enumerate(((T, cont[0], "timesteps"), (N, cont[1], "streams"))):
            if a is not None and b is not None and a != b:
                raise ShapeError(f"cont {fmt(cont)} must match x {fmt(x)} in {what} (axis {i})",
                                 "bottom", 1, code="H401")
        T = T if T is not None else cont[0]
        N = N if N is not None else cont[1]
    if x_static is not None:
        if len(x_static) < 1:
            raise ShapeError("x_static (bottom 2) needs at least 1 axis (streams, ...)", "bottom", 2, code="H401")
        if N is not None and x_static[0] is not None and x_static[0] != N:
            raise ShapeError(f"x_static {fmt(x_static)} must have N = {N} streams on axis 0",
                             "bottom", 2, code="H401")
    return T, N, x, x_static, states, static


def _unrolled_checks(x: Shape, x_static: Shape) -> None:
    """The unrolled net's InnerProduct layers use axis 2 on x and axis 1 on x_static:
    CanonicalAxisIndex refuses a blob without that axis."""
    if x is not None and len(x) < 3:
        raise ShapeError(f"x (bottom 0) needs a feature axis after (timesteps, streams): the unrolled net's "
                         f"InnerProduct works on axis 2, but x is {fmt(x)}", "bottom", 0, code="H401")
    if x_static is not None and len(x_static) < 2:
        raise ShapeError(f"x_static (bottom 2) needs a feature axis after streams: the unrolled net's "
                         f"InnerProduct works on axis 1, but x_static is {fmt(x_static)}", "bottom", 2, code="H401")


def _setup(ctx: LayerContext):
    """LayerSetUp in Caffe's order: counts and input checks, num_output (FillUnrolledNet),
    then the unrolled net's own checks."""
    T, N, x, x_static, states, static = _dims(ctx)
    h = _num_output(ctx)
    _unrolled_checks(x, x_static)
    return T, N, x, x_static, states, static, h


def _recurrent_shape(ctx: LayerContext) -> list[Shape]:
    T, N, _, _, states, static, h = _setup(ctx)
    state = (1, N, h)
    first = 2 + int(static)
    for j in range(states):
        b = ctx.bottoms[first + j]
        if b is not None and (len(b) != 3 or any(d is not None and s is not None and d != s
                                                   for d, s in zip(b, state))):
            raise ShapeError(f"bottom {first + j} ({_STATE_NAMES[ctx.type][j]}) must have the hidden state "
                             f"shape {fmt(state)}; got {fmt(b)}", "bottom", first + j, code="H401")
    return [(T, N, h)] + [state] * states


def _recurrent_weights(ctx: LayerContext) -> list[Shape]:
    _, _, x, x_static, _, static, h = _setup(ctx)
    gates = 4 * h if ctx.type == "LSTM" else h
    w: list[Shape] = [(gates, count(x, 2)), (gates,)]
    if static:
        w.append((gates, count(x_static, 1)))
    w.append((gates, h))
    if ctx.type == "RNN":
        w += [(h, h), (h,)]
    return w


def _recurrent_macs(ctx: LayerContext, tops: list[Shape]) -> int | None:
    """Multiply-accumulates of the matrix products of one forward pass.

    With G = 4H gate rows for LSTM (H for RNN): the input transform costs
    T*N*G*D, the static one N*G*S (computed once, not per step), the
    recurrent one T*N*G*H, and RNN's output layer another T*N*H*H.  The
    element-wise gate arithmetic is not counted.
    """
    T, N, x, x_static, _, static, h = _setup(ctx)
    gates = 4 * h if ctx.type == "LSTM" else h
    parts = [mul(T, N, gates, count(x, 2)), mul(T, N, gates, h)]
    if static:
        parts.append(mul(N, gates, count(x_static, 1)))
    if ctx.type == "RNN":
        parts.append(mul(T, N, h, h))
    if any(p is None for p in parts):
        return None
    return sum(parts)  # type: ignore[arg-type]


# ------------------------------------------------------------------ LSTMUnit
def _lstm_unit_shape(ctx: LayerContext) -> list[Shape]:
    c_prev, gates, cont = ctx.bottoms[0], ctx.bottoms[1], ctx.bottoms[2]
    n_inst = c_prev[1] if c_prev is not None and len(c_prev) >= 2 else None
    for i, b in enumerate((c_prev, gates, cont)):
        if b is None:
            continue
        want = 2 if i == 2 else 3
        if len(b) != want:
            raise ShapeError(f"bottom {i} must have exactly {want} axes; got {fmt(b)}", "bottom", i, code="H401")
        if b[0] is not None and b[0] != 1:
            raise ShapeError(f"bottom {i} must hold a single timestep (axis 0 = 1); got {fmt(b)}",
                             "bottom", i, code="H401")
        if n_inst is not None and b[1] is not None and b[1] != n_inst:
            raise ShapeError(f"bottom {i} {fmt(b)} must have {n_inst} streams on axis 1 like bottom 0",
                             "bottom", i, code="H401")
    if c_prev is not None and gates is not None and c_prev[2] is not None and gates[2] is not None \
            and gates[2] != 4 * c_prev[2]:
        raise ShapeError(f"the gate input must have 4 x {c_prev[2]} = {4 * c_prev[2]} values per stream "
                         f"(i, f, o, g); got {fmt(gates)}", "bottom", 1, code="H401")
    return [c_prev, c_prev]


register(LayerSpec(
    "RNN", "recurrent_param", (2, 4), (1, 2), shape=_recurrent_shape, weights=_recurrent_weights,
    macs=_recurrent_macs, category="recurrent", torch="recurrent:rnn",
    doc="Simple recurrent net unrolled over T timesteps: h_t = tanh(W_hh h_{t-1} + W_xh x_t + b_h), "
        "o_t = tanh(W_ho h_t + b_o)."))

register(LayerSpec(
    "LSTM", "recurrent_param", (2, 5), (1, 3), shape=_recurrent_shape, weights=_recurrent_weights,
    macs=_recurrent_macs, category="recurrent", torch="recurrent:lstm",
    doc="Long short-term memory unrolled over T timesteps; the four gates come from one 4H-row product."))

register(LayerSpec(
    "LSTMUnit", None, (3, 3), (2, 2), shape=_lstm_unit_shape, category="recurrent",
    torch="recurrent:lstm_unit",
    doc="One LSTM step: from c_{t-1} (1xNxH), gate inputs (1xNx4H) and cont (1xN) gives c_t and h_t."))
