"""The primitive ops as lowercase functions, and the Tensor methods and operators
that call them.

Each Function lives in a small module by idea: ``arith`` (+ - * / ** @),
``unary`` (exp, log, tanh, ...), ``reduce`` (sum, max, logsumexp), ``shape``
(reshape, transpose, concatenate, pad), ``index`` (getitem, scatter-add, where)
and ``nn`` (fused softmax, log-softmax, cross-entropy).
"""

from __future__ import annotations

from ..tensor import Tensor, index_arrays, tensor
from .arith import Add, Div, MatMul, Mul, Neg, Pow, Sub
from .index import GetItem, ScatterAdd, Where
from .nn import CrossEntropy, Gelu, LayerNorm, LogSoftmax, Softmax
from .reduce import LogSumExp, Max, Min, Sum, keepdims_shape, normalize_axis
from .shape import BroadcastTo, Concatenate, Pad, Reshape, Transpose
from .unary import (
    Abs,
    Clip,
    Erf,
    Exp,
    Log,
    Maximum,
    Minimum,
    Relu,
    Sigmoid,
    Softplus,
    Sqrt,
    Tanh,
)

# ---- arithmetic ----


def add(a, b) -> Tensor:
    """``a + b`` with broadcasting."""
    return Add.apply(a, b)


def sub(a, b) -> Tensor:
    return Sub.apply(a, b)


def mul(a, b) -> Tensor:
    return Mul.apply(a, b)


def div(a, b) -> Tensor:
    return Div.apply(a, b)


def neg(a) -> Tensor:
    return Neg.apply(a)


def pow(a, b) -> Tensor:  # noqa: A001 - mirrors numpy.power's role
    """``a ** b``; ``b`` may be a number or a tensor."""
    return Pow.apply(a, b)


def matmul(a, b) -> Tensor:
    """Matrix product with NumPy's batching rules.

    >>> matmul(tensor([[1.0, 2.0]]), tensor([[3.0], [4.0]])).item()
    11.0
    """
    return MatMul.apply(a, b)


# ---- elementwise ----


def exp(x) -> Tensor:
    return Exp.apply(x)


def log(x) -> Tensor:
    return Log.apply(x)


def sqrt(x) -> Tensor:
    return Sqrt.apply(x)


def abs(x) -> Tensor:  # noqa: A001
    return Abs.apply(x)


def tanh(x) -> Tensor:
    return Tanh.apply(x)


def sigmoid(x) -> Tensor:
    """1 / (1 + exp(-x)), stable for large |x|."""
    return Sigmoid.apply(x)


def softplus(x) -> Tensor:
    """log(1 + exp(x)), a smooth relu; stable for large |x|."""
    return Softplus.apply(x)


def relu(x) -> Tensor:
    return Relu.apply(x)


def erf(x) -> Tensor:
    return Erf.apply(x)


def maximum(a, b) -> Tensor:
    return Maximum.apply(a, b)


def minimum(a, b) -> Tensor:
    return Minimum.apply(a, b)


def clip(x, lo=None, hi=None) -> Tensor:
    """Limit values to [lo, hi]; either bound may be None."""
    return Clip.apply(x, lo=lo, hi=hi)


def sign(x) -> Tensor:
    """-1, 0 or 1 (not differentiable: a constant)."""
    return Tensor._wrap(x.xp.sign(x.data))


# ---- reductions ----


