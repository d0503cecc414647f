"""Reference solution: chapters/03_neural_networks/exercises/ex4_layer_norm.py."""

from minilm.backend import np


def layer_norm_backward(x, weight, grad_out, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)  # (..., 1)
    rstd = 1 / np.sqrt(((x - mu) ** 2).mean(axis=-1, keepdims=True) + eps)  # (..., 1)
    xhat = (x - mu) * rstd  # (..., D)
    lead = tuple(range(x.ndim - 1))
    dweight = (grad_out * xhat).sum(axis=lead)  # (D,)
    dbias = grad_out.sum(axis=lead)  # (D,)
    dxhat = grad_out * weight  # (..., D)
    # xhat's row mean is 0 and its mean square ~1: project both directions out
    dx = rstd * (
        dxhat
        - dxhat.mean(axis=-1, keepdims=True)
        - xhat * (dxhat * xhat).mean(axis=-1, keepdims=True)
    )
    return dx, dweight, dbias
