"""Arithmetic: + - * / ** @ and negation. Broadcasting follows NumPy; the
engine sums each gradient back to its input's shape."""

from ..tensor import Function
from . import fused


class Add(Function):
    def forward(self, a, b):
        return a + b

    def backward(self, g):
        return g, g


class Sub(Function):
    def forward(self, a, b):
        return a - b

    def backward(self, g):
        return g, -g


class Mul(Function):
    def forward(self, a, b):
        return a * b

    def backward(self, g):
        a, b = self.inputs
        return g * b, g * a


class Div(Function):
    def forward(self, a, b):
        return a / b

    def backward(self, g):
        b = self.inputs[1]
        ga = g / b
        return ga, (-ga * self.output if self.needs_grad[1] else None)  # -g a / b^2


class Neg(Function):
    def forward(self, a):
        return -a

    def backward(self, g):
        return (-g,)


class Pow(Function):
    """a ** b. d/da = b a^(b-1); d/db = a^b log(a) (only asked for when b needs it)."""

    def forward(self, a, b):
        return a**b

    def backward(self, g):
        a, b = self.inputs
        ga = g * b * a ** (b - 1) if self.needs_grad[0] else None
        gb = g * self.output * a.log() if self.needs_grad[1] else None
        return ga, gb


class MatMul(Function):
    """Batched matrix product with NumPy's rules: 1-D operands are promoted to a
    row (left) or a column (right), and leading batch dimensions broadcast."""

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError("matmul needs operands with at least one dimension; use * for scalars")
        k_a, k_b = a.shape[-1], b.shape[-2] if b.ndim > 1 else b.shape[0]
        if k_a != k_b:
            raise ValueError(
                f"shapes {a.shape} and {b.shape} do not align: the last dimension of the "
                f"first ({k_a}) must equal the {'second-to-last' if b.ndim > 1 else 'only'} "
                f"dimension of the second ({k_b})"
            )
        if a.ndim > 2 and b.ndim == 2:  # (..., n, k) @ (k, m): one big GEMM, not a loop
            return (a.reshape(-1, k_a) @ b).reshape(*a.shape[:-1], b.shape[1])
        return fused.batched_matmul(a, b)  # a @ b, copying least on the GPU

    def backward(self, g):
        a, b = self.inputs
        if a.ndim > 2 and b.ndim == 2:  # the layer case x @ W: flatten the batch axes
            k, m = b.shape
            ga = g @ b.T if self.needs_grad[0] else None  # (..., n, k)
            gb = a.reshape(-1, k).T @ g.reshape(-1, m) if self.needs_grad[1] else None  # (k, m)
            return ga, gb
        A = a if a.ndim > 1 else a.reshape(1, -1)  # (..., n, k)
        B = b if b.ndim > 1 else b.reshape(-1, 1)  # (..., k, m)
        G = g
        if a.ndim == 1:
            G = G.expand_dims(-2)
        if b.ndim == 1:
            G = G.expand_dims(-1)  # G: (..., n, m)
        ga = gb = None
        if self.needs_grad[0]:
            ga = G @ B.swapaxes(-1, -2)  # (..., n, k)
            if a.ndim == 1:
                ga = ga.squeeze(-2)
        if self.needs_grad[1]:
            gb = A.swapaxes(-1, -2) @ G  # (..., k, m)
            if b.ndim == 1:
                gb = gb.squeeze(-1)
        return ga, gb
