"""Torch ops for the recurrent layers (mirrors ``prototxt_ls.layers.recurrent``).

Caffe runs RNN and LSTM as an unrolled inner net (RNNLayer/LSTMLayer::
FillUnrolledNet); these ops compute the same thing step by step:

* the input transform W x_t + b for all T steps at once (InnerProduct on
  axis 2), and a static input's W_s x_static once (no bias);
* per step, the previous hidden state is first multiplied by cont_t (a
  Scale layer on axis 0), so cont_t = 0 starts a new sequence;
* LSTM: gates = W_hc (cont_t h_{t-1}) + W_xc x_t + b_c (+ W_s x_static),
  then LSTMUnit; RNN: h_t = tanh(W_hh (cont_t h_{t-1}) + W_xh x_t + b_h
  (+ W_s x_static)) and the output o_t = tanh(W_ho h_t + b_o).

Blobs are in the registry's order (``_recurrent_weights``).  Without
expose_hidden the state at t = 0 is the final state of the previous forward
pass (zeros at first), as RecurrentLayer::Forward copies h_T/c_T back into
h_0/c_0; with expose_hidden it comes from the bottoms and the final state is
given as extra tops.
"""

from __future__ import annotations

import torch

from .base import CaffeOp, OpContext, Unsupported


def lstm_unit_step(c_prev: torch.Tensor, gates: torch.Tensor, cont: torch.Tensor):
    """LSTMUnitLayer on (..., H) cells and (..., 4H) gate inputs in Caffe's order
    i, f, o, g: the forget gate is multiplied by cont (0 forgets c_prev); returns (c, h)."""
    i, f, o, g = gates.chunk(4, dim=-1)
    i, o, g = torch.sigmoid(i), torch.sigmoid(o), torch.tanh(g)
    f = cont.unsqueeze(-1) * torch.sigmoid(f)
    c = f * c_prev + i * g
    return c, o * torch.tanh(c)


class LSTMUnit(CaffeOp):
    """LSTMUnitLayer: bottoms c_{t-1} (1 x N x H), gate inputs (1 x N x 4H), cont (1 x N);
    tops c_t and h_t (1 x N x H).  Caffe does not propagate to cont."""

    def forward(self, *bottoms: torch.Tensor) -> tuple[torch.Tensor, ...]:
        c_prev, gates, cont = bottoms
        return lstm_unit_step(c_prev, gates, cont.detach().to(c_prev.dtype))


def lstm_unit(ctx: OpContext) -> CaffeOp:
    """LSTMUnitLayer: one element-wise LSTM step, no blobs."""
    return LSTMUnit(ctx)


class Recurrent(CaffeOp):
    """RNN or LSTM over T timesteps of N streams (see the module docstring)."""

    def __init__(self, ctx: OpContext, kind: str, hidden: int, static: bool, exposed: bool) -> None:
        super().__init__(ctx)
        self.kind, self.hidden, self.static, self.exposed = kind, hidden, static, exposed
        self.n_states = 2 if kind == "LSTM" else 1
        #: The final state of the previous forward pass (expose_hidden false), detached.
        self.carry: list[torch.Tensor] | None = None

    def extra_repr(self) -> str:
        return f"{self.kind}, num_output={self.hidden}" + (", static input" if self.static else "") + \
            (", expose_hidden" if self.exposed else "")

    def _weights(self):
        b = list(self.blobs)
        w_x, b_x = b[0], b[1]
        w_s = b[2] if self.static else None
        rest = b[3:] if self.static else b[2:]
        return w_x, b_x, w_s, rest

    def _initial(self, bottoms, n: int, like: torch.Tensor) -> list[torch.Tensor]:
        if self.exposed:
            first = 2 + int(self.static)
            return [s.reshape(n, self.hidden) for s in bottoms[first:first + self.n_states]]
        if self.carry is not None and self.carry[0].shape == (n, self.hidden):
            return [s.to(like) for s in self.carry]
        return [like.new_zeros(n, self.hidden) for _ in range(self.n_states)]

    def forward(self, *bottoms: torch.Tensor) -> tuple[torch.Tensor, ...]:
        x, cont = bottoms[0], bottoms[1]
        t_steps, n = x.shape[0], x.shape[1]
        w_x, b_x, w_s, rest = self._weights()
        x_proj = x.reshape(t_steps, n, -1) @ w_x.t() + b_x
        if self.static:
            x_proj = x_proj + (bottoms[2].reshape(n, -1) @ w_s.t()).unsqueeze(0)
        cont = cont.detach().reshape(t_steps, n).to(x_proj.dtype)
        state = self._initial(bottoms, n, x_proj)
        outputs = []
        for t in range(t_steps):
            h_in = state[0] * cont[t].unsqueeze(-1)
            pre = h_in @ rest[0].t() + x_proj[t]
            if self.kind == "LSTM":
                c, h = lstm_unit_step(state[1], pre, cont[t])
                state = [h, c]
                outputs.append(h)
            else:
                h = torch.tanh(pre)
                state = [h]
                outputs.append(torch.tanh(h @ rest[1].t() + rest[2]))
        top = torch.stack(outputs) if outputs else x_proj.new_zeros(0, n, self.hidden)
        if self.exposed:
            return (top, *(s.unsqueeze(0) for s in state))
        self.carry = [s.detach() for s in state]
        return (top,)


def _build(ctx: OpContext, kind: str) -> CaffeOp:
    """RecurrentLayer::LayerSetUp's reading: x_static is there when the bottoms
    outnumber x, cont and the exposed states."""
    hidden = int(ctx.p.get("num_output") or 0)
    if hidden <= 0:
        raise Unsupported(f"{kind} needs a positive recurrent_param {{ num_output }}")
    exposed = bool(ctx.p.get("expose_hidden"))
    states = (2 if kind == "LSTM" else 1) if exposed else 0
    static = len(ctx.layer.bottoms) > 2 + states
    expected = (3 + int(static)) + (2 if kind == "RNN" else 0)
    if len(ctx.blobs) != expected:
        raise Unsupported(f"{kind} expects {expected} blobs (see the registry's weights), got {len(ctx.blobs)}")
    return Recurrent(ctx, kind, hidden, static, exposed)


def rnn(ctx: OpContext) -> CaffeOp:
    """RNNLayer unrolled (Elman net with a tanh output layer)."""
    return _build(ctx, "RNN")


def lstm(ctx: OpContext) -> CaffeOp:
    """LSTMLayer unrolled (gates i, f, o, g from one 4H-row product)."""
    return _build(ctx, "LSTM")
