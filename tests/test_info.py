"""Information theory: identities and hand-computed values."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minilm import info

weights = st.floats(0.0, 10.0, allow_nan=False)


@st.composite
def distributions(draw, n=None):
    n = n or draw(st.integers(1, 6))
    w = np.array(draw(st.lists(weights, min_size=n, max_size=n)))
    if w.sum() == 0:
        w[0] = 1.0
    return w / w.sum()


@st.composite
def joints(draw):
    rows, cols = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    return draw(distributions(rows * cols)).reshape(rows, cols)


@st.composite
def pairs(draw):
    n = draw(st.integers(1, 6))
    return draw(distributions(n)), draw(distributions(n))


def test_hand_computed_values():
    assert info.entropy([0.5, 0.25, 0.25], base=2) == pytest.approx(1.5)
    assert info.entropy([3, 1, 0]) == pytest.approx(
        -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))
    )
    # H(p, q) with p = (1/2, 1/2), q = (1/4, 3/4): (2 + log2(4/3)) / 2 bits
    assert info.cross_entropy([1, 1], [1, 3], base=2) == pytest.approx((2 + math.log2(4 / 3)) / 2)
    # KL((1/2,1/2) || (1/4,3/4)) = 1/2 log2 2 + 1/2 log2 (2/3)
    assert info.kl_divergence([1, 1], [1, 3], base=2) == pytest.approx(0.5 + 0.5 * math.log2(2 / 3))
    assert info.kl_divergence([1, 0], [0, 1]) == math.inf
    # X uniform on {0,1}; Y = X when X = 0, Y a fair coin when X = 1: H(Y|X) = 1/2 bit
    joint = [[0.5, 0.0], [0.25, 0.25]]
    assert info.conditional_entropy(joint, base=2) == pytest.approx(0.5)
    assert info.joint_entropy(joint, base=2) == pytest.approx(1.5)
    # H(Y) = H(3/4, 1/4); I = H(Y) - H(Y|X)
    hy = -(0.75 * math.log2(0.75) + 0.25 * math.log2(0.25))
    assert info.mutual_information(joint, base=2) == pytest.approx(hy - 0.5)
    assert info.perplexity([1, 1, 1, 1, 1, 1]) == pytest.approx(6.0)
    assert info.perplexity([1, 1], [1, 3]) == pytest.approx(
        math.exp(info.cross_entropy([1, 1], [1, 3]))
    )


@given(pairs())
def test_kl_is_nonnegative_and_zero_only_for_equal(pq):
    p, q = pq
    kl = info.kl_divergence(p, q)
    assert kl >= -1e-12
    assert info.kl_divergence(p, p) == pytest.approx(0.0, abs=1e-12)
    if np.abs(p - q).max() > 1e-3:
        assert kl > 0


@given(pairs())
def test_cross_entropy_is_entropy_plus_kl(pq):
    p, q = pq
    ce = info.cross_entropy(p, q)
    if math.isfinite(ce):
        assert ce == pytest.approx(info.entropy(p) + info.kl_divergence(p, q), abs=1e-9)


@given(joints())
def test_mutual_information_is_symmetric_and_nonnegative(joint):
    mi = info.mutual_information(joint)
    assert mi >= 0
    assert mi == pytest.approx(info.mutual_information(joint.T), abs=1e-9)


@given(joints())
def test_chain_rule(joint):
    hx = info.entropy(joint.sum(axis=1))
    assert info.joint_entropy(joint) == pytest.approx(
        hx + info.conditional_entropy(joint), abs=1e-9
    )


@given(joints(), st.integers(1, 1000))
def test_count_tables_equal_their_distributions(joint, scale):
    counts = np.round(joint * scale) + 1
    p = counts / counts.sum()
    assert info.mutual_information(counts) == pytest.approx(info.mutual_information(p), abs=1e-9)
    assert info.entropy(counts.ravel()) == pytest.approx(info.entropy(p.ravel()), abs=1e-9)


def test_bad_input():
    with pytest.raises(ValueError, match="non-negative"):
        info.entropy([0.5, -0.5])
    with pytest.raises(ValueError, match="total 0"):
        info.entropy([0, 0])
    with pytest.raises(ValueError, match="2-D"):
        info.mutual_information([1, 2, 3])
