"""Reference solution: chapters/02_math_foundations/exercises/ex4_distances.py."""

from minilm.backend import np


def pairwise_sq_distances(X, Y):
    x2 = (X**2).sum(axis=1, keepdims=True)  # (N, 1)
    y2 = (Y**2).sum(axis=1, keepdims=True).T  # (1, M)
    return np.maximum(x2 + y2 - 2 * X @ Y.T, 0.0)  # (N, M)


def cosine_similarity(X, Y):
    Xn = X / np.sqrt((X**2).sum(axis=1, keepdims=True))
    Yn = Y / np.sqrt((Y**2).sum(axis=1, keepdims=True))
    return Xn @ Yn.T
