"""Array-level alternatives, for NumPy and CuPy alike.

In a plain backward (no graph being built) a reference backward's Tensor ops
each pay for an op call: a Function object, the dtype and device checks, a
wrapper. The backwards here do the same arithmetic on the arrays directly,
skip the gradients no input needs, and write into buffers they allocated
themselves. The forwards of layer norm and GELU keep the
intermediate arrays their backward needs and work in place, so a (B, T, 4C)
activation costs a few passes over memory instead of a dozen.

Each function's reference is the ``forward`` or ``backward`` of the op it is
registered for; ``tests/test_fast.py`` checks every registration against it.
"""

from __future__ import annotations

import math

from .. import ops, precision
from ..autograd import SliceGrad
from ..backend import erf, get_array_module, np
from ..ops.composite import row_max
from ..ops.index import is_basic
from ..tensor import Function, Tensor
from . import register, register_backward, register_forward

_make = Tensor._make
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


def _grads(fn, *arrays):
    """Wrap each gradient array an input needs; None for the others."""
    return tuple(
        _make(a) if need and a is not None else None for a, need in zip(arrays, fn.needs_grad)
    )


# ---- elementwise and shape ops: the same formulas on arrays ----


@register_backward(ops.Mul)
def mul_backward(fn, g):
    a, b = fn.inputs
    need_a, need_b = fn.needs_grad
    return _grads(fn, g.data * b.data if need_a else None, g.data * a.data if need_b else None)


@register_backward(ops.Div)
def div_backward(fn, g):
    ga = g.data / fn.inputs[1].data
    return _grads(fn, ga, -ga * fn.output.data if fn.needs_grad[1] else None)


@register_backward(ops.Pow)
def pow_backward(fn, g):
    """The common case, a constant exponent that is not 0 (x ** 2, x ** 0.5)."""
    a, b = fn.inputs
    if fn.needs_grad[1] or b.ndim or b.data == 0:
        return NotImplemented
    return _grads(fn, g.data * b.data * a.data ** (b.data - 1), None)


@register_backward(ops.Exp)
def exp_backward(fn, g):
    return (_make(g.data * fn.output.data),)


@register_backward(ops.Tanh)
def tanh_backward(fn, g):
    y = fn.output.data
    return (_make(g.data * (1 - y * y)),)


@register_backward(ops.Sigmoid)
def sigmoid_backward(fn, g):
    y = fn.output.data
    d = 1 - y
    d *= y
    return (_make(g.data * d),)


@register_backward(ops.Relu)
def relu_backward(fn, g):
    x = fn.inputs[0].data
    return (_make(g.data * (x > 0).astype(x.dtype)),)


@register_backward(ops.Sum)
def sum_backward(fn, g):
    x = fn.inputs[0]
    xp = get_array_module(g.data)
    shape = ops.keepdims_shape(x.shape, ops.normalize_axis(fn.axis, x.ndim))
    return (_make(xp.broadcast_to(g.data.reshape(shape), x.shape)),)


@register_backward(ops.Reshape)
def reshape_backward(fn, g):
    return (_make(g.data.reshape(fn.inputs[0].shape)),)


@register_backward(ops.Transpose)
def transpose_backward(fn, g):
    inverse = [0] * len(fn.axes)
    for i, ax in enumerate(fn.axes):
        inverse[ax % len(fn.axes)] = i
    return (_make(g.data.transpose(inverse)),)


@register_backward(ops.Where)
def where_backward(fn, g):
    xp = get_array_module(g.data)
    zero = xp.zeros((), dtype=g.dtype)
    need_a, need_b = fn.needs_grad
    return _grads(fn, xp.where(fn.cond, g.data, zero) if need_a else None,
                  xp.where(fn.cond, zero, g.data) if need_b else None)  # fmt: skip


@register_backward(ops.GetItem)
def getitem_backward(fn, g):
    """A basic slice's gradient is added into place by the GradTable."""
    shape = fn.inputs[0].shape
    if not (is_basic(fn.index) and shape):
        return NotImplemented
    return (SliceGrad(g, fn.index, shape),)


@register_backward(ops.Concatenate)
def concatenate_backward(fn, g):
    axis, start, out = fn.axis % g.ndim, 0, []
    for t, need in zip(fn.inputs, fn.needs_grad):
        end = start + t.shape[axis]
        out.append(_make(g.data[(slice(None),) * axis + (slice(start, end),)]) if need else None)
        start = end
    return tuple(out)


# ---- matrix products ----


