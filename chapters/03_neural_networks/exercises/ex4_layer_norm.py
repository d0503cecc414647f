"""Exercise 4 (4 points): the backward pass of layer normalization.

Over the last axis of x (shape (..., D)), with weight and bias of shape (D,):

    mu = mean(x),  var = mean((x - mu)^2),  xhat = (x - mu) / sqrt(var + eps)
    y = xhat * weight + bias

Write ``layer_norm_backward(x, weight, grad_out, eps)`` on NumPy arrays:
given dL/dy = ``grad_out`` (shape of x), return ``(dx, dweight, dbias)`` with
the shapes of x, weight and bias. Careful: mu and var depend on every x in the
row, so dx is not just ``grad_out * weight / sqrt(var + eps)``. Weight and
bias are shared by every row, so their gradients add up over the leading axes.

Checked against the gradient minilm's engine computes for
``minilm.functional.layer_norm``: dweight and dbias (1 point), dx for
2-D x (2 points), dx with any number of leading axes (1 point).

    python -m minilm grade chapters/03_neural_networks/exercises/ex4_layer_norm.py
"""

from minilm.backend import np  # noqa: F401 - NumPy, for your solution


def layer_norm_backward(x, weight, grad_out, eps=1e-5):
    """(dx, dweight, dbias) for ``y = layer_norm(x) * weight + bias`` over the last axis."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write layer_norm_backward")
    ### END YOUR SOLUTION
