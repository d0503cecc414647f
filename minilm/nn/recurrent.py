"""Recurrent layers: RNN, LSTM and GRU, as cells (one time step) and layers (a sequence).

A **cell** maps one input ``x_t`` (B, I) and the previous state to the next
state. With ``x W`` meaning ``x @ W`` (minilm's (in, out) layout) and sigma the
logistic sigmoid, the three cells compute:

RNN::

    h_t = tanh(x_t W_ih + b_ih + h_{t-1} W_hh + b_hh)          (or relu)

LSTM (state (h, c); gates in the order i, f, g, o)::

    i = sigma(x W_ii + b_ii + h W_hi + b_hi)      input gate
    f = sigma(x W_if + b_if + h W_hf + b_hf)      forget gate
    g =  tanh(x W_ig + b_ig + h W_hg + b_hg)      candidate cell
    o = sigma(x W_io + b_io + h W_ho + b_ho)      output gate
    c_t = f * c_{t-1} + i * g
    h_t = o * tanh(c_t)

GRU (gates in the order r, z, n)::

    r = sigma(x W_ir + b_ir + h W_hr + b_hr)      reset gate
    z = sigma(x W_iz + b_iz + h W_hz + b_hz)      update gate
    n =  tanh(x W_in + b_in + r * (h W_hn + b_hn))  candidate
    h_t = (1 - z) * n + z * h_{t-1}

**Weight layout.** ``weight_ih`` is (input_size, G*hidden) and ``weight_hh``
(hidden, G*hidden), the gates side by side in the order above (G = 1, 4, 3);
``bias_ih`` and ``bias_hh`` are (G*hidden,). PyTorch stores the transposes,
(G*hidden, in), with the same gate order and the same two biases: to copy
PyTorch's ``weight_ih_l0`` into minilm, transpose it.

A **layer** (:class:`RNN`, :class:`LSTM`, :class:`GRU`) runs cells over a whole
sequence: ``num_layers`` stacked cells (dropout between them while training),
optionally a second stack reading the sequence backwards (``bidirectional``;
the two outputs are concatenated). Inputs are ``(B, T, I)`` by default
(``batch_first=True``, unlike PyTorch's default); states are
``(num_layers * num_directions, B, hidden)`` as in PyTorch. The layer returns
``(output, final_state)``; pass the final state back in to carry it across
windows of a long text (detach it first for truncated backpropagation through time).

**Speed.** An LSTM or GRU step written as above is about fifteen small ops
(:func:`minilm.functional.lstm_gates`, :func:`~minilm.functional.gru_gates`),
and on small batches the cost of each op, not the arithmetic, sets the speed.
The fast layer (:mod:`minilm.fast.recurrent`) registers the gate arithmetic
after the matrix products as one Function each, which the cells use when it is
there; ``MINILM_FUSED=0`` or ``minilm.fast.disabled()`` runs the composed
ops, the reference, instead (the tests check the two agree).
"""

from __future__ import annotations

import math

from .. import fast, ops
from .. import functional as F
from ..backend import np
from ..tensor import Tensor, zeros
from . import init
from .module import Module, ModuleList, Parameter

__all__ = ["RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU"]


# --------------------------------------------------------------------------
# Cells
# --------------------------------------------------------------------------


class _Cell(Module):
    gates = 1  # G: blocks of hidden_size in the weights

    def __init__(self, input_size, hidden_size, bias=True, device="cpu", dtype=np.float32):
        super().__init__()
        if input_size < 1 or hidden_size < 1:
            raise ValueError(
                f"{type(self).__name__}: input_size and hidden_size must be >= 1, "
                f"got {input_size} and {hidden_size}"
            )
        self.input_size, self.hidden_size = input_size, hidden_size
        G, H = self.gates, hidden_size
        bound = 1 / math.sqrt(H)  # PyTorch's initialization: U(-1/sqrt(H), 1/sqrt(H))

        def param(*shape):
            return init.uniform_(Parameter(zeros(*shape, device=device, dtype=dtype)),
                                 -bound, bound)  # fmt: skip

        self.weight_ih = param(input_size, G * H)
        self.weight_hh = param(H, G * H)
        self.bias_ih = param(G * H) if bias else None
        self.bias_hh = param(G * H) if bias else None

    def project(self, x: Tensor) -> Tensor:
        """The input's part of every gate, ``x W_ih + b_ih``: (..., I) -> (..., G*H).
        It does not depend on the state, so a layer computes it before the loop."""
        if x.shape[-1] != self.input_size:
            raise ValueError(
                f"{type(self).__name__}: input has {x.shape[-1]} features (shape {x.shape}) "
                f"but the cell expects input_size={self.input_size}"
            )
        return F.linear(x, self.weight_ih, self.bias_ih)

    def _hidden(self, h: Tensor) -> Tensor:
        return F.linear(h, self.weight_hh, self.bias_hh)  # (B, G*H)

    def initial_state(self, batch_size: int, like: Tensor):
        return zeros(batch_size, self.hidden_size, device=like.device, dtype=like.dtype)

    def forward(self, x: Tensor, state=None):
        """One time step: ``x`` (B, I) and the previous state (zeros when None) ->
        the next state: ``h`` (B, H), or ``(h, c)`` for an LSTM."""
        if x.ndim != 2:
            raise ValueError(f"{type(self).__name__}: x must be (batch, input_size), got {x.shape}")
        if state is None:
            state = self.initial_state(x.shape[0], x)
        return self.step(self.project(x), state)[1]

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}, bias={self.bias_ih is not None}"


