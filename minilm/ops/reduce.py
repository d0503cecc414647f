"""Reductions over ``axis`` (None, an int or a tuple), with ``keepdims``.

A reduction's backward puts the reduced gradient back into the input's shape:
reshape it to the ``keepdims`` shape, then broadcast.
"""

import builtins

from .. import backend
from ..autograd import Function


def normalize_axis(axis, ndim):
    """``axis`` as a sorted tuple of non-negative ints, with a clear error."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for ax in axes:
        if not -ndim <= ax < builtins.max(ndim, 1):
            raise ValueError(f"axis {ax} is out of range for a tensor with {ndim} dimensions")
        out.append(ax % builtins.max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"repeated axis in {axis}")
    return tuple(sorted(out))


def keepdims_shape(shape, axes):
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class _Reduction(Function):
    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def _expand(self, g):
        """Reshape a reduced gradient so it broadcasts against the input."""
        x = self.inputs[0]
        axes = normalize_axis(self.axis, x.ndim)
        return g if self.keepdims else g.reshape(keepdims_shape(x.shape, axes))


class Sum(_Reduction):
    saves_inputs = ()

    def forward(self, a):
        return a.sum(axis=normalize_axis(self.axis, a.ndim), keepdims=self.keepdims)

    def backward(self, g):
        return (self._expand(g).broadcast_to(self.inputs[0].shape),)


class Max(_Reduction):
    """Max over axes; ties share the gradient evenly (PyTorch's ``amax``)."""

    saves_output = True
    reduce = "max"

    def forward(self, a):
        axes = normalize_axis(self.axis, a.ndim)
        if a.size == 0 and any(a.shape[i] == 0 for i in axes) and _reduced_size(a, axes):
            raise ValueError(f"{self.reduce} over an axis of length 0 has no value")
        return getattr(a, self.reduce)(axis=axes, keepdims=self.keepdims)

    def backward(self, g):
        x = self.inputs[0]
        y = self._expand(self.output)
        hit = (x == y).astype(x.dtype)
        return (self._expand(g) * (hit / hit.sum(axis=self.axis, keepdims=True)),)


def _reduced_size(a, axes) -> int:
    """How many values a reduction over ``axes`` of ``a`` produces."""
    n = 1
    for i, s in enumerate(a.shape):
        n *= 1 if i in axes else s
    return n


class Min(Max):
    reduce = "min"


class LogSumExp(_Reduction):
    """log(sum(exp(a))), computed stably by shifting by the max; -inf over nothing."""

    saves_output, floating = True, True

    def forward(self, a):
        xp = backend.get_array_module(a)
        axes = normalize_axis(self.axis, a.ndim)
        m = (
            a.max(axis=axes, keepdims=True)
            if a.size
            else xp.zeros(keepdims_shape(a.shape, axes), a.dtype)
        )
        m = xp.where(xp.isfinite(m), m, 0)  # a row of -inf shifts by 0, not by -inf
        with backend.np.errstate(divide="ignore"):  # log(0) = -inf: an empty sum
            out = xp.log(xp.exp(a - m).sum(axis=axes, keepdims=True)) + m
        return out if self.keepdims else out.reshape(_squeezed(a.shape, axes))

    def backward(self, g):
        x = self.inputs[0]
        return (self._expand(g) * (x - self._expand(self.output)).exp(),)


def _squeezed(shape, axes) -> tuple:
    return tuple(n for i, n in enumerate(shape) if i not in axes)


# ---- the functions and Tensor's methods ----


def sum(x, axis=None, keepdims=False):  # noqa: A001
    return Sum.apply(x, axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    """The mean over ``axis``; nan over an empty axis. float16 is summed in
    float32, as NumPy and PyTorch do, so a long float16 mean does not overflow."""
    if x.dtype == backend.np.float16:
        return mean(x.astype(backend.np.float32), axis, keepdims).astype(backend.np.float16)
    return Sum.apply(x, axis=axis, keepdims=keepdims) * _inverse(_count(x, axis))


def var(x, axis=None, keepdims=False, ddof=0):
    """Variance, ``ddof`` as in NumPy: divide by ``n - ddof``, which gives inf
    (or nan) when ``ddof >= n``, as ``numpy.var`` does."""
    if x.dtype == backend.np.float16:
        return var(x.astype(backend.np.float32), axis, keepdims, ddof).astype(backend.np.float16)
    d = x - mean(x, axis=axis, keepdims=True)
    return Sum.apply(d * d, axis=axis, keepdims=keepdims) * _inverse(_count(x, axis) - ddof)


def _inverse(n) -> float:
    """1 / n for a count; inf for n <= 0 (so 0 * inf = nan, s * inf = inf, as NumPy)."""
    return 1.0 / n if n > 0 else float("inf")


def max(x, axis=None, keepdims=False):  # noqa: A001
    return Max.apply(x, axis=axis, keepdims=keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001
    return Min.apply(x, axis=axis, keepdims=keepdims)


def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) without overflow; -inf for an empty sum."""
    return LogSumExp.apply(x, axis=axis, keepdims=keepdims)


def _count(x, axis) -> int:
    n = 1
    for ax in normalize_axis(axis, x.ndim):
        n *= x.shape[ax]
    return n


def argmax(x, axis=None, keepdims=False):
    """Index of the largest value (not differentiable: an integer tensor)."""
    return x._make(x.xp.argmax(x.data, axis=axis, keepdims=keepdims))


def argmin(x, axis=None, keepdims=False):
    return x._make(x.xp.argmin(x.data, axis=axis, keepdims=keepdims))


class ReductionMethods:
    """Tensor's reductions (mixed into :class:`minilm.Tensor`)."""

    __slots__ = ()
    sum, mean, var, max, min, logsumexp, argmax, argmin = (
        sum,
        mean,
        var,
        max,
        min,
        logsumexp,
        argmax,
        argmin,
    )

    def any(self, axis=None):
        return self._make(self.data.any(axis=axis))

    def all(self, axis=None):
        return self._make(self.data.all(axis=axis))
