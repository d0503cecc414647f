"""Exercise 5 (5 points): backpropagation through time for a tanh RNN, by hand.

The forward pass, for t = 1..T, with xs (T, B, I) and h_0 (B, H):

    h_t = tanh(x_t @ W_ih + h_{t-1} @ W_hh + b)        W_ih (I, H), W_hh (H, H), b (H,)

A loss L depends on the hidden states; you are given its *direct* gradients
``grad_hs[t-1] = dL/dh_t`` (T, B, H), as if each h_t fed a head. But h_t also
feeds h_{t+1}, so the total gradient reaching h_t is its direct gradient plus
what flows back from step t+1. Walk backward from t = T:

    dh    = grad_hs[t-1] + (gradient from step t+1; zero at t = T)
    da    = dh * (1 - h_t^2)                            through the tanh
    dW_ih += x_t^T da,  dW_hh += h_{t-1}^T da,  db += sum of da over the batch
    dx_t  = da @ W_ih^T
    (gradient to h_{t-1}) = da @ W_hh^T

Write ``rnn_bptt(xs, h0, W_ih, W_hh, b, grad_hs)`` returning
``(dxs, dh0, dW_ih, dW_hh, db)``, with the shapes of the inputs.

Checked against the gradients minilm's engine computes for the same RNN: the
weight and bias gradients (2 points), dxs and dh0 (2 points), and one-step
sequences (1 point).

    python -m minilm grade chapters/05_sequence_models/exercises/ex5_rnn_bptt.py
"""

from minilm.backend import np  # noqa: F401 - NumPy, for your solution


def rnn_bptt(xs, h0, W_ih, W_hh, b, grad_hs):
    """Gradients (dxs, dh0, dW_ih, dW_hh, db) of a tanh RNN through time."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write rnn_bptt")
    ### END YOUR SOLUTION
