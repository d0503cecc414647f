"""The checkers themselves: they pass correct ops and catch wrong ones, with a
message a student can act on."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

import minilm
from minilm.backend import np
from minilm.tensor import Function
from minilm.testing import (
    GradcheckError,
    axes,
    broadcastable_shapes,
    gradcheck,
    gradgradcheck,
    shapes,
)


class WrongSign(Function):
    """x^2 with the gradient's sign flipped."""

    def forward(self, a):
        return a * a

    def backward(self, g):
        return (-2 * g * self.inputs[0],)


class FrozenSecondDerivative(Function):
    """x^3 whose backward is right in value but cut from the graph, so its
    second derivative comes out as zero."""

    def forward(self, a):
        return a**3

    def backward(self, g):
        x = self.inputs[0].detach()
        return (g * 3 * x * x,)


def x64(*values):
    return minilm.tensor(np.array(values, dtype=np.float64), requires_grad=True)


def test_gradcheck_passes_a_correct_op():
    assert gradcheck(lambda t: (t * t).tanh(), [x64(0.3, -1.2, 2.0)])


def test_gradcheck_catches_a_wrong_sign_and_names_the_element():
    with pytest.raises(GradcheckError, match=r"input 0 .* wrong at index \(\d,\): analytic"):
        gradcheck(lambda t: WrongSign.apply(t), [x64(0.5, 1.0, 2.0)])


def test_gradgradcheck_catches_a_backward_cut_from_the_graph():
    assert gradcheck(lambda t: FrozenSecondDerivative.apply(t), [x64(0.5, 1.5)])
    with pytest.raises(GradcheckError):
        gradgradcheck(lambda t: FrozenSecondDerivative.apply(t), [x64(0.5, 1.5)])


def test_gradcheck_demands_float64():
    with pytest.raises(TypeError, match="use float64"):
        gradcheck(lambda t: t * 2, [minilm.ones(2, requires_grad=True)])


@given(st.data())
def test_axes_strategy_draws_axes_numpy_accepts(data):
    shape = data.draw(shapes())
    axis = data.draw(axes(len(shape)))
    np.zeros(shape).sum(axis=axis)  # raises if the axis were invalid


@given(st.data())
def test_broadcastable_shapes_broadcast(data):
    a, b = data.draw(broadcastable_shapes(2))
    np.broadcast_shapes(a, b)
