"""Graders for ex5_rnn_bptt, against the gradients minilm's engine computes."""

from hypothesis import strategies as st

import minilm
from minilm.grading import assert_close, check, prop
from minilm.tensor import as_tensor, tensor
from minilm.testing import arrays, floats

# what this exercise asks the student to write: refused in the sandbox
REIMPLEMENTS = ("minilm.tensor.Tensor.backward", "minilm.autograd.backward", "minilm.autograd.grad")

NAMES = ("dxs", "dh0", "dW_ih", "dW_hh", "db")


@st.composite
def problems(draw, T):
    B, I, H = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    T = draw(T)
    a = lambda shape: draw(arrays(shape, floats(-1.5, 1.5)))  # noqa: E731
    return a((T, B, I)), a((B, H)), a((I, H)), a((H, H)), a((H,)), a((T, B, H))


def _reference(xs, h0, W_ih, W_hh, b, grad_hs):
    leaves = [tensor(v.copy(), requires_grad=True) for v in (xs, h0, W_ih, W_hh, b)]
    X, h, Wi, Wh, bb = leaves
    loss = 0.0
    for t in range(len(xs)):
        h = (X[t] @ Wi + h @ Wh + bb).tanh()
        loss = loss + (h * as_tensor(grad_hs[t])).sum()
    return minilm.grad(loss, leaves)


def _compare(student, problem, which):
    result = student.rnn_bptt(*(v.copy() for v in problem))
    assert isinstance(result, tuple) and len(result) == 5, (
        f"rnn_bptt must return (dxs, dh0, dW_ih, dW_hh, db), got {type(result).__name__}"
    )
    want = _reference(*problem)
    for i, name in enumerate(NAMES):
        if name in which:
            assert_close(result[i], want[i], f"{name} (T={len(problem[0])})", atol=1e-7)


@check(points=2)
@prop(problem=problems(st.integers(2, 6)))
def weight_gradients(student, problem):
    """dW_ih, dW_hh and db, summed over every time step"""
    _compare(student, problem, ("dW_ih", "dW_hh", "db"))


@check(points=2)
@prop(problem=problems(st.integers(2, 6)))
def input_and_state_gradients(student, problem):
    """dxs for every step, and dh0 at the start of the sequence"""
    _compare(student, problem, ("dxs", "dh0"))


@check(points=1)
@prop(problem=problems(st.just(1)))
def one_step(student, problem):
    """a sequence of one step"""
    _compare(student, problem, NAMES)