def sum(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001
    return Sum.apply(x, axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims=False) -> Tensor:
    n = _count(x, axis)
    return Sum.apply(x, axis=axis, keepdims=keepdims) * (1.0 / n)


def max(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001
    return Max.apply(x, axis=axis, keepdims=keepdims)


def min(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001
    return Min.apply(x, axis=axis, keepdims=keepdims)


def var(x, axis=None, keepdims=False, ddof=0) -> Tensor:
    """Variance, ``ddof`` as in NumPy (0: divide by n)."""
    n = _count(x, axis)
    d = x - mean(x, axis=axis, keepdims=True)
    return Sum.apply(d * d, axis=axis, keepdims=keepdims) * (1.0 / (n - ddof))


def logsumexp(x, axis=None, keepdims=False) -> Tensor:
    """log(sum(exp(x))) without overflow."""
    return LogSumExp.apply(x, axis=axis, keepdims=keepdims)


def _count(x, axis) -> int:
    n = 1
    for ax in normalize_axis(axis, x.ndim):
        n *= x.shape[ax]
    return n


# ---- shape ----


def reshape(x, *shape) -> Tensor:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if shape == x.shape:
        return x
    return Reshape.apply(x, shape=shape)


def transpose(x, axes=None) -> Tensor:
    """Permute axes (reverse them when ``axes`` is None), as ``numpy.transpose``."""
    if axes is not None and len(axes) != x.ndim:
        raise ValueError(f"transpose: axes {axes} don't match a tensor with {x.ndim} dims")
    return Transpose.apply(x, axes=None if axes is None else tuple(axes))


def swapaxes(x, a1, a2) -> Tensor:
    axes = list(range(x.ndim))
    axes[a1], axes[a2] = axes[a2], axes[a1]
    return Transpose.apply(x, axes=tuple(axes))


def expand_dims(x, axis) -> Tensor:
    axis = axis % (x.ndim + 1)
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


def squeeze(x, axis=None) -> Tensor:
    if axis is None:
        return reshape(x, tuple(n for n in x.shape if n != 1))
    axes = normalize_axis(axis, x.ndim)
    for ax in axes:
        if x.shape[ax] != 1:
            raise ValueError(f"squeeze: axis {ax} has size {x.shape[ax]}, not 1")
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if i not in axes))


def broadcast_to(x, shape) -> Tensor:
    if tuple(shape) == x.shape:
        return x
    return BroadcastTo.apply(x, shape=shape)


def concatenate(tensors, axis=0) -> Tensor:
    """Join tensors along an existing axis, as ``numpy.concatenate``."""
    return Concatenate.apply(*tensors, axis=axis)


def stack(tensors, axis=0) -> Tensor:
    """Join tensors along a new axis, as ``numpy.stack``."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: needs at least one tensor")
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise ValueError(f"stack: all tensors need the same shape, got {sorted(shapes)}")
    return concatenate([expand_dims(t, axis) for t in tensors], axis=axis)


def split(x, indices_or_sections, axis=0) -> list[Tensor]:
    """Split into pieces, as ``numpy.split``: a number of equal sections, or the
    indices where the pieces start."""
    n = x.shape[axis]
    if isinstance(indices_or_sections, int):
        if n % indices_or_sections:
            raise ValueError(
                f"split: axis {axis} of size {n} does not divide into {indices_or_sections}"
            )
        step = n // indices_or_sections
        bounds = list(range(0, n + 1, step))
    else:
        bounds = [0, *indices_or_sections, n]
    axis = axis % x.ndim
    lead = (slice(None),) * axis
    return [x[lead + (slice(lo, hi),)] for lo, hi in zip(bounds[:-1], bounds[1:])]


def pad(x, pad_width, value=0.0) -> Tensor:
    """Constant padding; ``pad_width`` as in ``numpy.pad`` (int, pair, or per-axis pairs)."""
    return Pad.apply(x, pad_width=pad_width, value=value)


def flatten(x, start=0) -> Tensor:
    return reshape(x, x.shape[:start] + (-1,))


# ---- indexing ----


def getitem(x, index) -> Tensor:
    return GetItem.apply(x, index=index_arrays(index))


def where(cond, a, b) -> Tensor:
    """Pick from ``a`` where ``cond`` is true, else from ``b`` (differentiable in a and b).

    >>> where(tensor([True, False]), tensor([1.0, 2.0]), 0.0).tolist()
    [1.0, 0.0]
    """
    cond = cond.data if isinstance(cond, Tensor) else cond
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = tensor(a)
    like = a if isinstance(a, Tensor) else b
    cond = like.xp.asarray(cond, dtype=bool)
    return Where.apply(a, b, cond=cond)


def scatter_add(g, index, shape) -> Tensor:
    """``zeros(shape)`` with ``g`` added at ``index`` (repeats accumulate)."""
    return ScatterAdd.apply(g, index=index_arrays(index), shape=tuple(shape))


# ---- comparison (no gradient) ----


def _compare(name):
    def op(a, b):
        b = b.data if isinstance(b, Tensor) else b
        return Tensor._wrap(getattr(a.data, name)(b))

    return op


def argmax(x, axis=None, keepdims=False) -> Tensor:
    return Tensor._wrap(x.xp.argmax(x.data, axis=axis, keepdims=keepdims))


def argmin(x, axis=None, keepdims=False) -> Tensor:
    return Tensor._wrap(x.xp.argmin(x.data, axis=axis, keepdims=keepdims))


# ---- attach to Tensor ----


def _attach():
    T = Tensor
    T.__add__ = add
    T.__radd__ = lambda a, b: add(b, a)
    T.__sub__ = sub
    T.__rsub__ = lambda a, b: sub(b, a)
    T.__mul__ = mul
    T.__rmul__ = lambda a, b: mul(b, a)
    T.__truediv__ = div
    T.__rtruediv__ = lambda a, b: div(b, a)
    T.__neg__ = neg
    T.__pow__ = pow
    T.__rpow__ = lambda a, b: pow(b, a)
    T.__matmul__ = matmul
    T.__rmatmul__ = lambda a, b: matmul(b, a)
    T.__getitem__ = getitem
    for name in ("__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__"):
        setattr(T, name, _compare(name))
    T.__invert__ = lambda a: Tensor._wrap(~a.data)
    T.__and__ = lambda a, b: Tensor._wrap(a.data & (b.data if isinstance(b, Tensor) else b))
    T.__or__ = lambda a, b: Tensor._wrap(a.data | (b.data if isinstance(b, Tensor) else b))
    for fn in (
        exp,
        log,
        sqrt,
        abs,
        tanh,
        sigmoid,
        relu,
        clip,
        sign,
        sum,
        mean,
        max,
        min,
        var,
        logsumexp,
        reshape,
        transpose,
        swapaxes,
        expand_dims,
        squeeze,
        broadcast_to,
        flatten,
        argmax,
        argmin,
        matmul,
        maximum,
        minimum,
        pad,
        split,
    ):
        setattr(T, fn.__name__, fn)
    T.T = property(lambda self: transpose(self))
    T.any = lambda self, axis=None: Tensor._wrap(self.data.any(axis=axis))
    T.all = lambda self, axis=None: Tensor._wrap(self.data.all(axis=axis))
    T.softmax = lambda self, axis=-1: Softmax.apply(self, axis=axis)
    T.log_softmax = lambda self, axis=-1: LogSoftmax.apply(self, axis=axis)


_attach()

__all__ = [
    "add",
    "sub",
    "mul",
    "div",
    "neg",
    "pow",
    "matmul",
    "exp",
    "log",
    "sqrt",
    "abs",
    "tanh",
    "sigmoid",
    "relu",
    "erf",
    "maximum",
    "minimum",
    "clip",
    "sign",
    "sum",
    "mean",
    "max",
    "min",
    "var",
    "logsumexp",
    "reshape",
    "transpose",
    "swapaxes",
    "expand_dims",
    "squeeze",
    "broadcast_to",
    "concatenate",
    "stack",
    "split",
    "pad",
    "flatten",
    "getitem",
    "where",
    "scatter_add",
    "argmax",
    "argmin",
    "keepdims_shape",
    "normalize_axis",
    "CrossEntropy",
    "Gelu",
    "LayerNorm",
    "LogSoftmax",
    "Softmax",
]
