"""Exercise 7 (4 points): gradient clipping by total norm.

One bad batch can produce a huge gradient and throw a model far from where it
was. Clipping by norm treats all of a model's gradients as one long vector g:
when its length ||g|| (the square root of the sum of every squared element)
exceeds ``max_norm``, every gradient is scaled by the same factor
``max_norm / ||g||``, so the direction is kept and the length becomes
``max_norm``. Below the limit nothing changes.

Write ``clip_grad_norm(grads, max_norm)``: ``grads`` is a list of NumPy arrays
of any shapes; return ``(clipped, total_norm)``: a new list of arrays and the
norm before clipping, as a float. Do not modify the input arrays (in a real
model a gradient array can be shared). minilm, like PyTorch, scales by
``max_norm / (total_norm + 1e-6)``, which also keeps all-zero gradients from
dividing by zero; plain ``max_norm / total_norm`` is accepted too, if you make
sure it never divides by zero.

Checked against ``minilm.optim.clip_grad_norm_`` on random gradient lists: the
total norm (1 point), the clipped gradients (2 points), inputs left unchanged
(1 point).

    python -m minilm grade chapters/03_neural_networks/exercises/ex7_clip_grad_norm.py
"""

from minilm.backend import np  # noqa: F401 - NumPy, for your solution


def clip_grad_norm(grads, max_norm):
    """(clipped copies of ``grads``, their joint L2 norm before clipping)."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write clip_grad_norm")
    ### END YOUR SOLUTION
