"""Layer norm backward by the chain rule through var and mean, step by step."""

from minilm.backend import np


def layer_norm_backward(x, weight, grad_out, eps=1e-5):
    D = x.shape[-1]
    mu, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    std = np.sqrt(var + eps)
    g = grad_out * weight
    dvar = (g * (x - mu) * -0.5 * std**-3).sum(-1, keepdims=True)
    dmu = (-g / std).sum(-1, keepdims=True) + dvar * (-2 * (x - mu)).mean(-1, keepdims=True)
    dx = g / std + dvar * 2 * (x - mu) / D + dmu / D
    rows = grad_out.reshape(-1, D)
    return dx, (rows * ((x - mu) / std).reshape(-1, D)).sum(0), rows.sum(0)
