"""Exercise 2 (5 points): the backward pass of a batched matrix product.

    out = a @ b        a: (..., n, k)   b: (..., k, m)   out: (..., n, m)

The leading "batch" axes broadcast as in NumPy: a of shape (5, n, k) times b
of shape (k, m) uses the same b for all five matrices, and shapes (3, 1, n, k)
and (4, k, m) give out (3, 4, n, m).

Write ``matmul_backward(a, b, grad)``: given NumPy arrays ``a``, ``b`` and
``grad`` = dL/d(out) of shape (..., n, m), return ``(grad_a, grad_b)`` =
(dL/da, dL/db) with exactly the shapes of ``a`` and ``b``. A batch axis that
was broadcast (missing, or of size 1) reused its input, so its gradients add up:
sum them back to the input's shape (un-broadcasting). minilm's engine does this
in one place, ``minilm.tensor.unbroadcast``; here you do it yourself.

Checked against minilm's own matmul gradient on random shapes: plain matrices
(2 points), batches of the same shape (1 point), broadcast batch axes (2 points).

    python -m minilm grade chapters/03_neural_networks/exercises/ex2_matmul.py
"""

from minilm.backend import np  # noqa: F401 - NumPy, for your solution


def matmul_backward(a, b, grad):
    """(grad_a, grad_b) for ``out = a @ b`` given ``grad`` = dL/d(out)."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write matmul_backward")
    ### END YOUR SOLUTION
