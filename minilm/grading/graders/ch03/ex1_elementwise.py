"""Graders for ex1_elementwise: Mul, Div, Tanh and Sigmoid backward.

Each op gets two checks, computed in the student's process by the
``differentiate`` probe and compared here with minilm's own op (which the
project's tests check against finite differences): its output and gradient,
then a Hessian-vector product, the second derivative, which is only right
when the backward pass is written with Tensor ops.
"""

from hypothesis import strategies as st

import minilm
from minilm.backend import np
from minilm.grading import assert_close, check, prop
from minilm.sandbox.probes import derivatives
from minilm.testing import arrays, broadcastable_shapes, floats, shapes

REIMPLEMENTS = (
    "minilm.ops.arith.Mul.backward",
    "minilm.ops.arith.Div.backward",
    "minilm.ops.unary.Tanh.backward",
    "minilm.ops.unary.Sigmoid.backward",
)

_nonzero = st.one_of(floats(0.5, 3.0), floats(-3.0, -0.5))
pairs = broadcastable_shapes(2).flatmap(lambda s: st.tuples(arrays(s[0]), arrays(s[1])))
fractions = broadcastable_shapes(2).flatmap(
    lambda s: st.tuples(arrays(s[0]), arrays(s[1], elements=_nonzero))
)
singles = arrays(shapes())


def _directions(xs, seed=0):
    """An upstream gradient for the output and a direction per input, fixed by the shapes."""
    rng = np.random.default_rng(seed)
    out_shape = np.broadcast_shapes(*(x.shape for x in xs))
    return rng.standard_normal(out_shape), [rng.standard_normal(x.shape) for x in xs]


def _compare(student, cls, reference, xs, second):
    v, u = _directions(xs)
    wrt = list(range(len(xs)))
    got = student.differentiate(f"{cls}.apply", [x.copy() for x in xs], wrt, v,
                                u if second else None)  # fmt: skip
    want = derivatives(reference, [x.copy() for x in xs], wrt, v, u if second else None)
    assert_close(got["value"], want["value"], f"{cls}.forward")
    assert got["grads"] is not None, f"{cls}: the output does not require grad"
    for i, (a, b) in enumerate(zip(got["grads"], want["grads"], strict=True)):
        assert a is not None, f"{cls}.backward gives no gradient for input {i}"
        assert_close(a, b, f"{cls}.backward: gradient of input {i} (shape {xs[i].shape})")
    if second:
        for i, (a, b) in enumerate(zip(got["second"], want["second"], strict=True)):
            assert a is not None, (
                f"{cls}.backward is not differentiable in input {i}: compute it with Tensor "
                "operations, never on .data"
            )
            assert_close(a, b, f"{cls}: second derivative (Hessian-vector product), input {i}")


def _first(student, cls, reference, xs):
    _compare(student, cls, reference, xs, second=False)


def _second(student, cls, reference, xs):
    _compare(student, cls, reference, xs, second=True)


@check(points=2)
@prop(ab=pairs)
def mul(student, ab):
    """Mul.backward: gradients of a * b (broadcasting shapes)"""
    _first(student, "Mul", minilm.ops.mul, ab)


@check(points=1)
@prop(ab=pairs)
def mul_second_order(student, ab):
    """Mul.backward is differentiable: second derivative of a * b"""
    _second(student, "Mul", minilm.ops.mul, ab)


@check(points=2)
@prop(ab=fractions)
def div(student, ab):
    """Div.backward: gradients of a / b (broadcasting shapes)"""
    _first(student, "Div", minilm.ops.div, ab)


@check(points=1)
@prop(ab=fractions)
def div_second_order(student, ab):
    """Div.backward is differentiable: second derivative of a / b"""
    _second(student, "Div", minilm.ops.div, ab)


@check(points=2)
@prop(x=singles)
def tanh(student, x):
    """Tanh.backward: gradient of tanh(a)"""
    _first(student, "Tanh", minilm.tanh, (x,))


@check(points=1)
@prop(x=singles)
def tanh_second_order(student, x):
    """Tanh.backward is differentiable: second derivative of tanh(a)"""
    _second(student, "Tanh", minilm.tanh, (x,))


@check(points=2)
@prop(x=singles)
def sigmoid(student, x):
    """Sigmoid.backward: gradient of sigmoid(a)"""
    _first(student, "Sigmoid", minilm.sigmoid, (x,))


@check(points=1)
@prop(x=singles)
def sigmoid_second_order(student, x):
    """Sigmoid.backward is differentiable: second derivative of sigmoid(a)"""
    _second(student, "Sigmoid", minilm.sigmoid, (x,))
