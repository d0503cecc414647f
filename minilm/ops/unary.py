"""Elementwise functions of one tensor (and the two-tensor maximum/minimum).

Each backward uses the op's output where that is cheaper (exp, tanh, sigmoid,
sqrt): the output is a Tensor in the graph, so second derivatives still work.
"""

import math

from .. import backend
from ..tensor import Function


class Exp(Function):
    def forward(self, a):
        return backend.get_array_module(a).exp(a)

    def backward(self, g):
        return (g * self.output,)


class Log(Function):
    def forward(self, a):
        return backend.get_array_module(a).log(a)

    def backward(self, g):
        return (g / self.inputs[0],)


class Sqrt(Function):
    def forward(self, a):
        return backend.get_array_module(a).sqrt(a)

    def backward(self, g):
        return (g / (2 * self.output),)


class Abs(Function):
    def forward(self, a):
        return backend.get_array_module(a).abs(a)

    def backward(self, g):
        a = self.inputs[0]
        return (g * a.sign(),)


class Tanh(Function):
    def forward(self, a):
        return backend.get_array_module(a).tanh(a)

    def backward(self, g):
        y = self.output
        return (g * (1 - y * y),)


class Sigmoid(Function):
    def forward(self, a):
        xp = backend.get_array_module(a)
        # stable for large |a|: exp of a non-positive number only
        e = xp.exp(-xp.abs(a))
        return xp.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)

    def backward(self, g):
        y = self.output
        return (g * y * (1 - y),)


class Softplus(Function):
    """log(1 + exp(a)), stable for any a; its derivative is sigmoid(a)."""

    def forward(self, a):
        return backend.get_array_module(a).logaddexp(0, a).astype(a.dtype, copy=False)

    def backward(self, g):
        return (g * Sigmoid.apply(self.inputs[0]),)


class Relu(Function):
    def forward(self, a):
        return backend.get_array_module(a).maximum(a, 0)

    def backward(self, g):
        return (g * (self.inputs[0] > 0),)


class Erf(Function):
    def forward(self, a):
        return backend.erf(a)

    def backward(self, g):
        a = self.inputs[0]
        return (g * (2 / math.sqrt(math.pi)) * (-(a * a)).exp(),)


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
