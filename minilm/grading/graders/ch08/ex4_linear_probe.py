"""Graders for ex4_linear_probe, against minilm's autograd of ``X @ W + b`` through
``F.cross_entropy``."""

from hypothesis import strategies as st

import minilm
import minilm.functional as F
from minilm.backend import np
from minilm.grading import assert_close, check, prop
from minilm.tensor import tensor

REIMPLEMENTS = ("minilm.functional.cross_entropy", "minilm.functional.log_softmax",
                "minilm.functional.softmax")  # fmt: skip


@st.composite
def problems(draw, scale=1.0):
    """(features (N, D), W (D, C), b (C,), targets (N,)) float64; ``scale`` multiplies
    the features, so logits reach about ``scale`` in size."""
    N, D, C = draw(st.integers(1, 6)), draw(st.integers(1, 5)), draw(st.integers(2, 5))
    gen = np.random.default_rng(draw(st.integers(0, 2**31)))
    features = gen.normal(size=(N, D)) * scale
    W, b = gen.normal(size=(D, C)), gen.normal(size=C)
    targets = gen.integers(0, C, size=N)
    return features, W, b, targets


def _reference(features, W, b, targets):
    Wt, bt = tensor(W.copy(), requires_grad=True), tensor(b.copy(), requires_grad=True)
    loss = F.cross_entropy(tensor(features.copy()) @ Wt + bt, targets.copy())
    dW, db = minilm.grad(loss, [Wt, bt])
    return loss.item(), dW.numpy(), db.numpy()


def _student(student, problem):
    args = tuple(a.copy() for a in problem)
    got = student.probe_loss_and_grads(*args)
    assert isinstance(got, tuple) and len(got) == 3, (
        "probe_loss_and_grads must return (loss, dW, db)"
    )
    for a, b in zip(args, problem):
        assert (a == b).all(), "the inputs were modified in place"
    for name, g in zip(("dW", "db"), got[1:]):
        assert np.asarray(g).dtype == np.float64, (
            f"{name}: dtype {np.asarray(g).dtype}, want float64"
        )
    return got


@check(points=1)
@prop(problem=problems())
def loss(student, problem):
    """the loss equals F.cross_entropy of features @ W + b"""
    assert_close(_student(student, problem)[0], _reference(*problem)[0], "loss")


@check(points=2)
@prop(problem=problems())
def gradients(student, problem):
    """dW and db equal minilm's gradients"""
    _, dW, db = _student(student, problem)
    _, want_dW, want_db = _reference(*problem)
    assert_close(dW, want_dW, "dW")
    assert_close(db, want_db, "db")


@check(points=1)
@prop(problem=problems(scale=300.0))
def huge_logits(student, problem):
    """loss, dW and db stay finite and right when the logits reach about 1000"""
    got, want = _student(student, problem), _reference(*problem)
    for what, g, w in zip(("loss", "dW", "db"), got, want):
        assert_close(g, w, f"{what} with huge logits", rtol=1e-6, atol=1e-6)
