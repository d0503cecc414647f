"""Graders for ex2_reinforce_loss, against ``minilm.rl.reinforce.reinforce_loss``."""

from hypothesis import strategies as st

from minilm.backend import np
from minilm.grading import assert_close, check, prop
from minilm.rl.reinforce import reinforce_loss
from minilm.sandbox.probes import derivatives
from minilm.testing import arrays, floats

REIMPLEMENTS = ("minilm.rl.reinforce.reinforce_loss",)


@st.composite
def batches(draw):
    B, T = draw(st.integers(1, 4)), draw(st.integers(1, 5))
    log_probs = draw(arrays((B, T), elements=floats(-5, -0.01)))
    returns = draw(arrays((B, T), elements=floats(-3, 3)))
    baseline = draw(arrays((B, T), elements=floats(-1, 1)))
    lengths = draw(st.lists(st.integers(1, T), min_size=B, max_size=B))
    mask = (np.arange(T)[None, :] < np.array(lengths)[:, None]).astype(float)
    return log_probs, returns, baseline, mask


def _loss(fn, lp, returns, baseline, mask):
    """(value, gradient in log_probs) of ``fn`` (a name: the student's, in their
    process; else the reference, here)."""
    args = [lp.copy(), returns.copy(), baseline.copy(), mask.copy()]
    out = (
        fn[0].differentiate(fn[1], args, [0])
        if isinstance(fn, tuple)
        else derivatives(fn, args, [0])
    )
    assert out["value"].size == 1, "return the loss as a one-number Tensor"
    return float(out["value"].reshape(())), (out["grads"] or [None])[0]


@check(points=2)
@prop(b=batches())
def value(student, b):
    """the loss equals -(1/B) sum mask * log_prob * (G - b)"""
    assert_close(_loss((student, "reinforce_loss"), *b)[0], _loss(reinforce_loss, *b)[0], "loss")


@check(points=2)
@prop(b=batches())
def gradient(student, b):
    """its gradient in the log-probabilities equals the reference's"""
    got = _loss((student, "reinforce_loss"), *b)[1]
    assert got is not None, "the loss does not depend on log_probs"
    assert_close(got, _loss(reinforce_loss, *b)[1], "d loss / d log_probs")
