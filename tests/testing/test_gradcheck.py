"""The checkers themselves: they pass correct ops and catch wrong ones, with a
message a student can act on."""

import operator

import pytest
from hypothesis import given
from hypothesis import strategies as st

import minilm
import minilm.functional as F
from minilm.backend import np
from minilm.tensor import Function
from minilm.testing import (
    GradcheckError,
    axes,
    broadcastable_shapes,
    check_op,
    gradcheck,
    gradgradcheck,
    op_test,
    shapes,
)
from minilm.testing.optest import non_contiguous


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


# ---- op_test's checks: each one passes a correct op and catches its own bug ----


def _doubled(a):
    return 2 * a


class Float16InFloat32(Function):
    """2x, computed in float16 when the input is float32 (a lossy fast path)."""

    def forward(self, a):
        if a.dtype == np.float32:
            return (a.astype(np.float16) * 2).astype(np.float32)
        return a * 2

    def backward(self, g):
        return (g * 2,)


class Float64OnFloat32(Function):
    """2x through a NumPy float64 scalar, which makes a float32 input's output
    float64 (NumPy 2 promotes arrays with NumPy scalars by dtype)."""

    def forward(self, a):
        return a * np.float64(2.0)

    def backward(self, g):
        return (g * 2,)


class ApproximateFloat32Backward(Function):
    """2x whose backward scales by 2.001 on float32 (a sloppy float32 path)."""

    def forward(self, a):
        return a * 2

    def backward(self, g):
        return (g * (2.001 if g.dtype == np.float32 else 2.0),)


class Float64GradientOnFloat32(Function):
    """2x whose backward builds a float64 gradient whatever the input's dtype."""

    def forward(self, a):
        return a * 2

    def backward(self, g):
        return (minilm.tensor(g.numpy().astype(np.float64) * 2),)


def _as_flat_buffer(a):
    """``a``'s elements as a C kernel that ignores strides would read them."""
    return np.lib.stride_tricks.as_strided(a, shape=(a.size,), strides=(a.itemsize,))


class StrideBlindForward(Function):
    """2x computed on the raw buffer: right on contiguous input only."""

    def forward(self, a):
        return (_as_flat_buffer(a) * 2).reshape(a.shape)

    def backward(self, g):
        return (g * 2,)


class StrideBlindBackward(Function):
    """x^2 whose backward reads its saved input from the raw buffer."""

    def forward(self, a):
        return a * a

    def backward(self, g):
        a = self.inputs[0].data
        return (g * minilm.tensor(2 * _as_flat_buffer(a).reshape(a.shape)),)


class WritesIntoInput(Function):
    """2x computed in place, in the input's own memory."""

    def forward(self, a):
        a *= 2
        return a.copy()

    def backward(self, g):
        return (g * 2,)


class LastElementGradientDropped(Function):
    """x^2 whose gradient misses the last element (a boundary bug)."""

    def forward(self, a):
        return a * a

    def backward(self, g):
        mask = np.ones(self.inputs[0].shape, self.inputs[0].dtype)
        mask.reshape(-1)[-1] = 0
        return (2 * g * self.inputs[0] * minilm.tensor(mask),)


def _values(*shape, seed=0):
    return np.random.default_rng(seed).uniform(-2, 2, shape)


def test_check_op_passes_correct_ops_of_every_size():
    for shape in [(), (1,), (3,), (2, 3), (5, 7), (4, 3, 5)]:
        check_op(lambda t: (t * t).tanh(), lambda a: np.tanh(a * a), [_values(*shape)])
    check_op(operator.mul, np.multiply, [_values(4, 1, 9), _values(3, 1)])
    check_op(lambda t: t.T @ t, lambda a: a.T @ a, [_values(6, 7)])


test_op_test_passes_a_correct_op = op_test(
    lambda x: (x * x).tanh() + x.exp(), lambda x: np.tanh(x * x) + np.exp(x)
)
test_op_test_passes_a_correct_op_on_big_inputs = op_test(
    lambda x, y: (x * y).sum(axis=0),
    lambda x, y: (x * y).sum(axis=0),
    nargs=2,
    shape=st.just(((9, 8), (8,))),
)


def test_float32_check_catches_float16_arithmetic():
    x = [_values(3, 5)]
    check_op(Float16InFloat32.apply, _doubled, x, check_float32=False)
    with pytest.raises(AssertionError, match="float32 forward, output 0"):
        check_op(Float16InFloat32.apply, _doubled, x)


def test_float32_check_catches_a_float64_output():
    x = [_values(3, 5)]
    check_op(Float64OnFloat32.apply, _doubled, x, check_float32=False)
    with pytest.raises(AssertionError, match="output 0 is float64 on float32 inputs"):
        check_op(Float64OnFloat32.apply, _doubled, x)


def test_float32_check_catches_a_float32_only_gradient_error():
    x = [_values(3, 5)]
    check_op(ApproximateFloat32Backward.apply, _doubled, x, check_float32=False)
    with pytest.raises(AssertionError, match="float32 gradient of input 0"):
        check_op(ApproximateFloat32Backward.apply, _doubled, x)


def test_a_float64_backward_still_gives_a_float32_gradient():
    """The engine casts each gradient to its input's dtype (as PyTorch does), so
    an op whose backward computes in float64 cannot hand float64 to a float32
    input; the float32 check would flag it if it ever did."""
    x = minilm.tensor(np.ones(2, np.float32), requires_grad=True)
    (g,) = minilm.grad(Float64GradientOnFloat32.apply(x).sum(), [x])
    assert g.dtype == np.float32
    Float64GradientOnFloat32.apply(x).sum().backward()
    assert x.grad.dtype == np.float32