@register_forward(ops.MatMul)
def matmul_forward(fn, a, b):
    """``(..., n, k) @ (k, m)`` (a layer's ``x @ W``) as one 2-D product."""
    if a.ndim <= 2 or b.ndim != 2 or a.shape[-1] != b.shape[0]:
        return NotImplemented
    n = math.prod(a.shape[:-1])
    return (a.reshape(n, a.shape[-1]) @ b).reshape(*a.shape[:-1], b.shape[1])


@register_backward(ops.MatMul)
def matmul_backward(fn, g):
    a, b = (t.data for t in fn.inputs)
    need_a, need_b = fn.needs_grad
    G = g.data
    if a.ndim > 2 and b.ndim == 2:  # x @ W: flatten the batch axes, one GEMM each
        k, m = b.shape
        n = math.prod(G.shape[:-1])
        ga = (G.reshape(n, m) @ b.T).reshape(*G.shape[:-1], k) if need_a else None
        gb = a.reshape(n, k).T @ G.reshape(n, m) if need_b else None
        return _grads(fn, ga, gb)
    if a.ndim < 2 or b.ndim < 2:
        return NotImplemented  # vectors: the reference's promotions
    ga = G @ b.swapaxes(-1, -2) if need_a else None
    gb = a.swapaxes(-1, -2) @ G if need_b else None
    return _grads(fn, ga, gb)


class Linear(Function):
    """``x @ w + b`` (x (..., in), w (in, out), b (out,)) as one op, for
    :func:`minilm.functional.linear`: the bias is added into the product's own
    array, so a layer makes one (..., out) array instead of two (for a (B, T, 4C)
    activation that is 100 MB of fresh memory a step less). Its reference
    backward is the one of ``x @ w + b`` written with Tensor ops."""

    def forward(self, x, w, b):
        n = math.prod(x.shape[:-1])
        y = x.reshape(n, x.shape[-1]) @ w
        if y.dtype == get_array_module(y).result_type(y, b):
            y += b
        else:  # b would promote: as x @ w + b does
            y = y + b
        return y.reshape(*x.shape[:-1], w.shape[1])

    def backward(self, g):
        x, w, _ = self.inputs
        return g @ w.swapaxes(-1, -2), x.swapaxes(-1, -2) @ g, g  # the engine sums w's, b's


register("linear")(Linear.apply)


@register_backward(Linear)
def linear_backward(fn, g):
    x, w, _ = (t.data for t in fn.inputs)
    k, m = w.shape
    n = math.prod(x.shape[:-1])
    G = g.data.reshape(n, m)
    need_x, need_w, need_b = fn.needs_grad
    gx = (G @ w.T).reshape(x.shape) if need_x else None
    gw = x.reshape(n, k).T @ G if need_w else None
    gb = G.sum(axis=0) if need_b else None
    return _grads(fn, gx, gw, gb)


# ---- softmax, cross-entropy ----


@register_forward(ops.Softmax, "cpu")
def softmax_forward(fn, x):
    """The reference's arithmetic in one new array instead of three or four
    (a (B, H, T, T) attention array is the biggest of a transformer's step)."""
    xp = get_array_module(x)
    if fn.mask is not None:
        e = xp.where(fn.mask, x, np.finfo(x.dtype).min)
        e -= row_max(e, fn.axis)
    else:
        e = x - row_max(x, fn.axis)
    e = xp.exp(e, out=e) if e.ndim else xp.exp(e)
    e /= e.sum(axis=fn.axis, keepdims=True)
    return e


@register_backward(ops.Softmax)
def softmax_backward(fn, g):
    """y (g - sum(g y)) in one new array; a masked entry has y = 0 unless its
    whole row is masked, so the mask is applied only when a row may be empty."""
    y, G = fn.output.data, g.data
    xp = get_array_module(y)
    gx = G * y
    s = gx.sum(axis=fn.axis, keepdims=True)
    if gx.ndim:
        xp.subtract(G, s, out=gx)
        gx *= y
    else:
        gx = y * (G - s)
    if fn.mask is not None and not fn.full_rows:
        gx = xp.where(fn.mask, gx, 0)
    return (_make(gx),)


@register_backward(ops.LogSoftmax)
def log_softmax_backward(fn, g):
    xp = get_array_module(g.data)
    G = g.data
    return (_make(G - xp.exp(fn.output.data) * G.sum(axis=fn.axis, keepdims=True)),)


@register_backward(ops.CrossEntropy)
def cross_entropy_backward(fn, g):
    """(softmax(logits) - q) * weight, in place in the softmax's array."""
    logits = fn.inputs[0]
    C = logits.shape[-1]
    z = logits.data.reshape(-1, C)
    out = get_array_module(z).exp(z - row_max(z, -1))
    out /= out.sum(axis=-1, keepdims=True)
    s = fn.weight(g).data  # (N, 1)
    if s.dtype == out.dtype:
        out *= s
    else:  # a float64 upstream gradient promotes, as in the reference
        out = out * s
    out[get_array_module(out).arange(len(out)), fn.t_safe] -= (1 - fn.eps) * s[:, 0]
    if fn.eps:
        out -= (fn.eps / C) * s
    return (_make(out.reshape(logits.shape)),)