class RNNCell(_Cell):
    """Elman RNN cell: ``h' = tanh(x W_ih + b_ih + h W_hh + b_hh)`` (or relu).

    >>> import minilm
    >>> cell = RNNCell(3, 5)
    >>> cell(minilm.randn(2, 3)).shape
    (2, 5)
    """

    gates = 1

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device="cpu",
                 dtype=np.float32):  # fmt: skip
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}"
            )
        super().__init__(input_size, hidden_size, bias, device, dtype)
        self.nonlinearity = nonlinearity

    def step(self, xw: Tensor, h: Tensor):
        """``xw`` = :meth:`project` of the input; returns (output, new state) = (h', h')."""
        pre = xw + self._hidden(h)
        h = ops.tanh(pre) if self.nonlinearity == "tanh" else ops.relu(pre)
        return h, h


class LSTMCell(_Cell):
    """Long short-term memory cell (Hochreiter and Schmidhuber, 1997; the forget
    gate of Gers et al., 2000). The state is ``(h, c)``.

    >>> import minilm
    >>> cell = LSTMCell(3, 5)
    >>> h, c = cell(minilm.randn(2, 3))
    >>> h.shape, c.shape
    ((2, 5), (2, 5))
    """

    gates = 4

    def initial_state(self, batch_size, like):
        h = super().initial_state(batch_size, like)
        return h, zeros(*h.shape, device=h.device, dtype=h.dtype)

    def step(self, xw: Tensor, state):
        """``xw`` = :meth:`project` of the input; returns (h', (h', c'))."""
        h, c = state
        a = xw + self._hidden(h)  # (B, 4H): every gate's preactivation
        gates = fast.lookup("lstm_gates", a.device)
        if gates is not None:
            hc = gates(a, c)  # (B, 2H): [h', c'] in one op
            h, c = hc[:, : self.hidden_size], hc[:, self.hidden_size :]
        else:
            i, f, g, o, c, tc = F.lstm_gates(a, c)
            h = o * tc
        return h, (h, c)


class GRUCell(_Cell):
    """Gated recurrent unit (Cho et al., 2014), PyTorch's variant: the reset gate
    multiplies ``h W_hn + b_hn`` (after the matrix product).

    >>> import minilm
    >>> cell = GRUCell(3, 5)
    >>> cell(minilm.randn(2, 3)).shape
    (2, 5)
    """

    gates = 3

    def step(self, xw: Tensor, h: Tensor):
        """``xw`` = :meth:`project` of the input; returns (h', h')."""
        hw = self._hidden(h)  # (B, 3H)
        gates = fast.lookup("gru_gates", h.device)
        h = gates(xw, hw, h) if gates is not None else F.gru_gates(xw, hw, h)[-1]
        return h, h


# --------------------------------------------------------------------------
# Layers
# --------------------------------------------------------------------------


