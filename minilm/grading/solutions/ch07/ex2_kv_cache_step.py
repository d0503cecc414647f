"""Reference solution: chapters/07_transformers/exercises/ex2_kv_cache_step.py."""

from minilm.backend import np


def cached_attention_step(q, k, v, cache_k, cache_v):
    cache_k = np.concatenate([cache_k, k], axis=-2)  # (B, H, S+1, hd)
    cache_v = np.concatenate([cache_v, v], axis=-2)
    scores = q @ np.swapaxes(cache_k, -1, -2) / np.sqrt(q.shape[-1])  # (B, H, 1, S+1)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return (e / e.sum(axis=-1, keepdims=True)) @ cache_v, cache_k, cache_v
