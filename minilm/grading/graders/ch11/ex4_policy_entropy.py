"""Graders for ex4_policy_entropy: the entropy of softmax(logits), against minilm's
``F.log_softmax`` on random and on huge logits."""

from hypothesis import strategies as st

import minilm.functional as F
from minilm.backend import np
from minilm.grading import assert_close, check, prop
from minilm.tensor import as_tensor
from minilm.testing import arrays, floats

# what this exercise asks the student to write: refused in the sandbox
REIMPLEMENTS = ("minilm.functional.softmax", "minilm.functional.log_softmax")


def _logits(scale):
    return arrays(st.tuples(st.integers(1, 4), st.integers(2, 7)), elements=floats(-scale, scale))


def _entropy(logits):
    logp = F.log_softmax(as_tensor(logits), axis=-1).numpy()
    return -(np.exp(logp) * logp).sum(-1)


@check(points=2)
@prop(logits=_logits(4.0))
def entropy(student, logits):
    """H = -sum p log p of softmax(logits), one per row"""
    assert_close(student.policy_entropy(logits.copy()), _entropy(logits), "entropy", rtol=1e-6)


@check(points=1)
@prop(logits=_logits(1000.0))
def huge_logits(student, logits):
    """finite and right for logits up to 1000 (a near-deterministic policy)"""
    got = student.policy_entropy(logits.copy())
    assert_close(got, _entropy(logits), "entropy with huge logits", rtol=1e-6, atol=1e-9)
