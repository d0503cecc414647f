"""Graders for ex3_top_p, against ``minilm.generate.filter_top_p`` and the
nucleus' defining properties."""

from hypothesis import assume
from hypothesis import strategies as st

from minilm.backend import np
from minilm.generate import filter_top_p, log_softmax
from minilm.grading import check, prop
from minilm.testing import arrays, floats

# what this exercise asks the student to write: refused in the sandbox
REIMPLEMENTS = ("minilm.generate.filter_top_p",)


@st.composite
def problems(draw, rows, scale=4.0):
    """(logits rows + (V,), p) with well-separated probabilities (no near-ties at the cut)."""
    V = draw(st.integers(2, 10))
    logits = draw(arrays(draw(rows) + (V,), floats(-scale, scale)))
    p = draw(floats(0.05, 1.0))
    probs = np.exp(log_softmax(logits))
    cums = np.cumsum(-np.sort(-probs, axis=-1), axis=-1)
    assume(np.abs(cums - p).min() > 1e-6)  # the cut is not a rounding question
    return logits, p


def _same(got, want, what):
    got = np.asarray(got, dtype=float)
    assert got.shape == want.shape, f"{what}: shape {got.shape}, expected {want.shape}"
    kept_got, kept_want = np.isfinite(got), np.isfinite(want)
    if (kept_got != kept_want).any():
        j = tuple(int(k) for k in np.argwhere(kept_got != kept_want)[0])
        raise AssertionError(
            f"{what}: token {j} is {'kept' if kept_got[j] else 'dropped'} but should be "
            f"{'kept' if kept_want[j] else 'dropped'}"
        )
    assert np.allclose(got[kept_got], want[kept_want]), f"{what}: kept logits were changed"
    assert (got[~kept_got] == -np.inf).all(), f"{what}: dropped tokens must be -inf"


@check(points=2)
@prop(problem=problems(st.just(())))
def one_row(student, problem):
    """one row of logits: the same nucleus as minilm's filter_top_p"""
    logits, p = problem
    _same(student.top_p_filter(logits.copy(), p), filter_top_p(logits, p), f"top-p with p={p}")


@check(points=1)
@prop(problem=problems(st.tuples(st.integers(1, 4))))
def batched_rows(student, problem):
    """a batch (N, V): each row filtered on its own"""
    logits, p = problem
    _same(student.top_p_filter(logits.copy(), p), filter_top_p(logits, p), f"rows, p={p}")


@check(points=1)
@prop(logits=st.integers(2, 10).flatmap(lambda V: arrays((V,), floats(-6, 6))),
      p=floats(0.01, 1.0))  # fmt: skip
def kept_mass_is_minimal(student, logits, p):
    """kept mass >= p, and without its least likely token it would fall below p"""
    kept = np.isfinite(np.asarray(student.top_p_filter(logits.copy(), p), dtype=float))
    probs = np.exp(log_softmax(logits))
    mass = probs[kept].sum()
    assert kept.any(), "no token kept: the most likely token must always stay"
    assert mass >= p - 1e-9, f"kept mass {mass:.6f} is below p={p}"
    assert mass - probs[kept].min() < p + 1e-9, f"kept set (mass {mass:.6f}) is not minimal"


@check(points=1)
@prop(problem=problems(st.tuples(st.integers(1, 3)), scale=800.0))
def huge_logits(student, problem):
    """logits up to 800 in size (exp overflows): the same nucleus, no nan"""
    logits, p = problem
    _same(student.top_p_filter(logits.copy(), p), filter_top_p(logits, p), f"large logits, p={p}")
