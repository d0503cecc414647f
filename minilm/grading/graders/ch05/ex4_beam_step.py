"""Graders for ex4_beam_step, against ``minilm.generate.beam_step``."""

from hypothesis import assume
from hypothesis import strategies as st

from minilm.backend import np
from minilm.generate import beam_step, log_softmax
from minilm.grading import assert_close, check, prop
from minilm.testing import arrays, floats

# what this exercise asks the student to write: refused in the sandbox
REIMPLEMENTS = ("minilm.generate.beam_step",)


@st.composite
def problems(draw, wide=False):
    """(log_probs (n, V), scores (n,), beam_size) with no ties among the totals."""
    n, V = draw(st.integers(1, 4)), draw(st.integers(2, 6))
    log_probs = log_softmax(draw(arrays((n, V), floats(-3, 3))))
    scores = draw(arrays((n,), floats(-10, 0)))
    total = np.sort((scores[:, None] + log_probs).reshape(-1))
    assume(np.diff(total).min() > 1e-6)
    k = draw(st.integers(n * V, n * V + 5) if wide else st.integers(1, n * V))
    return log_probs, scores, k


def _call(student, log_probs, scores, k):
    result = student.beam_step(log_probs.copy(), scores.copy(), k)
    assert isinstance(result, tuple) and len(result) == 3, (
        f"beam_step must return (beam, token, total), got {type(result).__name__}"
    )
    return [np.asarray(r) for r in result]


@check(points=1)
@prop(problem=problems())
def totals(student, problem):
    """the survivors' totals, best first"""
    assert_close(_call(student, *problem)[2], beam_step(*problem)[2], "total")


@check(points=2)
@prop(problem=problems())
def beams_and_tokens(student, problem):
    """which beam each survivor extends and which token it adds"""
    beam, token, _ = _call(student, *problem)
    want_beam, want_token, _ = beam_step(*problem)
    assert_close(beam, want_beam, "beam")
    assert_close(token, want_token, "token")


@check(points=1)
@prop(problem=problems(wide=True))
def wider_than_everything(student, problem):
    """a beam_size above n * V keeps all n * V extensions"""
    beam, token, total = _call(student, *problem)
    want = beam_step(*problem)
    assert len(total) == len(want[2]), f"got {len(total)} survivors, expected {len(want[2])}"
    assert_close(total, want[2], "total")
    assert_close(beam * 1000 + token, want[0] * 1000 + want[1], "beam and token")
