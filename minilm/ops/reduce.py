"""Reductions over ``axis`` (None, an int or a tuple), with ``keepdims``.

A reduction's backward puts the reduced gradient back into the input's shape:
reshape it to the ``keepdims`` shape, then broadcast.
"""

from .. import backend
from ..tensor import Function
from .fused import sum_leading


def normalize_axis(axis, ndim):
    """``axis`` as a sorted tuple of non-negative ints, with a clear error."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for ax in axes:
        if not -ndim <= ax < max(ndim, 1):
            raise ValueError(f"axis {ax} is out of range for a tensor with {ndim} dimensions")
        out.append(ax % max(ndim, 1))
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
    def forward(self, a):
        # a GEMV on the GPU for bias gradients (sums over the leading axes)
        return sum_leading(a, normalize_axis(self.axis, a.ndim), self.keepdims)

    def backward(self, g):
        return (self._expand(g).broadcast_to(self.inputs[0].shape),)


class Max(_Reduction):
    """Max over axes; ties share the gradient evenly (PyTorch's ``amax``)."""

    reduce = "max"

    def forward(self, a):
        normalize_axis(self.axis, a.ndim)
        if a.size == 0:
            raise ValueError(f"{self.reduce} of an empty tensor has no value")
        return getattr(a, self.reduce)(axis=self.axis, keepdims=self.keepdims)

    def backward(self, g):
        x = self.inputs[0]
        axes = normalize_axis(self.axis, x.ndim)
        y = self.output.data
        if not self.keepdims:
            y = y.reshape(keepdims_shape(x.shape, axes))
        hit = x.data == y
        share = hit / hit.sum(axis=axes, keepdims=True)
        return (self._expand(g) * share.astype(x.dtype),)


class Min(Max):
    reduce = "min"


class LogSumExp(_Reduction):
    """log(sum(exp(a))) computed stably by shifting by the max."""

    def forward(self, a):
        xp = backend.get_array_module(a)
        m = a.max(axis=self.axis, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)
        out = xp.log(xp.exp(a - m).sum(axis=self.axis, keepdims=True)) + m
        if not self.keepdims:
            out = out.squeeze(axis=self.axis) if self.axis is not None else out.reshape(())
        return out

    def backward(self, g):
        x = self.inputs[0]
        y = self.output
        if not self.keepdims:
            y = y.reshape(keepdims_shape(x.shape, normalize_axis(self.axis, x.ndim)))
        return (self._expand(g) * (x - y).exp(),)
