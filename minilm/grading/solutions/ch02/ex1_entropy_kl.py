"""Reference solution: chapters/02_math_foundations/exercises/ex1_entropy_kl.py."""

import math

from minilm.backend import np


def _log(x, base):
    return math.log(x) if base is None else math.log(x, base)


def entropy(p, base=None):
    return -sum(pi * _log(pi, base) for pi in p if pi > 0)


def cross_entropy(p, q, base=None):
    if np.any((np.asarray(q) == 0) & (np.asarray(p) > 0)):
        return math.inf
    return -sum(pi * _log(qi, base) for pi, qi in zip(p, q) if pi > 0)


def kl_divergence(p, q, base=None):
    return cross_entropy(p, q, base) - entropy(p, base)
