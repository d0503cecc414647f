"""Exercise 2 (3 points): one time step of a GRU cell, in NumPy.

With x (B, I), the previous state h (B, H), and minilm's (and PyTorch's) layout
(W_ih (I, 3H), W_hh (H, 3H), b_ih and b_hh (3H,), gates in the order r, z, n):

    xw = x @ W_ih + b_ih,   hw = h @ W_hh + b_hh          (B, 3H) each
    r = sigmoid(xw_r + hw_r)                                reset gate
    z = sigmoid(xw_z + hw_z)                                update gate
    n = tanh(xw_n + r * hw_n)                               candidate
    h' = (1 - z) * n + z * h

Note where the reset gate goes: it multiplies ``h @ W_hn + b_hn``, after the
matrix product (the variant PyTorch and cuDNN use).

Write ``gru_cell(x, h, W_ih, W_hh, b_ih, b_hh)`` returning ``h'``.

Checked against ``minilm.nn.GRUCell``: one step (2 points) and five steps with
the state carried, against ``minilm.nn.GRU`` (1 point).

    python -m minilm grade chapters/05_sequence_models/exercises/ex2_gru_cell.py
"""

from minilm.backend import np  # noqa: F401 - NumPy, for your solution


def gru_cell(x, h, W_ih, W_hh, b_ih, b_hh):
    """One GRU step: returns h_new (B, H)."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write gru_cell")
    ### END YOUR SOLUTION
