"""Graders for ex6_gaussian_rdp, against ``minilm.privacy.accountant`` and hand values."""

import math

from hypothesis import strategies as st

from minilm.grading import assert_close, check, prop
from minilm.privacy.accountant import rdp_epsilon, rdp_sampled_gaussian

REIMPLEMENTS = ("minilm.privacy.rdp_epsilon", "minilm.privacy.accountant.rdp_sampled_gaussian",
                "minilm.privacy.accountant.rdp_to_epsilon")  # fmt: skip

_sigmas = st.floats(0.3, 10.0)
_alphas = st.floats(1.1, 256.0)
_deltas = st.floats(1e-9, 0.1)


@check(points=1)
@prop(sigma=_sigmas, alpha=_alphas)
def one_step(student, sigma, alpha):
    """gaussian_rdp: alpha / (2 sigma^2), e.g. 2.0 for sigma 1, alpha 4"""
    assert_close(student.gaussian_rdp(1.0, 4.0), 2.0, "gaussian_rdp(1, 4)")
    want = float(rdp_sampled_gaussian(sigma, 1.0, [alpha])[0])  # every example, every step
    assert_close(student.gaussian_rdp(sigma, alpha), want, f"gaussian_rdp({sigma}, {alpha})")


@check(points=2)
@prop(rdp=st.floats(0.0, 50.0), alpha=_alphas, delta=_deltas)
def conversion(student, rdp, alpha, delta):
    """rdp_to_dp: rdp + log(1/delta) / (alpha - 1)"""
    hand = 1.0 + math.log(1e5) / 9.0
    assert_close(student.rdp_to_dp(1.0, 10.0, 1e-5), hand, "rdp_to_dp(1, 10, 1e-5)")
    want = rdp + math.log(1 / delta) / (alpha - 1)
    assert_close(student.rdp_to_dp(rdp, alpha, delta), want, f"rdp_to_dp({rdp}, {alpha}, {delta})")


@check(points=2)
@prop(sigma=_sigmas, steps=st.integers(1, 10000), delta=_deltas,
      orders=st.lists(_alphas, min_size=1, max_size=8))  # fmt: skip
def composition(student, sigma, steps, delta, orders):
    """best_epsilon: steps add RDP, then the smallest epsilon over the orders"""
    call = f"best_epsilon({sigma}, {steps}, {delta}, {list(orders)})"
    got = student.best_epsilon(sigma, steps, delta, list(orders))
    rdp = steps * rdp_sampled_gaussian(sigma, 1.0, orders)  # RDP adds up over steps
    want = min(r + math.log(1 / delta) / (a - 1) for r, a in zip(rdp, orders))
    assert_close(got, want, call)
    tighter = rdp_epsilon(sigma, 1.0, steps, delta, orders=list(orders))
    assert got >= tighter - 1e-9, f"{call} = {got} is below the Balle et al. bound {tighter}"
