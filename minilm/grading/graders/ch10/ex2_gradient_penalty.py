"""Graders for ex2_gradient_penalty, against ``minilm.models.gan.gradient_penalty``
on small random critics (tanh MLPs, so the penalty has curvature in every weight)."""

from hypothesis import strategies as st

from minilm.backend import np
from minilm.grading import assert_close, check, prop
from minilm.models import gan
from minilm.sandbox.probes import penalty_and_grads

REIMPLEMENTS = ("minilm.models.gan.gradient_penalty",)


@st.composite
def problems(draw):
    """(seed, real, fake, eps): the seed makes the same fresh tanh critic on
    D-dimensional data here and in the student's process."""
    seed = draw(st.integers(0, 2**16))
    B, D = draw(st.integers(1, 5)), draw(st.integers(1, 3))
    rng = np.random.default_rng(seed)
    real, fake = rng.normal(size=(B, D)), rng.normal(size=(B, D)) + 1.0
    eps = rng.random((B, 1))
    return seed, real, fake, eps


def _student(student, problem, weight):
    return student.probe("gradient_penalty", "gradient_penalty", *problem, weight)


def _reference(problem, weight):
    def reference(critic, real, fake, eps, weight):
        return gan.gradient_penalty(critic, real, fake, weight, eps=eps)

    return penalty_and_grads(reference, *problem, weight)


@check(points=2)
@prop(problem=problems(), weight=st.sampled_from([1.0, 10.0]))
def value(student, problem, weight):
    """the penalty's value equals the reference's"""
    got, want = _student(student, problem, weight), _reference(problem, weight)
    assert_close(got["value"], want["value"], "gradient penalty", rtol=1e-6)


@check(points=3)
@prop(problem=problems())
def weight_gradient(student, problem):
    """its gradient in the critic's weights equals the reference's (create_graph)"""
    got, want = _student(student, problem, 10.0), _reference(problem, 10.0)
    assert got["requires_grad"], (
        "the penalty carries no graph: take the input gradient with create_graph=True"
    )
    grads = got.get("grads") if isinstance(got, dict) else None
    assert isinstance(grads, list) and len(grads) == len(want["grads"]), (
        "the student's process sent gradients for other weights than the critic's"
    )
    for name, g, w in zip(want["names"], grads, want["grads"], strict=True):
        if w is None:  # the last bias does not change the input gradient
            continue
        assert g is not None, f"no gradient reaches {name}: use create_graph=True"
        assert_close(g, w, f"d penalty / d {name}", rtol=1e-5, atol=1e-9)
