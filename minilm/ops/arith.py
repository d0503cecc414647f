"""Arithmetic: + - * / ** @ and negation. Broadcasting follows NumPy; the
engine sums each gradient back to its input's shape."""

from .. import precision
from ..autograd import Function
from .index import where


class Add(Function):
    saves_inputs = ()

    def forward(self, a, b):
        return a + b

    def backward(self, g):
        return g, g


class Sub(Function):
    saves_inputs = ()

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
    """``a / b``: true division, so integers divide to the default float."""

    saves_inputs = (1,)
    saves_output = True
    floating = True

    def forward(self, a, b):
        return a / b

    def backward(self, g):
        b = self.inputs[1]
        ga = g / b
        return ga, -ga * self.output  # d/db (a / b) = -a / b^2 = -(g / b) (a / b)


class Neg(Function):
    saves_inputs = ()

    def forward(self, a):
        return -a

    def backward(self, g):
        return (-g,)


class Pow(Function):
    """``a ** b``. d/da = b a^(b-1), d/db = a^b log(a).

    At a = 0 both formulas meet 0 * inf; the limits are taken instead, as
    PyTorch does: d/da a^0 = 0 (a^0 is the constant 1), and d/db a^b = 0 where
    a = 0 and b >= 0.
    """

    saves_output = True

    def forward(self, a, b):
        return a**b

    def backward(self, g):
        a, b = self.inputs
        ga = gb = None
        if self.needs_grad[0]:
            b_safe = where((a == 0) & (b == 0), 1, b)  # b a^(b-1) = 0 at b = 0, even at a = 0
            ga = g * b * a ** (b_safe - 1)
        if self.needs_grad[1]:
            zero = (a == 0) & (b >= 0)
            log_a = where(zero, 1, a).log()  # log(1) = 0 where the limit is 0
            gb = g * self.output * log_a
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
        return a @ b

    def backward(self, g):
        a, b = self.inputs
        A = a if a.ndim > 1 else a.reshape(1, -1)  # (..., n, k)
        B = b if b.ndim > 1 else b.reshape(-1, 1)  # (..., k, m)
        G = g.expand_dims(-2) if a.ndim == 1 else g
        G = G.expand_dims(-1) if b.ndim == 1 else G  # (..., n, m)
        ga = G @ B.swapaxes(-1, -2)  # (..., n, k); the engine sums broadcast batch axes
        gb = A.swapaxes(-1, -2) @ G  # (..., k, m)
        return (ga.squeeze(-2) if a.ndim == 1 else ga), (gb.squeeze(-1) if b.ndim == 1 else gb)


# ---- the functions and Tensor's operators ----


def add(a, b):
    """``a + b`` with broadcasting."""
    return Add.apply(a, b)


def sub(a, b):
    return Sub.apply(a, b)


def mul(a, b):
    return Mul.apply(a, b)


def div(a, b):
    return Div.apply(a, b)


def neg(a):
    return Neg.apply(a)


def pow(a, b):  # noqa: A001 - mirrors numpy.power's role
    """``a ** b``; ``b`` may be a number or a tensor."""
    return Pow.apply(a, b)


def matmul(a, b):
    """Matrix product with NumPy's batching rules.

    >>> import minilm
    >>> matmul(minilm.tensor([[1.0, 2.0]]), minilm.tensor([[3.0], [4.0]])).item()
    11.0

    Inside :func:`minilm.precision.autocast` the operands and the result are
    held in the low precision.
    """
    if precision.active():
        return precision.to_low(MatMul.apply(precision.to_low(a), precision.to_low(b)))
    return MatMul.apply(a, b)


class ArithmeticMethods:
    """Tensor's arithmetic operators (mixed into :class:`minilm.Tensor`)."""

    __slots__ = ()
    __add__, __sub__, __mul__, __truediv__ = add, sub, mul, div
    __neg__, __pow__, __matmul__, matmul = neg, pow, matmul, matmul

    def __radd__(self, other):
        return add(other, self)

    def __rsub__(self, other):
        return sub(other, self)

    def __rmul__(self, other):
        return mul(other, self)

    def __rtruediv__(self, other):
        return div(other, self)

    def __rpow__(self, other):
        return pow(other, self)

    def __rmatmul__(self, other):
        return matmul(other, self)
