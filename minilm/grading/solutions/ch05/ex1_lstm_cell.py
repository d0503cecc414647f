"""Reference solution: chapters/05_sequence_models/exercises/ex1_lstm_cell.py."""

from minilm.backend import np


def _sigmoid(a):
    return 0.5 * (1 + np.tanh(0.5 * a))


def lstm_cell(x, h, c, W_ih, W_hh, b_ih, b_hh):
    H = h.shape[-1]
    a = x @ W_ih + b_ih + h @ W_hh + b_hh  # (B, 4H)
    i = _sigmoid(a[:, :H])
    f = _sigmoid(a[:, H : 2 * H])
    g = np.tanh(a[:, 2 * H : 3 * H])
    o = _sigmoid(a[:, 3 * H :])
    c_new = f * c + i * g
    h_new = o * np.tanh(c_new)
    return h_new, c_new
