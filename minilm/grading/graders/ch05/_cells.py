"""Shared by the cell graders: random cell problems and minilm's answers."""

from hypothesis import strategies as st

import minilm
import minilm.nn as nn
from minilm.backend import np
from minilm.testing import arrays, floats


@st.composite
def cell_problems(draw, gates: int, steps: int = 1):
    """(xs (steps, B, I), h (B, H), c (B, H), W_ih, W_hh, b_ih, b_hh) in float64."""
    B, I, H = draw(st.integers(1, 4)), draw(st.integers(1, 5)), draw(st.integers(1, 5))
    small = floats(-2, 2)
    return (draw(arrays((steps, B, I), small)), draw(arrays((B, H), small)),
            draw(arrays((B, H), small)), draw(arrays((I, gates * H), small)),
            draw(arrays((H, gates * H), small)), draw(arrays((gates * H,), small)),
            draw(arrays((gates * H,), small)))  # fmt: skip


def load_cell(cell, W_ih, W_hh, b_ih, b_hh):
    for name, value in zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh"),
                           (W_ih, W_hh, b_ih, b_hh)):  # fmt: skip
        getattr(cell, name).data[...] = value
    return cell


def minilm_layer(kind, xs, h, c, W_ih, W_hh, b_ih, b_hh):
    """minilm's (outputs (T, B, H), final h, final c or None) for the problem."""
    I, H = W_ih.shape[0], h.shape[1]
    layer = {"lstm": nn.LSTM, "gru": nn.GRU}[kind](I, H, batch_first=False, dtype=np.float64)
    load_cell(layer.cells[0], W_ih, W_hh, b_ih, b_hh)
    h0 = minilm.tensor(h[None].copy())
    if kind == "lstm":
        y, (hn, cn) = layer(minilm.tensor(xs.copy()), (h0, minilm.tensor(c[None].copy())))
        return y.numpy(), hn.numpy()[0], cn.numpy()[0]
    y, hn = layer(minilm.tensor(xs.copy()), h0)
    return y.numpy(), hn.numpy()[0], None
