"""Graders for ex7_best_span, against ``minilm.qa.best_span``."""

from hypothesis import strategies as st

from minilm.backend import np
from minilm.grading import check, prop
from minilm.qa import best_span as reference_best_span

REIMPLEMENTS = ("minilm.qa.best_span", "minilm.qa.predict")


@st.composite
def problems(draw, ties=False, mask=False, long_limit=False):
    """(start_logits, end_logits, max_answer_len, allowed): float64 (T,) logits, either
    distinct (no ties) or small integers (many ties)."""
    T = draw(st.integers(1, 16))
    gen = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    if ties:
        s, e = (gen.integers(-2, 3, T).astype(np.float64) for _ in range(2))
    else:
        s, e = gen.normal(0, 2, T), gen.normal(0, 2, T)
    limit = draw(st.integers(1, T + 2)) if not long_limit else T + draw(st.integers(0, 3))
    allowed = np.ones(T, dtype=bool)
    if mask:
        allowed = gen.random(T) < 0.6
        allowed[draw(st.integers(0, T - 1))] = True
    return s, e, limit, allowed


def _check(student, s, e, limit, allowed):
    args = (s.copy(), e.copy(), limit, allowed.copy())
    got = student.best_span(*args)
    what = f"best_span({s.tolist()}, {e.tolist()}, {limit}, {allowed.tolist()})"
    assert isinstance(got, (tuple, list)) and len(got) == 2, f"{what}: return (start, end)"
    got = (int(got[0]), int(got[1]))
    start, end, _ = reference_best_span(s, e, limit, allowed)
    inside = 0 <= got[0] < len(s) and 0 <= got[1] < len(e)
    score = f"score {s[got[0]] + e[got[1]]}" if inside else "outside the text"
    assert got == (start, end), (
        f"{what}: returned {got} ({score}), expected {(start, end)} (score {s[start] + e[end]})"
    )


@check(points=2)
@prop(p=problems(long_limit=True))
def best_with_start_before_end(student, p):
    """the highest start + end score with start <= end (a limit longer than the text)"""
    _check(student, *p)


@check(points=1)
@prop(p=problems())
def length_limit(student, p):
    """at most max_answer_len tokens: end <= start + max_answer_len - 1"""
    _check(student, *p)


@check(points=1)
@prop(p=problems(mask=True))
def allowed_positions(student, p):
    """both ends at allowed positions (the context)"""
    _check(student, *p)


@check(points=1)
@prop(p=problems(ties=True, mask=True))
def ties(student, p):
    """on equal scores the shorter span, then the earlier start"""
    _check(student, *p)
