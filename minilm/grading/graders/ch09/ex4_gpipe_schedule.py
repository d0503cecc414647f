"""Graders for ex4_gpipe_schedule, against ``minilm.pipeline``'s ``split_microbatches``,
``gpipe_schedule`` and ``bubble_fraction``."""

from hypothesis import strategies as st

from minilm.backend import np
from minilm.grading import StudentError, assert_close, check, prop
from minilm.pipeline import bubble_fraction, gpipe_schedule, split_microbatches

REIMPLEMENTS = (
    "minilm.pipeline.split_microbatches",
    "minilm.pipeline.gpipe_schedule",
    "minilm.pipeline.bubble_fraction",
)

_sizes = st.tuples(st.integers(1, 6), st.integers(1, 8))  # (S, M)


@st.composite
def batches(draw):
    """(x, y, n_micro): token ids (B, T) and targets, B a multiple of n_micro."""
    m, per, t = draw(st.integers(1, 6)), draw(st.integers(1, 4)), draw(st.integers(1, 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.integers(0, 50, (m * per, t))
    return x, rng.integers(0, 50, (m * per, t)), m


@check(points=1)
@prop(batch=batches())
def split(student, batch):
    """split_microbatches: n_micro equal consecutive (x_m, y_m) parts"""
    x, y, m = batch
    got = student.split_microbatches(x.copy(), y.copy(), m)
    want = split_microbatches(x, y, m)
    assert isinstance(got, (list, tuple)) and len(got) == m, (
        f"split_microbatches(B={len(x)}, n_micro={m}) must return {m} pairs"
    )
    for i, (part, (wx, wy)) in enumerate(zip(got, want)):
        assert isinstance(part, (list, tuple)) and len(part) == 2, (
            f"part {i} must be a pair (x_m, y_m)"
        )
        assert_close(part[0], wx, f"micro-batch {i}'s x (B={len(x)}, n_micro={m})")
        assert_close(part[1], wy, f"micro-batch {i}'s y (B={len(x)}, n_micro={m})")


def _raises_value_error(student, x, y, m, why):
    try:
        student.split_microbatches(x, y, m)
    except StudentError as e:
        if "ValueError" in e.kinds:
            return
        if "NotImplementedError" in e.kinds:  # not written yet: say only that
            raise
        raise AssertionError(f"{why}: expected a ValueError, got {e}") from None
    raise AssertionError(f"{why}: split_microbatches must raise ValueError")


@check(points=1)
@prop(b=st.integers(2, 12), m=st.integers(2, 5), extra=st.integers(1, 3))
def split_errors(student, b, m, extra):
    """a batch that is not a multiple of n_micro, or x and y of two lengths: ValueError"""
    if b % m == 0:
        b += 1
    x = np.arange(b * 2).reshape(b, 2)
    _raises_value_error(student, x, x.copy(), m, f"a batch of {b} into {m} micro-batches")
    y = np.arange((b + extra) * 2).reshape(b + extra, 2)
    _raises_value_error(student, x, y, 1, f"x of length {b} and y of length {b + extra}")


def _normalized(schedule, what):
    assert isinstance(schedule, (list, tuple)), f"{what}: return a list of ticks"
    ticks = []
    for t, tick in enumerate(schedule):
        assert isinstance(tick, (list, tuple)), f"{what}: tick {t} must be a list of steps"
        steps = []
        for step in tick:
            assert isinstance(step, (list, tuple)) and len(step) == 3, (
                f"{what}: tick {t} holds {step!r}; each step is (stage, 'F' or 'B', micro)"
            )
            s, kind, m = step
            assert kind in ("F", "B"), f"{what}: tick {t}: kind {kind!r} is not 'F' or 'B'"
            steps.append((int(s), str(kind), int(m)))
        ticks.append(sorted(steps))
    return ticks


@check(points=3)
@prop(sizes=_sizes)
def schedule(student, sizes):
    """gpipe_schedule: every tick holds the reference's steps (in any order)"""
    S, M = sizes
    what = f"gpipe_schedule({S}, {M})"
    got = _normalized(student.gpipe_schedule(S, M), what)
    want = [sorted(tick) for tick in gpipe_schedule(S, M)]
    assert len(got) == len(want), f"{what}: {len(got)} ticks, expected {len(want)} = 2(S + M - 1)"
    for t, (g, w) in enumerate(zip(got, want)):
        assert g == w, f"{what}: tick {t} runs {g}, expected {w}"


@check(points=1)
@prop(sizes=st.tuples(st.integers(1, 64), st.integers(1, 256)))
def bubble(student, sizes):
    """bubble_fraction: the share of ticks each stage sits idle"""
    S, M = sizes
    got = student.bubble_fraction(S, M)
    assert isinstance(got, (float, int, np.floating)), (
        f"bubble_fraction({S}, {M}) must return a number, got {type(got).__name__}"
    )
    assert_close(float(got), bubble_fraction(S, M), f"bubble_fraction({S}, {M})", rtol=1e-12)
