"""Graders for ex3_general_attention, against Luong's general score ``nn.DotAttention(dq, dk)``."""

from hypothesis import strategies as st

from minilm.backend import np
from minilm.grading import assert_close, check, prop
from minilm.nn import DotAttention
from minilm.tensor import as_tensor
from minilm.testing import arrays, floats

REIMPLEMENTS = (
    "minilm.nn.attention.DotAttention.forward",
    "minilm.nn.attention.AdditiveAttention.forward",
    "minilm.nn.attention.masked_softmax",
    "minilm.functional.scaled_dot_product_attention",
    "minilm.functional.softmax",
)


@st.composite
def problems(draw, padded, scale=2.0):
    """(query (B, dq), keys (B, S, dk), W (dq, dk), mask (B, S)); ``scale`` bounds the query."""
    B, S = draw(st.integers(1, 4)), draw(st.integers(1, 6))
    dq, dk = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    query = draw(arrays((B, dq), floats(-scale, scale)))
    keys, W = draw(arrays((B, S, dk))), draw(arrays((dq, dk)))
    if padded:
        S = max(S, 2)
        keys = draw(arrays((B, S, dk)))
        lengths = draw(st.lists(st.integers(1, S - 1), min_size=B, max_size=B))
        lengths[0] = S  # one row without padding
    else:
        lengths = [S] * B
    mask = np.arange(S)[None, :] < np.array(lengths)[:, None]
    return query, keys, W, mask


def _reference(query, keys, W, mask):
    attn = DotAttention(W.shape[0], W.shape[1])
    attn.W.weight.data = W.copy()
    context, weights = attn(as_tensor(query), as_tensor(keys), mask=mask)
    return context.numpy(), weights.numpy()


def _call(student, query, keys, W, mask):
    result = student.general_attention(query.copy(), keys.copy(), W.copy(), mask.copy())
    assert isinstance(result, (tuple, list)) and len(result) == 2, (
        "general_attention must return (context, weights)"
    )
    return result


@check(points=1)
@prop(problem=problems(padded=False))
def weights_without_padding(student, problem):
    """attention weights without padding"""
    _, got = _call(student, *problem)
    assert_close(got, _reference(*problem)[1], "weights", rtol=1e-6, atol=1e-9)


@check(points=1)
@prop(problem=problems(padded=True))
def padded_keys_get_zero(student, problem):
    """padded keys get weight exactly 0 and each row sums to 1"""
    query, keys, W, mask = problem
    _, got = _call(student, *problem)
    got = np.asarray(got)
    assert got.shape == mask.shape, f"weights: shape {got.shape}, expected {mask.shape}"
    assert np.allclose(got.sum(-1), 1.0), f"weight rows sum to {got.sum(-1)}, not 1"
    assert (got[~mask] == 0).all(), f"padded keys must get weight 0, got {got[~mask].max()!r}"
    assert_close(got, _reference(*problem)[1], "weights", rtol=1e-6, atol=1e-9)


@check(points=1)
@prop(problem=problems(padded=True))
def context_with_padding(student, problem):
    """the context vectors, with padding"""
    got, _ = _call(student, *problem)
    assert_close(got, _reference(*problem)[0], "context", rtol=1e-6, atol=1e-9)


@check(points=1)
@prop(problem=problems(padded=True, scale=1000.0))
def huge_scores(student, problem):
    """finite and right for scores of size 1000"""
    context, weights = _call(student, *problem)
    want_context, want_weights = _reference(*problem)
    assert np.isfinite(np.asarray(weights, dtype=float)).all(), "weights are not all finite"
    assert_close(weights, want_weights, "weights", rtol=1e-6, atol=1e-9)
    assert_close(context, want_context, "context", rtol=1e-6, atol=1e-9)
