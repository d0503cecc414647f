"""Exercise 1 (12 points): the backward pass of four elementwise ops.

Each class is a minilm ``Function`` (read minilm/ops/arith.py and unary.py for
the pattern): ``forward`` computes on raw arrays and is given; ``backward(g)``
receives ``g``, the gradient of the loss with respect to the output, and
returns a tuple with one gradient per input. Write the four ``backward`` methods:

    Mul:      out = a * b
    Div:      out = a / b
    Tanh:     out = tanh(a)
    Sigmoid:  out = 1 / (1 + exp(-a))

Rules, as in minilm's own ops:
- ``self.inputs`` holds the input Tensors, ``self.output`` the output Tensor;
  reuse the output where the derivative is written in terms of it.
- Compute with Tensor operations (``+ - * /``, ``.exp()``, ...), never on
  ``.data``: then the backward pass is itself differentiable, and second
  derivatives work.
- Return gradients in the broadcast (output) shape; the engine sums them back
  to each input's shape.

Checked for each op on random float64 arrays (and random broadcastable shapes
for Mul and Div): the gradient equals minilm's own op's gradient and finite
differences (2 points); the second derivative matches finite differences (1 point).

    python -m minilm grade chapters/03_neural_networks/exercises/ex1_elementwise.py
"""

from minilm import Function, backend


class Mul(Function):
    def forward(self, a, b):
        return a * b

    def backward(self, g):
        a, b = self.inputs
        ### BEGIN YOUR SOLUTION
        raise NotImplementedError("write Mul.backward")
        ### END YOUR SOLUTION


class Div(Function):
    def forward(self, a, b):
        return a / b

    def backward(self, g):
        a, b = self.inputs
        ### BEGIN YOUR SOLUTION
        raise NotImplementedError("write Div.backward")
        ### END YOUR SOLUTION


class Tanh(Function):
    def forward(self, a):
        return backend.get_array_module(a).tanh(a)

    def backward(self, g):
        ### BEGIN YOUR SOLUTION
        raise NotImplementedError("write Tanh.backward")
        ### END YOUR SOLUTION


class Sigmoid(Function):
    def forward(self, a):
        xp = backend.get_array_module(a)
        return 1 / (1 + xp.exp(-a))

    def backward(self, g):
        ### BEGIN YOUR SOLUTION
        raise NotImplementedError("write Sigmoid.backward")
        ### END YOUR SOLUTION
