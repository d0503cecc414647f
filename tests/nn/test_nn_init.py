"""Initializers: the documented distributions, minilm's fan layouts, seeding."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import minilm
from minilm.backend import np
from minilm.nn import init


def test_fans_follow_minilm_layouts():
    assert init.fans((3, 5)) == (3, 5)  # Linear: (in, out)
    assert init.fans((8, 4, 3)) == (12, 24)  # Conv1d: (C_out, C_in, K)
    with pytest.raises(ValueError, match=">= 2 dims"):
        init.fans((4,))


@given(fan_in=st.integers(50, 200), fan_out=st.integers(50, 200))
def test_xavier_uniform_bound_and_variance(fan_in, fan_out):
    w = init.xavier_uniform_(minilm.zeros(fan_in, fan_out, dtype="float64")).numpy()
    a = math.sqrt(6 / (fan_in + fan_out))
    assert abs(w).max() <= a
    assert w.var() == pytest.approx(a * a / 3, rel=0.1)


def test_normal_initializers_have_the_right_std():
    w = init.xavier_normal_(minilm.zeros(300, 200), gain=2.0).numpy()
    assert w.std() == pytest.approx(2 * math.sqrt(2 / 500), rel=0.05)
    w = init.kaiming_normal_(minilm.zeros(400, 100), nonlinearity="relu").numpy()
    assert w.std() == pytest.approx(math.sqrt(2 / 400), rel=0.05)
    w = init.he_normal_(minilm.zeros(400, 100), mode="fan_out", nonlinearity="relu").numpy()
    assert w.std() == pytest.approx(math.sqrt(2 / 100), rel=0.05)
    w = init.kaiming_uniform_(minilm.zeros(400, 100), nonlinearity="relu").numpy()
    assert abs(w).max() <= math.sqrt(6 / 400)
    assert init.glorot_uniform_ is init.xavier_uniform_


def test_constant_fills_and_dtype_kept(device):
    t = minilm.zeros(3, 2, dtype="float64", device=device)
    assert init.ones_(t) is t and (t.numpy() == 1).all() and t.dtype == np.float64
    assert (init.zeros_(t).numpy() == 0).all()
    assert (init.constant_(t, 2.5).numpy() == 2.5).all()
    assert init.uniform_(t, -1, 1).device == device


def test_seeded_initialization_repeats():
    minilm.manual_seed(3)
    a = init.normal_(minilm.zeros(5)).numpy()
    minilm.manual_seed(3)
    b = init.normal_(minilm.zeros(5)).numpy()
    np.testing.assert_array_equal(a, b)


def test_gains_and_errors():
    assert init.calculate_gain("relu") == math.sqrt(2)
    assert init.calculate_gain("tanh") == 5 / 3
    assert init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2 / 1.04)
    with pytest.raises(ValueError, match="unknown nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="fan_in"):
        init.kaiming_normal_(minilm.zeros(2, 2), mode="fan")
