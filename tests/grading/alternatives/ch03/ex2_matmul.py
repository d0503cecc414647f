"""Matmul backward with einsum, un-broadcasting axis by axis."""

from minilm.backend import np


def matmul_backward(a, b, grad):
    ga = np.einsum("...nm,...km->...nk", grad, b)
    gb = np.einsum("...nk,...nm->...km", a, grad)

    def red(g, shape):
        while g.ndim > len(shape):
            g = g.sum(0)
        for i, n in enumerate(shape):
            if n == 1:
                g = g.sum(i, keepdims=True)
        return g

    return red(ga, a.shape), red(gb, b.shape)
