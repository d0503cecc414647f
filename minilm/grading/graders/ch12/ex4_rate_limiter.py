"""Graders for ex4_rate_limiter, against ``minilm.serve.ratelimit.RateLimiter``.

The student's class and the library's are replayed through the same calls
(:func:`minilm.sandbox.probes.replay_calls`, probe ``replay``): checks of
random keys at random times, made from one drawn seed, each followed by
``len``.
"""

import math

from hypothesis import strategies as st

from minilm.backend import np
from minilm.grading import check, prop
from minilm.sandbox.probes import replay_calls
from minilm.serve.ratelimit import RateLimiter

REIMPLEMENTS = ("minilm.serve.ratelimit.RateLimiter",)

_seeds = st.integers(0, 2**32 - 1)


def traffic(seed, n, keys, max_keys, favourite=0.0):
    """(rate, burst, max_keys, [(key, now)]): ``n`` checks of ``keys`` clients;
    with probability ``favourite`` the key is the first one again."""
    rng = np.random.default_rng(seed)
    rate, burst = float(rng.choice([0.5, 1.0, 2.0])), float(rng.choice([1.0, 2.0, 3.0]))
    now, out = float(rng.uniform(0, 100)), []
    for _ in range(n):
        now += float(rng.exponential(0.3 / rate))
        key = "a" if rng.random() < favourite else f"client-{int(rng.integers(0, keys))}"
        out.append((key, now))
    return rate, burst, max_keys, out


def _compare(student, setting, what):
    rate, burst, max_keys, checks = setting
    calls = []
    for key, now in checks:
        calls += [("check", [key, now]), ("__len__", [])]
    init = [rate, burst, max_keys]
    got = student.probe("replay", "RateLimiter", init, calls)
    want = replay_calls(RateLimiter, init, calls)
    assert isinstance(got, list) and len(got) == len(want), "the replay sent the wrong replies"
    head = f"{what}: RateLimiter(rate={rate:g}, burst={burst:g}, max_keys={max_keys})"
    for k in range(0, len(calls), 2):
        key, now = checks[k // 2]
        where = f"{head}, check {k // 2}: check({key!r}, now={now:.6g})"
        g, w = got[k], want[k]
        assert g is not None and math.isclose(g, w, rel_tol=1e-9, abs_tol=1e-9), (
            f"{where} answered {g!r}, expected {w!r}"
        )
        assert got[k + 1] == want[k + 1], (
            f"{where}: then len() is {got[k + 1]!r}, expected {want[k + 1]}"
        )


@check(points=2)
@prop(seed=_seeds)
def per_key(student, seed):
    """each key has its own bucket: one client's burst does not limit another"""
    _compare(student, traffic(seed, 30, keys=3, max_keys=100), "three clients")


@check(points=2)
@prop(seed=_seeds, max_keys=st.integers(1, 4))
def bounded(student, seed, max_keys):
    """at most max_keys buckets; the least recently seen key is forgotten first"""
    _compare(student, traffic(seed, 30, keys=8, max_keys=max_keys), "more clients than max_keys")


@check(points=1)
@prop(seed=_seeds, max_keys=st.integers(2, 4))
def recent(student, seed, max_keys):
    """a checked key becomes the most recent: a frequent client keeps its bucket"""
    setting = traffic(seed, 40, keys=10, max_keys=max_keys, favourite=0.4)
    _compare(student, setting, "a frequent client among many")
