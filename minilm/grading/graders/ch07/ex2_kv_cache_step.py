"""Graders for ex2_kv_cache_step, against ``nn.KVCache`` and full-prefix attention."""

from hypothesis import strategies as st

import minilm.functional as F
from minilm.backend import np
from minilm.grading import assert_close, check, prop
from minilm.nn import KVCache
from minilm.tensor import as_tensor
from minilm.testing import arrays, floats

REIMPLEMENTS = ("minilm.nn.attention.KVCache.append",)


@st.composite
def steps(draw, min_cached=0, scale=None):
    """(q, k, v (B, H, 1, hd), cache_k, cache_v (B, H, S, hd)); entries up to
    ``scale`` (default: minilm.testing's bounded floats)."""
    B, H, S, hd = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(
        st.integers(min_cached, 5)), draw(st.integers(1, 4))  # fmt: skip
    el = None if scale is None else floats(-scale, scale)
    new = [draw(arrays((B, H, 1, hd), elements=el)) for _ in range(3)]
    return (*new, draw(arrays((B, H, S, hd), elements=el)),
            draw(arrays((B, H, S, hd), elements=el)))  # fmt: skip


def _student(student, q, k, v, ck, cv):
    args = [a.copy() for a in (q, k, v, ck, cv)]
    result = student.cached_attention_step(*args)
    assert isinstance(result, tuple) and len(result) == 3, "return (out, cache_k, cache_v)"
    assert all((a == b).all() for a, b in zip(args, (q, k, v, ck, cv))), "inputs were modified"
    return result


@check(points=2)
@prop(step=steps(min_cached=1))
def matches_minilm_cache(student, step):
    """output and new cache match minilm's KVCache + attention"""
    _matches(student, step)


@check(points=1)
@prop(step=steps(min_cached=1, scale=100.0))
def large_scores(student, step):
    """right for queries and keys up to 100 (scores in the thousands: exp overflows unless
    the row max is subtracted)"""
    _matches(student, step)


def _matches(student, step):
    q, k, v, ck, cv = step
    cache = KVCache()
    cache.append(as_tensor(ck), as_tensor(cv))
    K, V = cache.append(as_tensor(k), as_tensor(v))
    want = F.scaled_dot_product_attention(as_tensor(q), K, V, causal=True)
    out, new_k, new_v = _student(student, *step)
    assert_close(new_k, K, "cache_k")
    assert_close(new_v, V, "cache_v")
    assert np.isfinite(out).all(), "out has inf or nan: subtract the row max before exp"
    assert_close(out, want, "out")


@check(points=1)
@prop(step=steps(min_cached=1))
def equals_full_prefix(student, step):
    """the new token's output equals the last row of causal attention over the prefix"""
    q, k, v, ck, cv = step
    B, H, S, hd = ck.shape
    Q = np.concatenate([np.zeros((B, H, S, hd)), q], axis=-2)  # earlier queries don't matter
    K, V = np.concatenate([ck, k], axis=-2), np.concatenate([cv, v], axis=-2)
    full = F.scaled_dot_product_attention(*(as_tensor(a) for a in (Q, K, V)), causal=True)
    out, _, _ = _student(student, *step)
    assert_close(out, full.numpy()[:, :, -1:], "out vs the full prefix")


@check(points=1)
@prop(step=steps())
def empty_cache(student, step):
    """works when nothing is cached yet (S = 0): the output is v"""
    q, k, v = step[:3]
    empty = np.zeros(k.shape[:2] + (0, k.shape[-1]))
    out, new_k, _ = _student(student, q, k, v, empty, empty.copy())
    assert_close(out, v, "out with an empty cache")
    assert_close(new_k, k, "cache_k after the first step")
