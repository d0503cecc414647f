"""Graders for ex4_gumbel_softmax: the relaxed sample with given Gumbel noise, and
the straight-through version's value and gradient."""

from hypothesis import strategies as st

import minilm.functional as F
from minilm.backend import np
from minilm.grading import assert_close, check, prop
from minilm.sandbox.probes import derivatives
from minilm.tensor import as_tensor
from minilm.testing import arrays, floats

REIMPLEMENTS = ("minilm.models.text_gan.gumbel_softmax",)


@st.composite
def problems(draw):
    shape = draw(st.tuples(st.integers(1, 4), st.integers(2, 6)))
    logits = draw(arrays(shape, elements=floats(-4, 4)))
    u = draw(arrays(shape, elements=st.floats(0.01, 0.99)))
    return logits, -np.log(-np.log(u)), draw(st.sampled_from([0.3, 1.0, 2.5]))


def _soft(logits, g, tau):
    return F.softmax((logits + g) * (1.0 / tau), axis=-1)


@check(points=2)
@prop(p=problems())
def soft(student, p):
    """softmax((logits + g) / tau), rows summing to 1"""
    logits, g, tau = p
    got = student.gumbel_softmax(as_tensor(logits.copy()), as_tensor(g.copy()), tau)
    assert_close(got, _soft(as_tensor(logits), as_tensor(g), tau), "soft sample")


@check(points=1)
@prop(p=problems())
def hard_value(student, p):
    """hard=True: the one-hot of argmax(logits + g)"""
    logits, g, tau = p
    got = student.gumbel_softmax(as_tensor(logits.copy()), as_tensor(g.copy()), tau, True)
    want = np.eye(logits.shape[-1])[(logits + g).argmax(-1)]
    assert_close(got, want, "hard sample")


@check(points=2)
@prop(p=problems(), w=st.integers(0, 2**16))
def straight_through(student, p, w):
    """hard=True: the gradient is the soft sample's (straight-through)"""
    logits, g, tau = p
    weights = np.random.default_rng(w).normal(size=logits.shape)
    got = student.differentiate("gumbel_softmax", [logits.copy(), as_tensor(g.copy()), tau, True],
                                [0], weights)  # fmt: skip
    assert got["requires_grad"] and got["grads"][0] is not None, (
        "the hard sample carries no gradient: return y_hard - y.detach() + y"
    )
    want = derivatives(lambda y: _soft(y, as_tensor(g), tau), [logits.copy()], [0], weights)
    assert_close(got["grads"][0], want["grads"][0], "d(hard sample . w)/d logits")
