"""Reference solution: chapters/06_attention_seq2seq/exercises/ex1_masked_attention.py."""

from minilm.backend import np


def attention(q, k, v, mask=None):
    d = q.shape[-1]
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(d)  # (..., T, S)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    scores = scores - scores.max(axis=-1, keepdims=True)  # the largest allowed score is 0
    e = np.exp(scores)  # masked entries: exp(-inf) = 0
    weights = e / e.sum(axis=-1, keepdims=True)
    return weights @ v, weights