class _Recurrent(Module):
    cell_class = RNNCell

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=True,
                 dropout=0.0, bidirectional=False, device="cpu", dtype=np.float32,
                 **cell_kwargs):  # fmt: skip
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"{type(self).__name__}: num_layers must be >= 1, got {num_layers}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"{type(self).__name__}: dropout must be in [0, 1), got {dropout}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.batch_first, self.dropout, self.bidirectional = batch_first, dropout, bidirectional
        D = 2 if bidirectional else 1

        def stack():
            return ModuleList(
                self.cell_class(input_size if k == 0 else D * hidden_size, hidden_size, bias,
                                device=device, dtype=dtype, **cell_kwargs)
                for k in range(num_layers))  # fmt: skip

        self.cells = stack()
        self.cells_reverse = stack() if bidirectional else None

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    # ---- the state: one tensor (L*D, B, H), or (h, c) for an LSTM ----
    def _split_state(self, state, batch, like):
        """Per (layer, direction) cell states, in PyTorch's order l0, l0_reverse, l1, ..."""
        n = self.num_layers * self.num_directions
        cells = [c for k in range(self.num_layers) for c in self._directions(k)]
        if state is None:
            return [c.initial_state(batch, like) for c in cells]
        want = (n, batch, self.hidden_size)
        for s in state if isinstance(state, tuple) else (state,):
            if s.shape != want:
                raise ValueError(
                    f"{type(self).__name__}: the initial state must have shape {want} "
                    f"(layers * directions, batch, hidden), got {s.shape}"
                )
        if isinstance(state, tuple):
            return [tuple(s[k] for s in state) for k in range(n)]
        return [state[k] for k in range(n)]

    @staticmethod
    def _join_state(states):
        if isinstance(states[0], tuple):
            return tuple(ops.stack(list(parts)) for parts in zip(*states))
        return ops.stack(states)  # (L*D, B, H)

    def _directions(self, k):
        return [self.cells[k]] + ([self.cells_reverse[k]] if self.bidirectional else [])

    def run(self, steps: list, state=None):
        """The layer over a list of T inputs of shape (B, I), one per time step;
        returns (list of T outputs (B, D*H), final state).

        :meth:`forward` calls this. Call it directly when the inputs already come
        one step at a time (say, embeddings looked up per step): splitting a
        (B, T, I) tensor that needs a gradient costs a (B, T, I) array per step
        in the backward pass.
        """
        if not steps:
            raise ValueError(f"{type(self).__name__}: got an empty sequence (T = 0)")
        B = steps[0].shape[0]
        states = self._split_state(state, B, steps[0])
        finals, T = [], len(steps)
        for k in range(self.num_layers):
            outs = []
            for d, cell in enumerate(self._directions(k)):
                s = states[k * self.num_directions + d]
                hs = [None] * T
                for t in range(T) if d == 0 else reversed(range(T)):
                    hs[t], s = cell.step(cell.project(steps[t]), s)
                outs.append(hs)
                finals.append(s)
            steps = outs[0] if len(outs) == 1 else [ops.concatenate(p, axis=-1) for p in zip(*outs)]
            if self.dropout and self.training and k < self.num_layers - 1:
                steps = [F.dropout(x, self.dropout) for x in steps]
        return steps, self._join_state(finals)

    def forward(self, x: Tensor, state=None):
        """``x`` (B, T, I) (or (T, B, I) with ``batch_first=False``) and an optional
        initial state -> ``(output (B, T, D*H), final state)``."""
        if x.ndim != 3:
            raise ValueError(
                f"{type(self).__name__}: x must be 3-D, (batch, time, features) with "
                f"batch_first=True, got shape {x.shape}"
            )
        if not self.batch_first:
            x = x.swapaxes(0, 1)  # (T, B, I) -> (B, T, I)
        outs, final = self.run([x[:, t] for t in range(x.shape[1])], state)
        y = ops.stack(outs, axis=1)  # (B, T, D*H)
        return (y if self.batch_first else y.swapaxes(0, 1)), final

    def extra_repr(self):
        extra = f", num_layers={self.num_layers}" if self.num_layers > 1 else ""
        extra += f", dropout={self.dropout}" if self.dropout else ""
        extra += ", bidirectional=True" if self.bidirectional else ""
        extra += ", batch_first=False" if not self.batch_first else ""
        return f"{self.input_size}, {self.hidden_size}{extra}"


class RNN(_Recurrent):
    """A stack of :class:`RNNCell` over a sequence. Returns ``(output, h_n)``.

    >>> import minilm
    >>> rnn = RNN(3, 5, num_layers=2)
    >>> y, h = rnn(minilm.randn(2, 7, 3))
    >>> y.shape, h.shape
    ((2, 7, 5), (2, 2, 5))
    """

    cell_class = RNNCell


class LSTM(_Recurrent):
    """A stack of :class:`LSTMCell` over a sequence. Returns ``(output, (h_n, c_n))``.

    >>> import minilm
    >>> lstm = LSTM(3, 5, bidirectional=True)
    >>> y, (h, c) = lstm(minilm.randn(2, 7, 3))
    >>> y.shape, h.shape, c.shape
    ((2, 7, 10), (2, 2, 5), (2, 2, 5))
    """

    cell_class = LSTMCell


class GRU(_Recurrent):
    """A stack of :class:`GRUCell` over a sequence. Returns ``(output, h_n)``.

    >>> import minilm
    >>> gru = GRU(3, 5)
    >>> y, h = gru(minilm.randn(2, 7, 3))
    >>> y.shape, h.shape
    ((2, 7, 5), (1, 2, 5))
    """

    cell_class = GRUCell
