"""Graders for ex3_vae_terms, against ``minilm.models.vae``."""

from hypothesis import strategies as st

import minilm
from minilm.grading import assert_close, check, prop
from minilm.models import vae
from minilm.sandbox.probes import derivatives
from minilm.testing import arrays, floats

REIMPLEMENTS = ("minilm.models.vae.gaussian_kl", "minilm.models.vae.reparameterize")

_shape = st.tuples(st.integers(1, 4), st.integers(1, 5))


@st.composite
def gaussians(draw):
    shape = draw(_shape)
    return tuple(draw(arrays(shape, elements=floats(-3, 3))) for _ in range(3))


def _compare(got, want, what, names):
    assert_close(got["value"], want["value"], what)
    assert got["grads"] is not None, f"{what} carries no gradient: compute it with Tensor ops"
    for g, w, name in zip(got["grads"], want["grads"], names, strict=True):
        assert g is not None, f"{what} does not depend on {name}"
        assert_close(g, w, f"d{what}/d{name}")


@check(points=2)
@prop(p=gaussians())
def reparameterization(student, p):
    """z = mu + sigma * eps, and its gradients in mu and logvar"""
    mu, logvar, eps = (a.copy() for a in p)
    got = student.differentiate("reparameterize", [mu, logvar, minilm.as_tensor(eps)], [0, 1])
    want = derivatives(lambda m, lv, e: m + minilm.exp(0.5 * lv) * e,
                       [mu, logvar, minilm.as_tensor(eps)], [0, 1])  # fmt: skip
    _compare(got, want, "z", ["mu", "logvar"])


@check(points=2)
@prop(p=gaussians())
def kl(student, p):
    """KL(N(mu, exp(logvar)) || N(0, I)) per row, and its gradients"""
    mu, logvar = (a.copy() for a in p[:2])
    got = student.differentiate("gaussian_kl", [mu, logvar], [0, 1])
    want = derivatives(vae.gaussian_kl, [mu, logvar], [0, 1])
    _compare(got, want, "KL", ["mu", "logvar"])
