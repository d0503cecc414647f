"""Graders for ex1_masked_attention, against ``F.scaled_dot_product_attention``."""

from hypothesis import strategies as st

import minilm.functional as F
from minilm.backend import np
from minilm.grading import assert_close, check, prop
from minilm.tensor import as_tensor
from minilm.testing import arrays, floats

REIMPLEMENTS = (
    "minilm.functional.scaled_dot_product_attention",
    "minilm.functional.softmax",
    "minilm.nn.attention.masked_softmax",
)


@st.composite
def problems(draw, mask_kind=None, scale=2.0):
    """(q, k, v, mask) with a batch axis; mask None, a key padding mask or causal."""
    B, T, S = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 5))
    d, dv = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    if mask_kind == "causal":
        S = T
    el = floats(-scale, scale)
    q, k, v = draw(arrays((B, T, d), el)), draw(arrays((B, S, d), el)), draw(arrays((B, S, dv)))
    mask = None
    if mask_kind == "padding":
        lengths = draw(st.lists(st.integers(1, S), min_size=B, max_size=B))
        mask = (np.arange(S)[None, :] < np.array(lengths)[:, None])[:, None, :]  # (B, 1, S)
    elif mask_kind == "causal":
        mask = np.tril(np.ones((T, S), dtype=bool))
    return q, k, v, mask


def _check(student, q, k, v, mask):
    want, want_w = F.scaled_dot_product_attention(
        as_tensor(q), as_tensor(k), as_tensor(v), mask=mask, return_weights=True
    )
    result = student.attention(q.copy(), k.copy(), v.copy(), None if mask is None else mask.copy())
    assert isinstance(result, tuple) and len(result) == 2, "attention must return (out, weights)"
    assert_close(result[1], want_w, "weights", rtol=1e-6, atol=1e-9)
    assert_close(result[0], want, "out", rtol=1e-6, atol=1e-9)
    return result


@check(points=1)
@prop(problem=problems())
def no_mask(student, problem):
    """attention without a mask"""
    _check(student, *problem)


@check(points=1)
@prop(problem=problems("padding"))
def padding_mask(student, problem):
    """a key padding mask (B, 1, S)"""
    _check(student, *problem)


@check(points=1)
@prop(problem=problems("causal"))
def causal_mask(student, problem):
    """a causal mask (T, T)"""
    _check(student, *problem)


@check(points=1)
@prop(problem=problems("padding"))
def weights_are_distributions(student, problem):
    """weights sum to 1 over the keys and are exactly 0 where masked"""
    q, k, v, mask = problem
    _, w = student.attention(q.copy(), k.copy(), v.copy(), mask.copy())
    w = np.asarray(w)
    assert np.allclose(w.sum(-1), 1.0), f"weight rows sum to {w.sum(-1)}, not 1"
    blocked = ~np.broadcast_to(mask, w.shape)
    assert (w[blocked] == 0).all(), f"masked weights must be 0, got {w[blocked].max()}"


@check(points=1)
@prop(problem=problems("causal", scale=1000.0))
def huge_scores(student, problem):
    """stable for scores of size 1000"""
    _check(student, *problem)
