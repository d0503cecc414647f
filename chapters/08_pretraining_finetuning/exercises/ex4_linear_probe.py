"""Exercise 4 (4 points): the gradient of a linear probe on frozen features.

A linear probe classifies an encoder's features without changing the encoder:
for features X (N, D) (frozen: no gradient reaches them), weights W (D, C),
bias b (C,) and integer targets t (N,),

    Z = X @ W + b,   p = softmax(Z) row by row,
    loss = -(1/N) * sum_n log p[n, t[n]].

Write ``probe_loss_and_grads(features, W, b, targets)`` on NumPy float64
arrays, returning ``(loss, dW, db)``: the loss as a Python float, dloss/dW of
shape (D, C) and dloss/db of shape (C,), both float64. Derive them on paper
with the chain rule through Z first. Keep it stable: the features may be
large, so logits of size 1000 occur and must not overflow.

Checked against minilm's autograd of ``X @ W + b`` through
``minilm.functional.cross_entropy`` (which you may not call, nor
``F.log_softmax`` or ``F.softmax``): the loss (1 point), dW and db (2
points), both with logits up to about 1000 (1 point).

    python -m minilm grade chapters/08_pretraining_finetuning/exercises/ex4_linear_probe.py
"""

from minilm.backend import np  # noqa: F401 - NumPy, for your solution


def probe_loss_and_grads(features, W, b, targets):
    """(mean cross-entropy, dloss/dW, dloss/db) of the probe features @ W + b."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write probe_loss_and_grads")
    ### END YOUR SOLUTION
