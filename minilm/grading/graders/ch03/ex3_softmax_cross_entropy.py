"""Graders for ex3_softmax_cross_entropy, against ``F.cross_entropy`` and the
gradient minilm's engine computes for it."""

from hypothesis import strategies as st

import minilm
import minilm.functional as F
from minilm.backend import np
from minilm.grading import assert_close, check, prop
from minilm.tensor import tensor
from minilm.testing import arrays, floats

# what this exercise asks the student to write: refused in the sandbox
REIMPLEMENTS = ("minilm.functional.cross_entropy", "minilm.ops.composite.CrossEntropy.backward")


@st.composite
def problems(draw, scale=3.0):
    """(logits (N, C), targets (N,)) with entries of ``logits`` in [-scale, scale]."""
    N, C = draw(st.integers(1, 5)), draw(st.integers(2, 6))
    logits = draw(arrays((N, C), elements=floats(-scale, scale)))
    targets = np.array(draw(st.lists(st.integers(0, C - 1), min_size=N, max_size=N)))
    return logits, targets


def _reference(logits, targets):
    z = tensor(logits.copy(), requires_grad=True)
    loss = F.cross_entropy(z, targets)
    (dz,) = minilm.grad(loss, [z])
    return loss.item(), dz


def _student(student, logits, targets):
    result = student.softmax_cross_entropy(logits.copy(), targets.copy())
    assert isinstance(result, tuple) and len(result) == 2, (
        f"softmax_cross_entropy must return (loss, dlogits), got {type(result).__name__}"
    )
    return result


@check(points=1)
@prop(problem=problems())
def loss(student, problem):
    """the loss equals F.cross_entropy's"""
    got, _ = _student(student, *problem)
    assert_close(got, _reference(*problem)[0], "loss")


@check(points=2)
@prop(problem=problems())
def gradient(student, problem):
    """dlogits equals minilm's gradient of F.cross_entropy"""
    _, got = _student(student, *problem)
    assert_close(got, _reference(*problem)[1], "dlogits")


@check(points=1)
@prop(problem=problems(scale=1000.0))
def huge_logits(student, problem):
    """loss and gradient stay finite and right for logits up to 1000"""
    got_loss, got_grad = _student(student, *problem)
    want_loss, want_grad = _reference(*problem)
    assert_close(got_loss, want_loss, "loss with huge logits")
    assert_close(got_grad, want_grad, "dlogits with huge logits")