def test_float32_check_allows_what_the_inputs_conditioning_explains():
    """Layer norm of a constant row: in float32 ``x - mean`` is a rounding,
    not 0, divided by ``sqrt(1e-5)``, so the weight's gradient is ~1e-4 off
    (any float32 layer norm does this). Hypothesis found this row."""
    row = np.full((2, 3), 2.80415009)
    ln = lambda x, w, b: F.layer_norm(x, w, b)
    check_op(ln, None, [row, np.zeros(3), np.zeros(3)], atol=1e-4)
    check_op(ln, None, [row + [0, 1e-9, 0], _values(3), _values(3, seed=1)], atol=1e-4)


def test_float32_check_casts_only_float_inputs():
    """Integer inputs (indices here) stay integers; float ones become float32."""
    take = lambda x, idx: x[idx] * 3.0
    check_op(take, lambda a, i: a[i] * 3, [_values(5, 2), np.array([4, 0, 4])], grad_inputs=[0])


@pytest.mark.parametrize(
    "shape", [(2,), (7,), (1, 5), (5, 1), (3, 4), (2, 1, 3), (2, 3, 4), (1, 1, 2)]
)
def test_non_contiguous_holds_the_values_in_a_strided_view(shape):
    a = _values(*shape)
    v = non_contiguous(a)
    assert v.shape == a.shape and v.dtype == a.dtype
    assert not v.flags.c_contiguous and not v.flags.f_contiguous
    np.testing.assert_array_equal(v, a)


@pytest.mark.parametrize("shape", [(), (1,), (0,), (1, 1), (3, 0)])
def test_non_contiguous_gives_up_where_numpy_calls_every_layout_contiguous(shape):
    assert non_contiguous(np.zeros(shape)) is None


def test_strided_check_catches_a_forward_that_ignores_strides():
    x = [_values(3, 4)]
    check_op(StrideBlindForward.apply, _doubled, x, check_strided=False)
    with pytest.raises(AssertionError, match="forward on non-contiguous inputs"):
        check_op(StrideBlindForward.apply, _doubled, x)


def test_strided_check_catches_a_backward_that_ignores_strides():
    x = [_values(6)]  # its backward is a constant: no second derivative to check
    check_op(StrideBlindBackward.apply, lambda a: a * a, x, check_strided=False, second_order=False)
    with pytest.raises(AssertionError, match="gradient of input 0 on non-contiguous inputs"):
        check_op(StrideBlindBackward.apply, lambda a: a * a, x, second_order=False)


def test_check_op_catches_an_op_that_writes_into_its_input():
    with pytest.raises(AssertionError, match="wrote into its input 0"):
        check_op(WritesIntoInput.apply, _doubled, [_values(2, 3)])


def test_directional_check_catches_a_wrong_gradient_on_big_inputs():
    x = x64(*_values(100))
    assert gradcheck(lambda t: t * t, [x], directions=3, elementwise_max_size=32)
    with pytest.raises(GradcheckError, match=r"input 0 .* wrong along random direction 0"):
        gradcheck(lambda t: WrongSign.apply(t), [x], directions=3, elementwise_max_size=32)
    with pytest.raises(GradcheckError, match="along random direction"):
        check_op(WrongSign.apply, lambda a: a * a, [_values(10, 10)])
    with pytest.raises(GradcheckError, match="wrong at index"):  # directions=0: the old way
        check_op(WrongSign.apply, lambda a: a * a, [_values(10, 10)], directions=0)


def test_directional_check_catches_a_gradient_wrong_in_one_element():
    big = [_values(8, 8)]  # 64 > 32 elements: checked along directions only
    with pytest.raises(GradcheckError, match="along random direction"):
        check_op(LastElementGradientDropped.apply, lambda a: a * a, big)
    with pytest.raises(GradcheckError, match=r"wrong at index \(1, 1\)"):
        check_op(LastElementGradientDropped.apply, lambda a: a * a, [_values(2, 2)])


def test_directional_second_order_check_catches_a_backward_cut_from_the_graph():
    x = x64(*_values(50))
    assert gradgradcheck(lambda t: t.tanh(), [x], directions=3, elementwise_max_size=0)
    with pytest.raises(GradcheckError, match="second derivative: .* along random direction"):
        gradgradcheck(
            lambda t: FrozenSecondDerivative.apply(t), [x], directions=3, elementwise_max_size=0
        )
    op, big = FrozenSecondDerivative.apply, [_values(6, 7)]
    check_op(op, lambda a: a**3, big, second_order=False)  # the first derivative is right
    with pytest.raises(GradcheckError, match="FrozenSecondDerivative'': .* along random direct"):
        check_op(op, lambda a: a**3, big)


def test_directions_are_needed_to_skip_the_elementwise_check():
    with pytest.raises(ValueError, match="needs directions"):
        gradcheck(lambda t: t * t, [x64(1.0, 2.0)], elementwise_max_size=1)


def test_gradcheck_leaves_the_inputs_as_they_were():
    x = x64(*_values(40))
    before = x.numpy().copy()
    gradgradcheck(lambda t: t.exp(), [x], directions=3, elementwise_max_size=8)
    np.testing.assert_array_equal(x.numpy(), before)
