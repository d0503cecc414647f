"""Information theory on discrete distributions: entropy, cross-entropy, KL, MI, perplexity.

Every function takes probabilities *or counts* (anything non-negative): the
input is normalized first, along the last axis for 1-D quantities and over the
whole table for joint ones. ``0 log 0`` is 0. Logarithms are natural (nats)
unless ``base`` is given (``base=2`` for bits).

Joint tables put X on the rows and Y on the columns: ``joint[x, y]``.

>>> round(entropy([0.5, 0.5], base=2), 6)
1.0
>>> round(mutual_information([[10, 0], [0, 10]], base=2), 6)
1.0
"""

from __future__ import annotations

import math

from .backend import np


def _normalize(p, axis=-1):
    p = np.asarray(p, dtype=np.float64)
    if p.size == 0:
        raise ValueError("an empty distribution")
    if (p < 0).any() or not np.isfinite(p).all():
        raise ValueError("probabilities/counts must be finite and non-negative")
    total = p.sum(axis=axis, keepdims=True)
    if (total == 0).any():
        raise ValueError("a distribution with total 0 (all counts zero)")
    return p / total


def _log(x, base):
    with np.errstate(divide="ignore"):
        out = np.log(x)
    return out if base is None else out / math.log(base)


def _out(x):
    return float(x) if np.ndim(x) == 0 else x


def _xlogy(x, y, base):
    """x * log(y) with 0 * log(anything) = 0."""
    return np.where(x > 0, x * _log(np.where(x > 0, y, 1.0), base), 0.0)


def entropy(p, base: float | None = None, axis: int = -1):
    """``H(p) = -sum p log p``.

    >>> round(entropy([1, 1, 1, 1], base=2), 6)  # counts work too
    2.0
    """
    p = _normalize(p, axis)
    return _out(-_xlogy(p, p, base).sum(axis=axis))


def cross_entropy(p, q, base: float | None = None, axis: int = -1):
    """``H(p, q) = -sum p log q``: the cost of coding p's samples with q's code (inf if
    q gives 0 where p does not).

    >>> round(cross_entropy([0.5, 0.5], [0.25, 0.75], base=2), 4)
    1.2075
    """
    p, q = _normalize(p, axis), _normalize(q, axis)
    return _out(-_xlogy(p, q, base).sum(axis=axis))


def kl_divergence(p, q, base: float | None = None, axis: int = -1):
    """``KL(p || q) = sum p log (p / q) = H(p, q) - H(p)``; >= 0, and 0 only when p == q.

    >>> kl_divergence([0.5, 0.5], [0.5, 0.5])
    0.0
    """
    p, q = _normalize(p, axis), _normalize(q, axis)
    return _out((_xlogy(p, p, base) - _xlogy(p, q, base)).sum(axis=axis))


def joint_entropy(joint, base: float | None = None):
    """``H(X, Y)`` of a joint table ``joint[x, y]`` (probabilities or counts).

    >>> round(joint_entropy([[1, 1], [1, 1]], base=2), 6)
    2.0
    """
    pxy = _normalize(np.asarray(joint, dtype=np.float64).ravel())
    return float(-_xlogy(pxy, pxy, base).sum())


def conditional_entropy(joint, base: float | None = None):
    """``H(Y | X) = H(X, Y) - H(X)``, with X on the rows of ``joint``.

    >>> round(conditional_entropy([[5, 5], [10, 0]], base=2), 6)  # H(Y|X=0)=1, H(Y|X=1)=0
    0.5
    """
    joint = np.asarray(joint, dtype=np.float64)
    if joint.ndim != 2:
        raise ValueError(f"a joint table must be 2-D (x on rows), got shape {joint.shape}")
    return joint_entropy(joint, base) - entropy(joint.sum(axis=1), base)


def mutual_information(joint, base: float | None = None):
    """``I(X; Y) = H(X) + H(Y) - H(X, Y)``: symmetric and >= 0 (clipped at 0 against rounding).

    >>> round(mutual_information([[1, 1], [1, 1]]), 12)  # independent
    0.0
    """
    joint = np.asarray(joint, dtype=np.float64)
    if joint.ndim != 2:
        raise ValueError(f"a joint table must be 2-D (x on rows), got shape {joint.shape}")
    hx, hy = entropy(joint.sum(axis=1), base), entropy(joint.sum(axis=0), base)
    return max(hx + hy - joint_entropy(joint, base), 0.0)


def perplexity(p, q=None):
    """``exp H(p)``, or ``exp H(p, q)`` with a model ``q``: the effective number of equally
    likely choices. (Any base gives the same number.)

    >>> round(perplexity([0.25] * 4), 6)
    4.0
    """
    return float(np.exp(entropy(p) if q is None else cross_entropy(p, q)))
