"""Exercise 1 (4 points): entropy, cross-entropy and KL divergence.

For discrete distributions p and q over the same outcomes (1-D NumPy arrays of
probabilities that sum to 1):

    H(p)      = -sum_i p_i log p_i                 (entropy)
    H(p, q)   = -sum_i p_i log q_i                 (cross-entropy)
    KL(p||q)  =  sum_i p_i log (p_i / q_i)          (Kullback-Leibler divergence)

with the convention 0 log 0 = 0 (an outcome of probability 0 contributes
nothing), and H(p, q) = KL(p||q) = inf when q gives probability 0 to an outcome
that p does not. ``base`` is the logarithm's base: None for natural logarithms
(nats), 2 for bits. Return Python floats.

Checked against ``minilm.info`` on random distributions with exact zeros:
entropy (1 point), cross-entropy (1 point), KL (1 point), the infinite case
and bits (1 point).

    python -m minilm grade chapters/02_math_foundations/exercises/ex1_entropy_kl.py
"""

import math  # noqa: F401 - for your solution

from minilm.backend import np  # noqa: F401 - NumPy, for your solution


def entropy(p, base=None):
    """H(p) in nats (base None) or in the given base."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write entropy")
    ### END YOUR SOLUTION


def cross_entropy(p, q, base=None):
    """H(p, q); inf when q is 0 somewhere p is not."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write cross_entropy")
    ### END YOUR SOLUTION


def kl_divergence(p, q, base=None):
    """KL(p || q) = H(p, q) - H(p); inf when q is 0 somewhere p is not."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write kl_divergence")
    ### END YOUR SOLUTION
