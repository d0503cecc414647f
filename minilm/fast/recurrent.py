"""The LSTM and GRU cells' gate arithmetic as one Function each.

A step of either cell, after its two matrix products, is about fifteen small
ops (:func:`minilm.functional.lstm_gates`, :func:`~minilm.functional.gru_gates`);
on small batches the cost of each op call, not the arithmetic, sets the speed.
:class:`LSTMGates` and :class:`GRUGates` run the same formulas on arrays in one
op, with a backward written out on arrays. Their reference backward
differentiates the composed formulas with Tensor ops, so ``create_graph=True``
still gives higher derivatives. The cells in :mod:`minilm.nn.recurrent` look
them up as ``fast.lookup("lstm_gates", device)``.
"""

from __future__ import annotations

from .. import functional as F
from .. import ops
from ..backend import get_array_module
from ..tensor import Function, Tensor, enable_grad, grad, is_grad_enabled
from . import register, register_backward

_make = Tensor._make


def _like(grad, t):
    """A gradient in its input's dtype, as the reference (``grad``) returns it."""
    return _make(grad.astype(t.dtype, copy=False))


def _array_fns(x):
    """(xp, sigmoid, tanh) on raw arrays of x's device."""
    xp = get_array_module(x)
    # sigmoid(v) = (1 + tanh(v/2)) / 2: one transcendental, and no overflow for any v
    return xp, lambda v: 0.5 * (1 + xp.tanh(0.5 * v)), xp.tanh


def _differentiate(fn, inputs, grad_out):
    """Input gradients of ``fn(*inputs)``, by the engine: differentiable when a
    graph is being built (``create_graph``)."""
    create_graph = is_grad_enabled()
    need = [t for t in inputs if t.requires_grad]
    with enable_grad():
        out = fn(*inputs)
    got = iter(grad(out, need, grad_outputs=grad_out, create_graph=create_graph))
    return tuple(next(got) if t.requires_grad else None for t in inputs)


def composed_lstm(a, c):
    """What :class:`LSTMGates` computes, with ordinary ops: [h', c']."""
    i, f, g, o, c_new, tc = F.lstm_gates(a, c)
    return ops.concatenate([o * tc, c_new], axis=-1)


def composed_gru(xw, hw, h):
    """What :class:`GRUGates` computes, with ordinary ops: h'."""
    return F.gru_gates(xw, hw, h)[-1]


class LSTMGates(Function):
    """``[h', c']`` (B, 2H) from gate preactivations ``a`` (B, 4H) and cell ``c`` (B, H).

    The array backward, with dh, dc the output gradient's halves and tc = tanh(c')::

        dc_total = dc + dh * o * (1 - tc^2)
        da = [dc_total*g * i(1-i), dc_total*c * f(1-f), dc_total*i * (1-g^2), dh*tc * o(1-o)]
        dc_prev = dc_total * f
    """

    def forward(self, a, c):
        xp, sigmoid, tanh = _array_fns(a)
        self.saved = F.lstm_gates(a, c, sigmoid, tanh)
        i, f, g, o, c_new, tc = self.saved
        return xp.concatenate([o * tc, c_new], axis=-1)

    def backward(self, grad_out):
        return _differentiate(composed_lstm, self.inputs, grad_out)


@register_backward(LSTMGates)
def lstm_gates_backward(fn, grad_out):
    i, f, g, o, _, tc = fn.saved
    c = fn.inputs[1].data
    H = c.shape[-1]
    G = grad_out.data
    dh, dc = G[:, :H], G[:, H:]
    dct = dc + dh * o * (1 - tc * tc)
    da = get_array_module(G).concatenate(
        [dct * g * i * (1 - i), dct * c * f * (1 - f), dct * i * (1 - g * g),
         dh * tc * o * (1 - o)], axis=-1)  # fmt: skip
    return _like(da, fn.inputs[0]), _like(dct * f, fn.inputs[1])


class GRUGates(Function):
    """``h'`` (B, H) from ``xw`` (B, 3H), ``hw`` (B, 3H) and ``h`` (B, H).

    The array backward, with dh' the output gradient and hn = hw's third block::

        dz = dh' * (h - n);  dn = dh' * (1 - z);  dan = dn * (1 - n^2);  dr = dan * hn
        dxw = [dr * r(1-r), dz * z(1-z), dan];  dhw = [same, same, dan * r];  dh = dh' * z
    """

    def forward(self, xw, hw, h):
        xp, sigmoid, tanh = _array_fns(xw)
        r, z, n, h_new = F.gru_gates(xw, hw, h, sigmoid, tanh)
        self.saved = r, z, n
        return h_new

    def backward(self, grad_out):
        return _differentiate(composed_gru, self.inputs, grad_out)


@register_backward(GRUGates)
def gru_gates_backward(fn, grad_out):
    r, z, n = fn.saved
    xw, hw, h = (t.data for t in fn.inputs)
    H = h.shape[-1]
    d = grad_out.data
    dz = d * (h - n) * z * (1 - z)
    dan = d * (1 - z) * (1 - n * n)
    dr = dan * hw[:, 2 * H :] * r * (1 - r)
    xp = get_array_module(d)
    dxw = xp.concatenate([dr, dz, dan], axis=-1)
    dhw = xp.concatenate([dr, dz, dan * r], axis=-1)
    return _like(dxw, fn.inputs[0]), _like(dhw, fn.inputs[1]), _like(d * z, fn.inputs[2])


register("lstm_gates")(LSTMGates.apply)
register("gru_gates")(GRUGates.apply)
