"""Graders for ex1_token_bucket, against ``minilm.serve.ratelimit.TokenBucket``.

The student's bucket is replayed through a schedule in its own process
(:func:`minilm.sandbox.probes.replay_bucket`, probe ``token_bucket``) and the
library's through the same schedule here. A schedule is made from one drawn
seed, so hypothesis never shrinks a long list.
"""

from hypothesis import strategies as st

from minilm.backend import np
from minilm.grading import StudentError, assert_close, check, prop
from minilm.sandbox.probes import replay_bucket
from minilm.serve.ratelimit import TokenBucket

REIMPLEMENTS = ("minilm.serve.ratelimit.TokenBucket",)

_seeds = st.integers(0, 2**32 - 1)


def schedule(seed, n=30, costs=(1.0,), back=0.0, retry=0.0, gap=1.0):
    """(rate, burst, start, events) from ``seed``: ``n`` requests at times that
    mostly move forward (by ``gap`` / rate on average), stepping back with
    probability ``back``, each a ``retry_after`` with probability ``retry``."""
    rng = np.random.default_rng(seed)
    rate = float(rng.choice([0.25, 0.5, 1.0, 1.5, 3.0, 10.0]) * rng.uniform(0.8, 1.25))
    burst = float(rng.choice([1.0, 2.0, 3.0, 5.0, 2.5]))
    start = float(rng.uniform(0, 1000))
    now, events = start, []
    for _ in range(n):
        if rng.random() < back:
            now -= float(rng.uniform(0, 3 / rate))
        elif rng.random() < 0.7:
            now += float(rng.exponential(gap / rate))
        op = "retry" if rng.random() < retry else "take"
        events.append((op, now, float(rng.choice(costs))))
    return rate, burst, start, events


def _compare(student, setting, what):
    rate, burst, start, events = setting
    got = student.probe("token_bucket", "TokenBucket", rate, burst, start, events)
    want = replay_bucket(TokenBucket, rate, burst, start, events)
    assert isinstance(got, list) and len(got) == len(want), "the replay sent the wrong replies"
    for k, (g, w, (op, now, cost)) in enumerate(zip(got, want, events)):
        call = "take" if op == "take" else "retry_after"
        where = (f"{what}: TokenBucket(rate={rate:.4g}, burst={burst:g}, now={start:.6g}), "
                 f"request {k}: {call}(cost={cost:g}, now={now:.6g})")  # fmt: skip
        if op == "take":
            assert g == w, f"{where} answered {g}, expected {w}"
        else:
            assert_close(g, w, where, rtol=1e-9, atol=1e-9)


@check(points=1)
@prop(seed=_seeds)
def burst(student, seed):
    """a fresh bucket lets burst requests through at once, then refuses"""
    rate, burst, start, _ = schedule(seed)
    events = [("take", start, 1.0)] * (int(burst) + 2)
    _compare(student, (rate, burst, start, events), "all at the start")


@check(points=2)
@prop(seed=_seeds)
def refill(student, seed):
    """it refills at rate tokens per second, fractional rates too"""
    _compare(student, schedule(seed, gap=0.8), "requests spread over time")


@check(points=1)
@prop(seed=_seeds)
def costs_and_cap(student, seed):
    """requests of different costs; a long wait fills it only up to burst"""
    rate, burst, start, events = schedule(seed, costs=(0.5, 1.0, 1.0, 2.0, 3.5, 6.0), gap=1.5)
    idle = events[-1][1] + 100 / rate  # a long idle time, then a burst again
    events += [("take", idle, 1.0)] * (int(burst) + 2)
    _compare(student, (rate, burst, start, events), "costs and a long idle time")


@check(points=1)
@prop(seed=_seeds)
def retry_after(student, seed):
    """retry_after says when the tokens will be there, and takes none"""
    setting = schedule(seed, costs=(0.5, 1.0, 2.0), retry=0.4, gap=0.5)
    _compare(student, setting, "take and retry_after")


@check(points=1)
@prop(seed=_seeds)
def clock_steps_back(student, seed):
    """a clock that steps back refills nothing, and no interval refills twice"""
    setting = schedule(seed, back=0.3, retry=0.2, costs=(0.5, 1.0, 2.0))
    _compare(student, setting, "a clock that steps back")


@check(points=1)
@prop(rate=st.sampled_from([0.0, -1.0, 1.0]), burst=st.sampled_from([0.0, 0.5, -2.0, 2.0]))
def bad_settings(student, rate, burst):
    """rate <= 0 or burst < 1 raises ValueError"""
    if rate > 0 and burst >= 1:
        rate = 0.0
    try:
        student.probe("token_bucket", "TokenBucket", rate, burst, 0.0, [])
    except StudentError as e:
        if "ValueError" in e.kinds:
            return
        if "NotImplementedError" in e.kinds:  # not written yet: say only that
            raise
        raise AssertionError(
            f"TokenBucket({rate}, {burst}): expected a ValueError, got {e}"
        ) from None
    raise AssertionError(f"TokenBucket(rate={rate}, burst={burst}) must raise ValueError")
