"""The token bucket and the per-client limiter, by the properties that define them."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minilm.serve.ratelimit import RateLimiter, TokenBucket


@settings(max_examples=200, deadline=None)
@given(st.floats(0.1, 50), st.integers(1, 20),
       st.lists(st.floats(0, 5), min_size=1, max_size=60))  # fmt: skip
def test_no_window_lets_through_more_than_burst_plus_rate_times_its_length(rate, burst, gaps):
    bucket, now, allowed = TokenBucket(rate, burst, now=0.0), 0.0, []
    for gap in gaps:
        now += gap
        if bucket.take(now=now):
            allowed.append(now)
    for i in range(len(allowed)):
        for j in range(i, len(allowed)):
            assert j - i + 1 <= burst + rate * (allowed[j] - allowed[i]) + 1e-9


@settings(max_examples=100, deadline=None)
@given(st.floats(0.1, 50), st.integers(1, 20), st.integers(1, 100))
def test_a_client_within_the_rate_is_never_refused_and_retry_after_is_exact(rate, burst, n):
    bucket = TokenBucket(rate, burst, now=0.0)
    # at the rate (a hair under it, so that float rounding of i / rate cannot decide)
    assert all(bucket.take(now=i * (1 + 1e-9) / rate) for i in range(n))
    drained = TokenBucket(rate, burst, now=0.0)
    assert all(drained.take(now=0.0) for _ in range(burst)) and not drained.take(now=0.0)
    wait = drained.retry_after(now=0.0)
    assert wait == pytest.approx(1 / rate)
    assert not drained.take(now=wait * 0.99) and drained.take(now=wait * 1.01)


def test_a_clock_that_steps_back_refills_nothing():
    bucket = TokenBucket(1.0, 1, now=10.0)
    assert bucket.take(now=10.0)
    assert not bucket.take(now=5.0) and not bucket.take(now=10.5)
    assert bucket.take(now=11.0)


def test_bad_settings_are_refused():
    for rate, burst in ((0, 1), (-1, 1), (1, 0)):
        with pytest.raises(ValueError, match="rate > 0 and burst >= 1"):
            TokenBucket(rate, burst)


def test_each_client_has_its_own_bucket_and_the_table_stays_bounded():
    limiter = RateLimiter(rate=1.0, burst=2, max_keys=100)
    assert [limiter.check("a", now=0.0) for _ in range(3)] == [0.0, 0.0, 1.0]
    assert limiter.check("b", now=0.0) == 0.0  # a's use is not b's
    for i in range(10_000):  # a flood of new addresses
        limiter.check(f"10.0.{i // 256}.{i % 256}", now=1.0)
    assert len(limiter) == 100
    # the least recently seen went first: "a" was forgotten, so it starts full again
    assert limiter.check("a", now=1.0) == 0.0