# ---- layer norm ----


@register_forward(ops.LayerNorm)
def layer_norm_forward(fn, x, w, b):
    """In place, keeping ``xh`` and ``r = 1/sqrt(var + eps)`` for the backward."""
    xp = get_array_module(x)
    d = x - x.mean(axis=-1, keepdims=True)
    r = 1 / xp.sqrt((d * d).mean(axis=-1, keepdims=True) + fn.eps)  # (..., 1)
    d *= r
    fn.xh, fn.rstd = d, r
    y = d * w
    if y.dtype != get_array_module(y).result_type(y, b):  # b would promote: as the reference
        return y + b
    y += b
    return y


@register_backward(ops.LayerNorm)
def layer_norm_backward(fn, g):
    xh = getattr(fn, "xh", None)
    if xh is None:
        return NotImplemented
    w = fn.inputs[1].data
    xh, r = xh.reshape(g.shape), fn.rstd.reshape(*g.shape[:-1], 1)
    gh = g.data * w
    gx = gh - gh.mean(axis=-1, keepdims=True)
    gh *= xh
    gx -= xh * gh.mean(axis=-1, keepdims=True)
    gx *= r
    gw = g.data * xh if fn.needs_grad[1] else None
    return _make(gx), (_make(gw) if gw is not None else None), g


# ---- GELU ----


@register_forward(ops.Gelu)
def gelu_forward(fn, x):
    """In place (each temporary is a full-size array), keeping tanh or Phi."""
    xp = get_array_module(x)
    if fn.approximate == "tanh":
        u = xp.asarray(x * x)  # an array even for 0-d x, so out= works
        u *= 0.044715 * _SQRT_2_OVER_PI
        u += _SQRT_2_OVER_PI
        u *= x
        fn.t = xp.tanh(u, out=u)  # tanh(sqrt(2/pi) (x + 0.044715 x^3))
        y = fn.t + 1
        y *= x
        y *= 0.5
        return y
    fn.cdf = 0.5 * (1 + erf(x * (1 / math.sqrt(2))))
    return x * fn.cdf


@register_backward(ops.Gelu)
def gelu_backward(fn, g):
    x = fn.inputs[0].data
    xp = get_array_module(x)
    if fn.approximate == "tanh":
        t = getattr(fn, "t", None)
        if t is None:
            return NotImplemented
        d = x * x  # 0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2)
        d *= 3 * 0.044715 * _SQRT_2_OVER_PI
        d += _SQRT_2_OVER_PI
        d *= x
        w = t * t
        d *= xp.subtract(1, w, out=w) if w.ndim else 1 - w
        d += t
        d += 1
        d *= 0.5
    else:
        cdf = getattr(fn, "cdf", None)
        if cdf is None:
            return NotImplemented
        d = cdf + x * (_INV_SQRT_2PI * xp.exp(-0.5 * x * x))
    d = d.astype(x.dtype, copy=False)
    if d.ndim and d.dtype == g.dtype:  # d is ours: multiply into it
        d *= g.data
        return (_make(d),)
    return (_make(g.data * d),)


# ---- mixed precision ----


@register_forward(precision.RoundTo)
def round_to_float16(fn, x):
    """float32 values rounded to float16's, in float32 arithmetic. NumPy's
    float16 cast takes a slow path for values in float16's subnormal range
    (below 2**-14), where an unscaled fp16 backward puts most gradients: there it
    is about 12 times slower than for other values. Here: Veltkamp's split rounds
    to float16's 11 significant bits (``t - (t - x)`` with ``t = x (2**13 + 1)``),
    the subnormal range rounds to whole multiples of 2**-24 (ties to even, as
    ``round`` does), and beyond 65520 is infinity: the cast's results, bit for bit."""
    if fn.dtype != np.float16 or x.dtype != np.float32:
        return NotImplemented
    xp = get_array_module(x)
    f32 = xp.float32
    a = xp.abs(x)
    with np.errstate(over="ignore", invalid="ignore"):
        t = x * f32(8193.0)
        r = t - (t - x)
        r = xp.where(a < f32(2.0**-14), xp.round(x * f32(2.0**24)) * f32(2.0**-24), r)
        r = xp.where(a >= f32(65520.0), xp.copysign(f32(xp.inf), x), r)
    return xp.asarray(r, dtype=f32)
