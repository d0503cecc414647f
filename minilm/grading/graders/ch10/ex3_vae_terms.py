"""Graders for ex3_vae_terms, against ``minilm.models.vae``."""

from hypothesis import strategies as st

import minilm
from minilm.grading import assert_close, check, prop
from minilm.models import vae
from minilm.tensor import Tensor, tensor
from minilm.testing import arrays, floats

_shape = st.tuples(st.integers(1, 4), st.integers(1, 5))


@st.composite
def gaussians(draw):
    shape = draw(_shape)
    return tuple(draw(arrays(shape, elements=floats(-3, 3))) for _ in range(3))


def _grads(out, xs):
    assert isinstance(out, Tensor), f"return a minilm Tensor, got {type(out).__name__}"
    return minilm.grad(out.sum(), xs, allow_unused=True)


@check(points=2)
@prop(p=gaussians())
def reparameterization(student, p):
    """z = mu + sigma * eps, and its gradients in mu and logvar"""
    mu, logvar, eps = (tensor(a.copy(), requires_grad=True) for a in p)
    got = student.reparameterize(mu, logvar, eps.detach())
    want = mu + minilm.exp(0.5 * logvar) * eps.detach()
    assert_close(got, want, "z")
    for g, w, name in zip(_grads(got, [mu, logvar]), _grads(want, [mu, logvar]), ["mu", "logvar"]):
        assert_close(g, w, f"dz/d{name}")


@check(points=2)
@prop(p=gaussians())
def kl(student, p):
    """KL(N(mu, exp(logvar)) || N(0, I)) per row, and its gradients"""
    mu, logvar = (tensor(a.copy(), requires_grad=True) for a in p[:2])
    got = student.gaussian_kl(mu, logvar)
    want = vae.gaussian_kl(mu, logvar)
    assert_close(got, want, "KL per row")
    for g, w, name in zip(_grads(got, [mu, logvar]), _grads(want, [mu, logvar]), ["mu", "logvar"]):
        assert_close(g, w, f"dKL/d{name}")
