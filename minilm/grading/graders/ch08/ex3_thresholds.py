"""Graders for ex3_thresholds: per-label thresholds that maximise F1, the smallest on ties.

minilm's ``tune_thresholds`` picks its own candidates (midpoints of the scores);
this exercise is given them, so the reference is written here, from integer counts.
"""

from fractions import Fraction

from hypothesis import strategies as st

from minilm.backend import np
from minilm.grading import assert_close, check, prop

REIMPLEMENTS = ("minilm.recipes.finetune.tune_thresholds",)

GRID = np.arange(9) / 8  # 0, 0.125, ..., 1: probabilities and candidates from one grid


def _best(p, y, candidates):
    best, best_key = None, None
    for t in candidates:
        guess = p >= t
        tp, fp, fn = int(np.sum(guess & y)), int(np.sum(guess & ~y)), int(np.sum(~guess & y))
        f1 = Fraction(2 * tp, 2 * tp + fp + fn) if tp + fp + fn else Fraction(0)  # exact
        key = (f1, -t)  # the largest F1, then the smallest threshold
        if best_key is None or key > best_key:
            best, best_key = t, key
    return best


def reference(probs, labels, candidates):
    y = labels == 1
    return np.array([_best(probs[:, j], y[:, j], candidates) for j in range(probs.shape[1])])


@st.composite
def problems(draw, shuffled=False, no_positives=False):
    N, L = draw(st.integers(1, 12)), draw(st.integers(1, 4))
    gen = np.random.default_rng(draw(st.integers(0, 2**31)))
    probs = gen.choice(GRID, size=(N, L))
    labels = (gen.random((N, L)) < (0.3 + 0.4 * probs)).astype(np.int64)  # related to probs
    if no_positives:
        labels[:, gen.random(L) < 0.5] = 0
        labels[:, draw(st.integers(0, L - 1))] = 0
    k = draw(st.integers(1, len(GRID)))
    candidates = np.sort(gen.choice(GRID, size=k, replace=False))
    if shuffled:
        candidates = candidates[gen.permutation(k)]
    return probs, labels, candidates


def _student(student, probs, labels, candidates):
    args = (probs.copy(), labels.copy(), candidates.copy())
    got = student.tune_thresholds(*args)
    for a, b in zip(args, (probs, labels, candidates)):
        assert (a == b).all(), "the inputs were modified in place"
    return got


def _compare(got, problem, what):
    want = reference(*problem)
    assert_close(got, want, what, rtol=0, atol=0)
    assert np.asarray(got).dtype == np.float64, (
        f"{what}: dtype {np.asarray(got).dtype}, want float64"
    )


@check(points=2)
@prop(problem=problems())
def sorted_candidates(student, problem):
    """each label's threshold maximises its F1 (smallest on ties), candidates sorted"""
    _compare(_student(student, *problem), problem, "thresholds")


@check(points=1)
@prop(problem=problems(shuffled=True))
def shuffled_candidates(student, problem):
    """the same with the candidates in a random order (ties still go to the smallest)"""
    _compare(_student(student, *problem), problem, "thresholds (shuffled candidates)")


@check(points=1)
@prop(problem=problems(no_positives=True))
def labels_without_positives(student, problem):
    """a label with no positives has F1 0 at every candidate: the smallest wins"""
    _compare(_student(student, *problem), problem, "thresholds (labels without positives)")
