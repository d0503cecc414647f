"""Graders for ex1_discounted_returns, against ``minilm.rl.reinforce.discounted_returns``."""

from hypothesis import strategies as st

from minilm.backend import np
from minilm.grading import assert_close, check, prop
from minilm.rl.reinforce import discounted_returns
from minilm.testing import arrays, floats

# what this exercise asks the student to write: refused in the sandbox
REIMPLEMENTS = ("minilm.rl.reinforce.discounted_returns",)


@st.composite
def episodes(draw, full=False):
    """(rewards (B, T), mask (B, T)): each row runs for a random number of steps."""
    B, T = draw(st.integers(1, 4)), draw(st.integers(1, 6))
    rewards = draw(arrays((B, T), elements=floats(-2, 2)))
    lengths = [T] * B if full else draw(st.lists(st.integers(1, T), min_size=B, max_size=B))
    mask = (np.arange(T)[None, :] < np.array(lengths)[:, None]).astype(float)
    return rewards, mask


def _check(student, ep, gamma):
    rewards, mask = ep
    got = student.discounted_returns(rewards.copy(), mask.copy(), gamma)
    assert_close(got, discounted_returns(rewards, mask, gamma), f"returns (gamma={gamma})")


@check(points=1)
@prop(ep=episodes(full=True))
def undiscounted(student, ep):
    """gamma = 1, every episode full length: G_t sums the rewards from t on"""
    _check(student, ep, 1.0)


@check(points=2)
@prop(ep=episodes(full=True), gamma=st.sampled_from([0.0, 0.5, 0.9]))
def discounted(student, ep, gamma):
    """gamma < 1: G_t = sum_k gamma^(k-t) r_k"""
    _check(student, ep, gamma)


@check(points=1)
@prop(ep=episodes(), gamma=st.sampled_from([0.5, 1.0]))
def masked(student, ep, gamma):
    """episodes of different lengths: nothing after an episode's end counts"""
    _check(student, ep, gamma)
