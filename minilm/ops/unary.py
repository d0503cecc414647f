"""Elementwise functions of one tensor (and the two-tensor maximum/minimum).

Each backward uses the op's output where that is cheaper (exp, tanh, sigmoid,
sqrt): the output is a Tensor in the graph, so second derivatives still work.
The functions of real numbers (``floating = True``) promote integer and bool
inputs to the default float first, as PyTorch does.
"""

import math

from .. import backend
from ..autograd import Function


class Exp(Function):
    saves_inputs, saves_output, floating = (), True, True

    def forward(self, a):
        return backend.get_array_module(a).exp(a)

    def backward(self, g):
        return (g * self.output,)


class Log(Function):
    floating = True

    def forward(self, a):
        return backend.get_array_module(a).log(a)

    def backward(self, g):
        return (g / self.inputs[0],)


class Sqrt(Function):
    saves_inputs, saves_output, floating = (), True, True

    def forward(self, a):
        return backend.get_array_module(a).sqrt(a)

    def backward(self, g):
        return (g / (2 * self.output),)


class Tanh(Function):
    saves_inputs, saves_output, floating = (), True, True

    def forward(self, a):
        return backend.get_array_module(a).tanh(a)

    def backward(self, g):
        y = self.output
        return (g * (1 - y * y),)


class Sigmoid(Function):
    saves_inputs, saves_output, floating = (), True, True

    def forward(self, a):
        xp = backend.get_array_module(a)
        e = xp.exp(-xp.abs(a))  # stable for large |a|: exp of a non-positive number only
        return xp.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)

    def backward(self, g):
        y = self.output
        return (g * y * (1 - y),)


class Softplus(Function):
    """log(1 + exp(a)), stable for any a; its derivative is sigmoid(a)."""

    floating = True

    def forward(self, a):
        return backend.get_array_module(a).logaddexp(0, a).astype(a.dtype, copy=False)

    def backward(self, g):
        return (g * sigmoid(self.inputs[0]),)


class Erf(Function):
    floating = True

    def forward(self, a):
        return backend.erf(a)

    def backward(self, g):
        a = self.inputs[0]
        return (g * (2 / math.sqrt(math.pi)) * (-(a * a)).exp(),)


class Sign(Function):
    """-1, 0 or 1. Its derivative is 0 everywhere (taken as 0 at the jump), so a
    gradient built from it stays connected: the next derivative is 0, not undefined."""

    saves_inputs = ()

    def forward(self, a):
        return backend.get_array_module(a).sign(a)

    def backward(self, g):
        return (g * 0,)


class Step(Function):
    """1 where a > 0, else 0 (the derivative of relu). Its own derivative is 0."""

    saves_inputs = ()

    def forward(self, a):
        return (a > 0).astype(a.dtype)

    def backward(self, g):
        return (g * 0,)


class Abs(Function):
    def forward(self, a):
        return backend.get_array_module(a).abs(a)

    def backward(self, g):
        return (g * sign(self.inputs[0]),)


class Relu(Function):
    def forward(self, a):
        return backend.get_array_module(a).maximum(a, 0)

    def backward(self, g):
        return (g * step(self.inputs[0]),)


class Maximum(Function):
    """Elementwise max; at ties the gradient is split evenly, as in PyTorch."""

    def forward(self, a, b):
        return backend.get_array_module(a, b).maximum(a, b)

    def backward(self, g):
        a, b = self.inputs
        share = (a > b) + 0.5 * (a == b)
        return g * share, g * (1 - share)


class Minimum(Function):
    def forward(self, a, b):
        return backend.get_array_module(a, b).minimum(a, b)

    def backward(self, g):
        a, b = self.inputs
        share = (a < b) + 0.5 * (a == b)
        return g * share, g * (1 - share)


class Clip(Function):
    """Clip to [lo, hi] (either may be None); the gradient passes only inside."""

    def __init__(self, lo=None, hi=None):
        self.lo, self.hi = lo, hi

    def forward(self, a):
        return backend.get_array_module(a).clip(a, self.lo, self.hi)

    def backward(self, g):
        a = self.inputs[0]
        inside = 1
        if self.lo is not None:
            inside = inside * (a >= self.lo)
        if self.hi is not None:
            inside = inside * (a <= self.hi)
        return (g * inside,)


# ---- the functions and Tensor's methods ----


def exp(x):
    return Exp.apply(x)


def log(x):
    return Log.apply(x)


def sqrt(x):
    return Sqrt.apply(x)


def abs(x):  # noqa: A001
    return Abs.apply(x)


def tanh(x):
    return Tanh.apply(x)


def sigmoid(x):
    """1 / (1 + exp(-x)), stable for large ``|x|``."""
    return Sigmoid.apply(x)


def softplus(x):
    """log(1 + exp(x)), a smooth relu; stable for large ``|x|``."""
    return Softplus.apply(x)


def relu(x):
    return Relu.apply(x)


def erf(x):
    return Erf.apply(x)


def sign(x):
    """-1, 0 or 1; differentiable with derivative 0."""
    return Sign.apply(x)


def step(x):
    """1 where x > 0, else 0; differentiable with derivative 0."""
    return Step.apply(x)


def maximum(a, b):
    return Maximum.apply(a, b)


def minimum(a, b):
    return Minimum.apply(a, b)


def clip(x, lo=None, hi=None):
    """Limit values to [lo, hi]; either bound may be None."""
    return Clip.apply(x, lo=lo, hi=hi)


class ElementwiseMethods:
    """Tensor's elementwise methods (mixed into :class:`minilm.Tensor`)."""

    __slots__ = ()
    exp, log, sqrt, abs, tanh, sigmoid, softplus = exp, log, sqrt, abs, tanh, sigmoid, softplus
    relu, erf, sign, maximum, minimum, clip = relu, erf, sign, maximum, minimum, clip
    __abs__ = abs
