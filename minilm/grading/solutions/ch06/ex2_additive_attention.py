"""Reference solution: chapters/06_attention_seq2seq/exercises/ex2_additive_attention.py."""

from minilm.backend import np


def additive_weights(query, keys, W_q, W_k, b_k, v, mask):
    hidden = np.tanh((query @ W_q)[:, None, :] + keys @ W_k + b_k)  # (B, S, h)
    scores = hidden @ v  # (B, S)
    scores = np.where(mask, scores, -np.inf)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
