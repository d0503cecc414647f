"""Graders for ex2_additive_attention, against ``nn.AdditiveAttention``."""

from hypothesis import strategies as st

from minilm.backend import np
from minilm.grading import assert_close, check, prop
from minilm.nn import AdditiveAttention
from minilm.tensor import as_tensor
from minilm.testing import arrays

REIMPLEMENTS = (
    "minilm.nn.attention.AdditiveAttention.forward",
    "minilm.functional.softmax",
    "minilm.nn.attention.masked_softmax",
)


@st.composite
def problems(draw, padded):
    B, S, dq, dk, h = (draw(st.integers(1, 4)) for _ in range(5))
    arrs = [draw(arrays(s)) for s in [(B, dq), (B, S, dk), (dq, h), (dk, h), (h,), (h,)]]
    lengths = draw(st.lists(st.integers(1, S), min_size=B, max_size=B)) if padded else [S] * B
    mask = np.arange(S)[None, :] < np.array(lengths)[:, None]
    return (*arrs, mask)


def _check(student, query, keys, W_q, W_k, b_k, v, mask):
    attn = AdditiveAttention(W_q.shape[0], W_k.shape[0], W_q.shape[1])
    attn.W_q.weight.data, attn.W_k.weight.data, attn.W_k.bias.data = W_q, W_k, b_k
    attn.v.weight.data = v[:, None]
    _, want = attn(as_tensor(query), as_tensor(keys), mask=mask)
    got = student.additive_weights(*(a.copy() for a in (query, keys, W_q, W_k, b_k, v, mask)))
    assert_close(got, want, "attention weights", rtol=1e-6, atol=1e-9)


@check(points=2)
@prop(problem=problems(padded=False))
def no_padding(student, problem):
    """weights without padding"""
    _check(student, *problem)


@check(points=1)
@prop(problem=problems(padded=True))
def with_padding(student, problem):
    """padded keys get weight 0"""
    _check(student, *problem)
