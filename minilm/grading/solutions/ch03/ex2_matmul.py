"""Reference solution: chapters/03_neural_networks/exercises/ex2_matmul.py."""

from minilm.backend import np


def _sum_to(g, shape):
    """Sum ``g`` over the axes along which an input of ``shape`` was broadcast."""
    g = g.sum(axis=tuple(range(g.ndim - len(shape))))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=axes, keepdims=True)


def matmul_backward(a, b, grad):
    grad_a = grad @ np.swapaxes(b, -1, -2)  # (..., n, m) @ (..., m, k) -> (..., n, k)
    grad_b = np.swapaxes(a, -1, -2) @ grad  # (..., k, n) @ (..., n, m) -> (..., k, m)
    return _sum_to(grad_a, a.shape), _sum_to(grad_b, b.shape)
