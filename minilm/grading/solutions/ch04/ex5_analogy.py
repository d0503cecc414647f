"""Reference solution: chapters/04_text_representation/exercises/ex5_analogy.py."""

from minilm.backend import np


def _unit(x):
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def nearest(vectors, query, k, exclude=()):
    sims = _unit(vectors) @ _unit(query)  # (V,) cosine similarities
    sims[list(exclude)] = -np.inf
    return [int(i) for i in np.argsort(-sims)[:k]]


def analogy(vectors, a, b, c, k=1):
    w = _unit(vectors)
    return nearest(vectors, w[b] - w[a] + w[c], k, exclude=(a, b, c))
