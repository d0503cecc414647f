"""Graders for ex3_kl_penalized_reward, against ``minilm.rl.rlhf.kl_penalized_reward``."""

from hypothesis import strategies as st

from minilm.backend import np
from minilm.grading import assert_close, check, prop
from minilm.rl.rlhf import kl_penalized_reward
from minilm.testing import arrays, floats

# what this exercise asks the student to write: refused in the sandbox
REIMPLEMENTS = ("minilm.rl.rlhf.kl_penalized_reward",)


@st.composite
def samples(draw, full=False):
    B, T = draw(st.integers(1, 4)), draw(st.integers(1, 6))
    scores = draw(arrays((B,), elements=floats(-3, 3)))
    logp = draw(arrays((B, T), elements=floats(-6, -0.01)))
    ref = draw(arrays((B, T), elements=floats(-6, -0.01)))
    lengths = [T] * B if full else draw(st.lists(st.integers(1, T), min_size=B, max_size=B))
    mask = (np.arange(T)[None, :] < np.array(lengths)[:, None]).astype(float)
    return scores, logp, ref, mask


def _check(student, s, beta):
    got = student.kl_penalized_reward(*(a.copy() for a in s), beta)
    assert_close(got, kl_penalized_reward(*s, beta), f"reward (beta={beta})")


@check(points=1)
@prop(s=samples(full=True))
def no_penalty(student, s):
    """beta = 0: the reward model's score"""
    _check(student, s, 0.0)


@check(points=2)
@prop(s=samples(full=True), beta=st.sampled_from([0.05, 0.5, 2.0]))
def penalty(student, s, beta):
    """beta > 0: score - beta * sum_t (logp - ref_logp)"""
    _check(student, s, beta)


@check(points=1)
@prop(s=samples(), beta=st.sampled_from([0.1, 1.0]))
def masked(student, s, beta):
    """positions after a sample's end add nothing"""
    _check(student, s, beta)
