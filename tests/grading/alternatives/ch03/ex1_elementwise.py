"""Div backward from the output, Sigmoid backward from the input."""

from minilm import Function, backend


class Mul(Function):
    def forward(self, a, b):
        return a * b

    def backward(self, g):
        a, b = self.inputs
        return b * g, a * g


class Div(Function):
    def forward(self, a, b):
        return a / b

    def backward(self, g):
        a, b = self.inputs
        return g / b, -g * self.output / b


class Tanh(Function):
    def forward(self, a):
        return backend.get_array_module(a).tanh(a)

    def backward(self, g):
        return (g - g * self.output**2,)


class Sigmoid(Function):
    def forward(self, a):
        xp = backend.get_array_module(a)
        return 1 / (1 + xp.exp(-a))

    def backward(self, g):
        (a,) = self.inputs
        e = (-a).exp()
        return (g * e / (1 + e) ** 2,)
