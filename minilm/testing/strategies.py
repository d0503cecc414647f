"""Hypothesis strategies for arrays, tensors, shapes and axes.

Used by minilm's own tests and by the exercise graders. Elements are bounded
float64 values by default, the dtype gradient checks need.
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from .. import backend
from ..tensor import tensor

__all__ = [
    "floats",
    "away_from",
    "shapes",
    "broadcastable_shapes",
    "arrays",
    "tensors",
    "axes",
    "separated",
    "grid",
]


def floats(lo: float = -3.0, hi: float = 3.0) -> st.SearchStrategy:
    """Finite floats in [lo, hi]."""
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, width=64)


def away_from(points, margin: float = 1e-2, lo: float = -3.0, hi: float = 3.0):
    """Floats in [lo, hi] at least ``margin`` from each of ``points`` (kinks such
    as 0 for relu and abs, where the derivative jumps)."""
    points = [points] if isinstance(points, (int, float)) else list(points)
    return floats(lo, hi).filter(lambda v: all(abs(v - p) >= margin for p in points))


def separated(parity: int, lo: int = -2, hi: int = 1) -> st.SearchStrategy:
    """Floats in ``2k + parity + [0.25, 0.75]``: values drawn with parity 0 and
    parity 1 are always at least 0.5 apart, so max/min never tie between them."""
    return st.builds(
        lambda k, u: 2 * k + parity + u, st.integers(lo, hi), st.floats(0.25, 0.75, width=64)
    )


def grid(step: float = 0.125, lo: float = -3.0, hi: float = 3.0) -> st.SearchStrategy:
    """Multiples of ``step`` in [lo, hi]: with ``unique=True`` arrays, no two
    values are closer than ``step``, so a max or min never nearly ties."""
    return st.integers(int(lo / step), int(hi / step)).map(lambda k: k * step)


def shapes(min_dims=0, max_dims=3, min_side=1, max_side=4) -> st.SearchStrategy:
    """Array shapes; small by default so finite differences stay cheap."""
    return hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    )


def broadcastable_shapes(n=2, min_dims=0, max_dims=3, min_side=1, max_side=4):
    """``n`` shapes that broadcast together (some with size-1 or missing axes)."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=n, min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    ).map(lambda b: b.input_shapes)


def arrays(shape, elements=None, dtype="float64", unique=False) -> st.SearchStrategy:
    """NumPy arrays of ``shape`` (a tuple or a strategy) with bounded elements."""
    return hnp.arrays(
        backend.np.dtype(dtype),
        shape,
        elements=floats() if elements is None else elements,
        unique=unique,
    )


def tensors(shape, elements=None, dtype="float64", requires_grad=True, device="cpu"):
    """minilm Tensors built from :func:`arrays` (only float ones require grad)."""
    return arrays(shape, elements, dtype).map(
        lambda a: tensor(a, device=device, requires_grad=requires_grad and a.dtype.kind == "f")
    )


def axes(ndim: int, allow_none: bool = True, allow_tuple: bool = True):
    """A valid ``axis`` argument for a tensor with ``ndim`` dims: None, an int
    (maybe negative), or a tuple of distinct axes."""
    options = []
    if allow_none:
        options.append(st.none())
    if ndim > 0:
        options.append(st.integers(-ndim, ndim - 1))
        if allow_tuple:
            options.append(
                st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(
                    tuple
                )
            )
    return st.one_of(options) if options else st.none()
