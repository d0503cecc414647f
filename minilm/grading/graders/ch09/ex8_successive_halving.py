"""Graders for ex8_successive_halving, against ``minilm.search.successive_halving_round``
and ``minilm.search.halving_rungs``."""

from hypothesis import strategies as st

from minilm.grading import check, prop
from minilm.search import halving_rungs, successive_halving_round

REIMPLEMENTS = ("minilm.search.successive_halving_round", "minilm.search.halving_rungs")


def _configs(n):
    """n distinct configurations, as a search would make them."""
    return [{"id": i, "lr": 10.0 ** (-1 - i % 4), "width": 32 * (1 + i % 3)} for i in range(n)]


@st.composite
def distinct_scores(draw, max_n=30):
    return draw(st.lists(st.floats(0.0, 10.0), min_size=1, max_size=max_n, unique=True))


def _show(picked, scores):
    """The picked configs by id, with their scores."""
    ids = [c.get("id") for c in picked]
    if len(ids) > 10:
        return f"{len(ids)} configs, ids {ids}"
    return ", ".join(f"id {i} (score {scores[i]!r})" if isinstance(i, int) and 0 <= i < len(scores)
                     else f"id {i!r}" for i in ids)  # fmt: skip


def _compare(student, scores, eta=None):
    configs = _configs(len(scores))
    args = (configs, list(scores)) if eta is None else (configs, list(scores), eta)
    call = "successive_halving_round" + (f"(..., eta={eta})" if eta is not None else "(...)")
    what = f"{call} with scores {[float(s) for s in scores]}"
    got = student.successive_halving_round(*args)
    want = successive_halving_round(*args)
    assert isinstance(got, (list, tuple)), f"{what}: return a list, got {type(got).__name__}"
    got = list(got)
    if any(not isinstance(c, dict) for c in got):
        raise AssertionError(f"{what}: return the configs themselves (dicts here), got {got!r}")
    if len(got) != len(want):
        n, e = len(configs), 3 if eta is None else eta
        raise AssertionError(f"{what}: kept {len(got)}, expected max(1, {n} // {e}) = {len(want)}")
    if got != want:
        raise AssertionError(
            f"{what}: kept {_show(got, scores)}; expected {_show(want, scores)}: the lowest "
            "scores, in increasing order, ties in their original order, NaN last"
        )


@check(points=2)
@prop(scores=distinct_scores(), eta=st.integers(2, 5))
def random_rounds(student, scores, eta):
    """random rounds, distinct scores: the lowest 1/eta, best first"""
    _compare(student, scores, eta)


@check(points=1)
@prop(scores=distinct_scores(max_n=12), data=st.data())
def how_many_kept(student, scores, data):
    """max(1, len(configs) // eta): fewer configs than eta, exact multiples, default eta"""
    n = len(scores)
    _compare(student, scores, data.draw(st.integers(n + 1, n + 4), "eta > n"))  # keeps 1
    _compare(student, scores)  # the default, eta = 3
    for eta in range(2, n + 1):
        _compare(student, scores, eta)


@check(points=1)
@prop(scores=st.lists(st.sampled_from([0.5, 1.0, 2.0, float("inf"), float("-inf"), float("nan")]),
                      min_size=1, max_size=20),
      eta=st.integers(2, 4))  # fmt: skip
def ties_nan_and_infinity(student, scores, eta):
    """equal scores in their original order; +inf after every number, NaN after +inf"""
    _compare(student, [float("nan"), 3.0, float("inf"), 1.0], 2)
    _compare(student, [float("nan"), float("inf"), 1.0, float("nan")], 2)  # NaN is not +inf
    _compare(student, [2.0, 1.0, 2.0, 1.0, 2.0, 1.0], 2)
    _compare(student, scores, eta)


@check(points=1)
@prop(n=st.integers(1, 200), min_steps=st.integers(1, 50), eta=st.integers(2, 5))
def rungs(student, n, min_steps, eta):
    """halving_rungs: (configurations, steps) per rung, down to one configuration"""
    for args in ((n, min_steps, eta), (n, min_steps)):
        got = student.halving_rungs(*args)
        want = halving_rungs(*args)
        what = f"halving_rungs{args}"
        assert isinstance(got, (list, tuple)), f"{what}: return a list, got {type(got).__name__}"
        got = [tuple(r) if isinstance(r, (list, tuple)) else r for r in got]
        assert got == want, f"{what}: got {got}, expected {want}"
