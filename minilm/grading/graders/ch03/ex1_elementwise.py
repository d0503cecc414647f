"""Graders for ex1_elementwise: Mul, Div, Tanh and Sigmoid backward.

Each op gets two checks: its gradient against minilm's own op and against
finite differences, then its second derivative (which needs a backward pass
written with Tensor ops).
"""

from hypothesis import strategies as st

import minilm
from minilm.grading import assert_close, check, prop
from minilm.tensor import as_tensor, tensor
from minilm.testing import arrays, broadcastable_shapes, floats, gradcheck, gradgradcheck, shapes

_nonzero = st.one_of(floats(0.5, 3.0), floats(-3.0, -0.5))
pairs = broadcastable_shapes(2).flatmap(lambda s: st.tuples(arrays(s[0]), arrays(s[1])))
fractions = broadcastable_shapes(2).flatmap(
    lambda s: st.tuples(arrays(s[0]), arrays(s[1], elements=_nonzero))
)
singles = arrays(shapes())


def _leaves(xs):
    return [tensor(x.copy(), requires_grad=True) for x in xs]


def _first(student, cls, reference, xs):
    """The student's gradient equals the reference op's, and finite differences."""
    op = getattr(student, cls).apply
    ts, refs = _leaves(xs), _leaves(xs)
    out, expected = op(*ts), reference(*refs)
    assert_close(out, expected, f"{cls}.forward")
    v = as_tensor(minilm.backend.np.random.default_rng(0).standard_normal(out.shape))
    got = minilm.grad((out * v).sum(), ts, allow_unused=True)
    want = minilm.grad((expected * v).sum(), refs)
    for i, (a, b) in enumerate(zip(got, want)):
        assert_close(a, b, f"{cls}.backward: gradient of input {i} (shape {xs[i].shape})")
    gradcheck(op, ts, name=cls)


def _second(student, cls, xs):
    gradgradcheck(getattr(student, cls).apply, _leaves(xs), name=cls)


@check(points=2)
@prop(ab=pairs)
def mul(student, ab):
    """Mul.backward: gradients of a * b (broadcasting shapes)"""
    _first(student, "Mul", minilm.ops.mul, ab)


@check(points=1)
@prop(ab=pairs)
def mul_second_order(student, ab):
    """Mul.backward is differentiable: second derivative of a * b"""
    _second(student, "Mul", ab)


@check(points=2)
@prop(ab=fractions)
def div(student, ab):
    """Div.backward: gradients of a / b (broadcasting shapes)"""
    _first(student, "Div", minilm.ops.div, ab)


@check(points=1)
@prop(ab=fractions)
def div_second_order(student, ab):
    """Div.backward is differentiable: second derivative of a / b"""
    _second(student, "Div", ab)


@check(points=2)
@prop(x=singles)
def tanh(student, x):
    """Tanh.backward: gradient of tanh(a)"""
    _first(student, "Tanh", minilm.tanh, (x,))


@check(points=1)
@prop(x=singles)
def tanh_second_order(student, x):
    """Tanh.backward is differentiable: second derivative of tanh(a)"""
    _second(student, "Tanh", (x,))


@check(points=2)
@prop(x=singles)
def sigmoid(student, x):
    """Sigmoid.backward: gradient of sigmoid(a)"""
    _first(student, "Sigmoid", minilm.sigmoid, (x,))


@check(points=1)
@prop(x=singles)
def sigmoid_second_order(student, x):
    """Sigmoid.backward is differentiable: second derivative of sigmoid(a)"""
    _second(student, "Sigmoid", (x,))
