"""Graders for ex4_negative_sampling, against minilm's loss and engine gradients."""

from hypothesis import strategies as st

import minilm
from minilm.grading import assert_close, check, prop
from minilm.models.word2vec import negative_sampling_loss
from minilm.tensor import tensor
from minilm.testing import arrays, floats

# what this exercise asks the student to write: refused in the sandbox
REIMPLEMENTS = ("minilm.models.word2vec.negative_sampling_loss",)


@st.composite
def problems(draw, scale=1.0):
    B, K, D = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 5))
    a = lambda shape: draw(arrays(shape, floats(-scale, scale)))  # noqa: E731
    return a((B, D)), a((B, D)), a((B, K, D))


def _reference(v, u_pos, u_neg):
    leaves = [tensor(x.copy(), requires_grad=True) for x in (v, u_pos, u_neg)]
    loss = negative_sampling_loss(*leaves)
    return (loss.item(), *minilm.grad(loss, leaves))


def _call(student, problem):
    result = student.negative_sampling(*(x.copy() for x in problem))
    assert isinstance(result, tuple) and len(result) == 4, (
        f"negative_sampling must return (loss, dv, du_pos, du_neg), got {type(result).__name__}"
    )
    return result


@check(points=1)
@prop(problem=problems())
def loss(student, problem):
    """the loss equals minilm's negative_sampling_loss"""
    assert_close(_call(student, problem)[0], _reference(*problem)[0], "loss")


@check(points=2)
@prop(problem=problems())
def gradients(student, problem):
    """dv, du_pos and du_neg equal the engine's"""
    got, want = _call(student, problem), _reference(*problem)
    for i, name in enumerate(("dv", "du_pos", "du_neg"), start=1):
        assert_close(got[i], want[i], name, atol=1e-9)


@check(points=1)
@prop(problem=problems(scale=30.0))
def huge_scores(student, problem):
    """loss and gradients stay finite and right for scores up to about 1000"""
    got, want = _call(student, problem), _reference(*problem)
    assert_close(got[0], want[0], "loss with huge scores")
    for i, name in enumerate(("dv", "du_pos", "du_neg"), start=1):
        assert_close(got[i], want[i], f"{name} with huge scores", atol=1e-9)
