"""Reference solution: chapters/06_attention_seq2seq/exercises/ex3_general_attention.py."""

from minilm.backend import np


def general_attention(query, keys, W, mask):
    scores = np.einsum("bq,qk,bsk->bs", query, W, keys)  # (B, S): query W key, no scaling
    scores = np.where(mask, scores, -np.inf)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))  # padded keys: exp(-inf) = 0
    weights = e / e.sum(axis=-1, keepdims=True)  # (B, S)
    context = np.einsum("bs,bsk->bk", weights, keys)  # (B, dk)
    return context, weights
