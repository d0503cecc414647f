"""Exercise 4 (5 points): the Gumbel-softmax relaxation, soft and straight-through.

Given logits (B, V) and Gumbel noise ``g`` of the same shape (``g = -log(-log U)``
with U uniform; it is passed in so the result is checkable),

- soft: ``y = softmax((logits + g) / tau)`` along the last axis;
- hard (``hard=True``): the one-hot vector of ``argmax(logits + g)`` in the
  forward pass (an exact sample from ``softmax(logits)``), with the *soft*
  sample's gradient in the backward pass. One line does both:
  ``y_hard - y.detach() + y``.

Use minilm (``minilm.functional.softmax``, ``minilm.functional.one_hot``).

Checked: the soft sample (2 points), the hard sample's value (1 point), its
straight-through gradient (2 points).

    python -m minilm grade chapters/10_generative_models/exercises/ex4_gumbel_softmax.py
"""

import minilm.functional as F  # noqa: F401


def gumbel_softmax(logits, g, tau, hard=False):
    """A relaxed (or straight-through hard) sample, same shape as ``logits``."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write gumbel_softmax")
    ### END YOUR SOLUTION
