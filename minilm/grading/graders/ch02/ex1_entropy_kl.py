"""Graders for ex1_entropy_kl, against ``minilm.info``."""

import math

from hypothesis import strategies as st

from minilm import info
from minilm.grading import assert_close, check, prop

from ._distributions import distribution_pairs, distributions

# what this exercise asks the student to write: refused in the sandbox
REIMPLEMENTS = ("minilm.info.entropy", "minilm.info.cross_entropy", "minilm.info.kl_divergence")

bases = st.sampled_from([None, 2, 10, math.e])  # every base the text allows


def _call(fn, *args, base):
    got = fn(*(a.copy() for a in args), base=base)
    return got


@check(points=1)
@prop(p=st.integers(1, 8).flatmap(distributions), base=bases)
def entropy(student, p, base):
    """H(p), with 0 log 0 = 0"""
    assert_close(_call(student.entropy, p, base=base), info.entropy(p, base=base), "H(p)")


@check(points=1)
@prop(pq=distribution_pairs(), base=bases)
def cross_entropy(student, pq, base):
    """H(p, q) for q positive everywhere"""
    got = _call(student.cross_entropy, *pq, base=base)
    assert_close(got, info.cross_entropy(*pq, base=base), "H(p, q)")


@check(points=1)
@prop(pq=distribution_pairs(), base=bases)
def kl(student, pq, base):
    """KL(p || q) for q positive everywhere; 0 when p == q"""
    got = _call(student.kl_divergence, *pq, base=base)
    assert_close(got, info.kl_divergence(*pq, base=base), "KL(p || q)", atol=1e-9)
    p = pq[0]
    assert_close(_call(student.kl_divergence, p, p, base=base), 0.0, "KL(p || p)", atol=1e-9)


@check(points=1)
@prop(pq=distribution_pairs(q_zeros=True))
def zeros_and_bits(student, pq):
    """inf where q misses an outcome of p; bits are nats / log 2"""
    p, q = pq
    for name in ("cross_entropy", "kl_divergence"):
        want = getattr(info, name)(p, q, base=2)
        got = _call(getattr(student, name), p, q, base=2)
        if math.isinf(want):
            assert got == math.inf, f"{name}: q gives 0 where p does not, expected inf, got {got}"
        else:
            assert_close(got, want, f"{name} in bits", atol=1e-9)
