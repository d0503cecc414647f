"""Reference solution: chapters/05_sequence_models/exercises/ex5_rnn_bptt.py."""

from minilm.backend import np


def rnn_bptt(xs, h0, W_ih, W_hh, b, grad_hs):
    T = len(xs)
    hs = [h0]
    for t in range(T):  # forward, keeping every state
        hs.append(np.tanh(xs[t] @ W_ih + hs[-1] @ W_hh + b))
    dxs = np.zeros_like(xs)
    dW_ih, dW_hh, db = np.zeros_like(W_ih), np.zeros_like(W_hh), np.zeros_like(b)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        dh = grad_hs[t] + dh_next
        da = dh * (1 - hs[t + 1] ** 2)  # (B, H)
        dW_ih += xs[t].T @ da
        dW_hh += hs[t].T @ da
        db += da.sum(axis=0)
        dxs[t] = da @ W_ih.T
        dh_next = da @ W_hh.T
    return dxs, dh_next, dW_ih, dW_hh, db
