"""Graders for ex7_weat, against ``minilm.bias``'s WEAT."""

from hypothesis import strategies as st

from minilm.backend import np
from minilm.bias import weat_association, weat_effect_size
from minilm.grading import assert_close, check, prop

REIMPLEMENTS = ("minilm.bias.weat_association", "minilm.bias.weat_effect_size")

_seeds = st.integers(0, 2**32 - 1)


def _words(seed, n_targets=None):
    """X, Y, A, B: random vectors, the targets pulled towards A or B by a random amount
    (so that effect sizes of every size and sign come up)."""
    rng = np.random.default_rng(seed)
    d = int(rng.integers(2, 9))
    n = int(rng.integers(2, 7)) if n_targets is None else n_targets
    A = rng.normal(0, 1, (int(rng.integers(1, 6)), d))
    B = rng.normal(0, 1, (int(rng.integers(1, 6)), d))
    pull = rng.normal(0, 1)
    X = rng.normal(0, 1, (n, d)) + pull * A.mean(0)
    Y = rng.normal(0, 1, (n, d)) + pull * B.mean(0)
    return X, Y, A, B


@check(points=1)
@prop(seed=_seeds)
def cosine(student, seed):
    """the cosine of two vectors, whatever their lengths"""
    rng = np.random.default_rng(seed)
    u, v = rng.normal(0, 1, 5) * rng.uniform(0.1, 10), rng.normal(0, 1, 5) * rng.uniform(0.1, 10)
    want = weat_association(u, v[None, :], -v[None, :]) / 2  # cos(u, v) - cos(u, -v) = 2 cos
    assert_close(student.cosine(u.copy(), v.copy()), want, "cosine(u, v)")
    assert_close(student.cosine(u.copy(), 3 * u), 1.0, "cosine(u, 3u)")


@check(points=1)
@prop(seed=_seeds)
def association(student, seed):
    """s(w, A, B): the mean cosine to A minus the mean cosine to B"""
    X, _, A, B = _words(seed)
    for w in X:
        assert_close(student.association(w.copy(), A.copy(), B.copy()),
                     weat_association(w, A, B), "association(w, A, B)")  # fmt: skip


@check(points=3)
@prop(seed=_seeds)
def effect_size(student, seed):
    """d: difference of the mean associations over their pooled sample standard deviation"""
    X, Y, A, B = _words(seed)
    got = student.effect_size(X.copy(), Y.copy(), A.copy(), B.copy())
    assert_close(got, weat_effect_size(X, Y, A, B), f"effect_size with |X| = |Y| = {len(X)}")
