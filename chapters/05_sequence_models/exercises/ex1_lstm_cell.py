"""Exercise 1 (4 points): one time step of an LSTM cell, in NumPy.

With x (B, I), the previous state h, c (B, H), and minilm's weight layout
(W_ih (I, 4H), W_hh (H, 4H), b_ih and b_hh (4H,), the four gates side by side
in the order i, f, g, o):

    a = x @ W_ih + b_ih + h @ W_hh + b_hh          (B, 4H)
    i, f, g, o = sigmoid(a_i), sigmoid(a_f), tanh(a_g), sigmoid(a_o)
    c' = f * c + i * g
    h' = o * tanh(c')

Write ``lstm_cell(x, h, c, W_ih, W_hh, b_ih, b_hh)`` returning ``(h', c')``.

Checked against ``minilm.nn.LSTMCell``: one step (2 points), every gate in its
place when only one gate's weights are non-zero (1 point), and five steps with
the state carried, against ``minilm.nn.LSTM`` (1 point).

    python -m minilm grade chapters/05_sequence_models/exercises/ex1_lstm_cell.py
"""

from minilm.backend import np  # noqa: F401 - NumPy, for your solution


def lstm_cell(x, h, c, W_ih, W_hh, b_ih, b_hh):
    """One LSTM step: returns (h_new, c_new), each (B, H)."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write lstm_cell")
    ### END YOUR SOLUTION
