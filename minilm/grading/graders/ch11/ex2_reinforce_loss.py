"""Graders for ex2_reinforce_loss, against ``minilm.rl.reinforce.reinforce_loss``."""

from hypothesis import strategies as st

import minilm
from minilm.backend import np
from minilm.grading import assert_close, check, prop
from minilm.rl.reinforce import reinforce_loss
from minilm.tensor import Tensor, tensor
from minilm.testing import arrays, floats


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
    x = tensor(lp.copy(), requires_grad=True)
    out = fn(x, returns.copy(), baseline.copy(), mask.copy())
    assert isinstance(out, Tensor) and out.size == 1, "return the loss as a one-number Tensor"
    (g,) = minilm.grad(out, [x], allow_unused=True)
    return out.item(), g


@check(points=2)
@prop(b=batches())
def value(student, b):
    """the loss equals -(1/B) sum mask * log_prob * (G - b)"""
    assert_close(_loss(student.reinforce_loss, *b)[0], _loss(reinforce_loss, *b)[0], "loss")


@check(points=2)
@prop(b=batches())
def gradient(student, b):
    """its gradient in the log-probabilities equals the reference's"""
    got = _loss(student.reinforce_loss, *b)[1]
    assert got is not None, "the loss does not depend on log_probs"
    assert_close(got, _loss(reinforce_loss, *b)[1], "d loss / d log_probs")
