"""Graders for ex2_gradient_penalty, against ``minilm.models.gan.gradient_penalty``
on small random critics (tanh MLPs, so the penalty has curvature in every weight)."""

from hypothesis import strategies as st

import minilm
import minilm.nn as nn
from minilm.backend import np
from minilm.grading import assert_close, check, prop
from minilm.models import gan
from minilm.tensor import Tensor, as_tensor


@st.composite
def problems(draw):
    """(critic, real, fake, eps) with a fresh tanh critic on D-dimensional data."""
    seed = draw(st.integers(0, 2**16))
    B, D = draw(st.integers(1, 5)), draw(st.integers(1, 3))
    rng = np.random.default_rng(seed)
    minilm.manual_seed(seed)
    net = nn.Sequential(nn.Linear(D, 4, dtype=np.float64), nn.Tanh(),
                        nn.Linear(4, 1, dtype=np.float64))  # fmt: skip
    real, fake = rng.normal(size=(B, D)), rng.normal(size=(B, D)) + 1.0
    eps = rng.random((B, 1))
    return net, real, fake, eps


def _penalty(fn, net, real, fake, eps, weight):
    critic = lambda x: net(x).reshape(-1)
    t = lambda a: as_tensor(a.copy())
    out = fn(critic, t(real), t(fake), t(eps), weight)
    assert isinstance(out, Tensor) and out.size == 1, "return the penalty as a one-number Tensor"
    return out


def _reference(critic, real, fake, eps, weight):
    return gan.gradient_penalty(critic, real, fake, weight, eps=eps)


@check(points=2)
@prop(problem=problems(), weight=st.sampled_from([1.0, 10.0]))
def value(student, problem, weight):
    """the penalty's value equals the reference's"""
    got = _penalty(student.gradient_penalty, *problem, weight)
    want = _penalty(_reference, *problem, weight)
    assert_close(got.item(), want.item(), "gradient penalty", rtol=1e-6)


@check(points=3)
@prop(problem=problems())
def weight_gradient(student, problem):
    """its gradient in the critic's weights equals the reference's (create_graph)"""
    net = problem[0]
    got = _penalty(student.gradient_penalty, *problem, 10.0)
    assert got.requires_grad, (
        "the penalty carries no graph: take the input gradient with create_graph=True"
    )
    got_g = minilm.grad(got, list(net.parameters()), allow_unused=True)
    want = _penalty(_reference, *problem, 10.0)
    want_g = minilm.grad(want, list(net.parameters()), allow_unused=True)
    for (name, _), g, w in zip(net.named_parameters(), got_g, want_g):
        if w is None:  # the last bias does not change the input gradient
            continue
        assert g is not None, f"no gradient reaches {name}: use create_graph=True"
        assert_close(g, w, f"d penalty / d {name}", rtol=1e-5, atol=1e-9)
