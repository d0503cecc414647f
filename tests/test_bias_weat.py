"""WEAT (minilm.bias.weat_*): the properties that define it, the exact permutation p-value
against an enumeration written here, planted and null constructions, the errors; and the
bias benchmark's word lists and a tiny run of its command."""

import itertools
import math
import statistics

import pytest

from minilm.backend import np
from minilm.bias import weat_association, weat_bootstrap_ci, weat_effect_size, weat_test


def random_sets(seed, n=6, m=5, dim=10):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(k, dim)) for k in (n, n, m, m + 1)]  # X, Y, A, B


def planted(seed, n=8, dim=20, noise=0.3):
    """X near A's direction, Y near B's: X is the male-like set by construction."""
    rng = np.random.default_rng(seed)
    a, b = np.eye(dim)[0], np.eye(dim)[1]

    def near(v, k):
        return v + noise * rng.normal(size=(k, dim))

    return near(a, n), near(b, n), near(a, 5), near(b, 5)


# ---- written independently of minilm: plain Python on lists ----


def cosine(u, v):
    dot = sum(p * q for p, q in zip(u, v))
    return dot / (math.sqrt(sum(p * p for p in u)) * math.sqrt(sum(q * q for q in v)))


def association(w, A, B):
    return statistics.fmean(cosine(w, a) for a in A) - statistics.fmean(cosine(w, b) for b in B)


def brute_force(X, Y, A, B):
    """(statistic, p, every split's statistic): each choice of |X| of the 2|X| targets
    as the first half, the rest as the second."""
    X, Y, A, B = ([list(map(float, v)) for v in s] for s in (X, Y, A, B))
    targets = X + Y
    s = [association(w, A, B) for w in targets]
    observed = sum(s[: len(X)]) - sum(s[len(X) :])
    stats = []
    for half in itertools.combinations(range(len(targets)), len(X)):
        first = sum(s[i] for i in half)
        stats.append(first - (sum(s) - first))
    p = sum(t >= observed - 1e-12 for t in stats) / len(stats)
    return observed, p, stats


# ---- the definition ----


def test_association_is_mean_cosine_to_a_minus_mean_cosine_to_b():
    w = [3.0, 4.0]
    A, B = [[1.0, 0.0], [0.0, 2.0]], [[-1.0, 0.0]]
    # cosines: to A 0.6 and 0.8, to B -0.6
    assert weat_association(w, A, B) == pytest.approx(0.7 + 0.6)
    X, Y, A2, B2 = random_sets(0)
    for w in X:
        assert weat_association(w, A2, B2) == pytest.approx(association(w, A2, B2))


def test_effect_size_uses_the_sample_std_over_both_target_sets():
    X, Y, A, B = random_sets(1)
    sx = [association(w, A, B) for w in X]
    sy = [association(w, A, B) for w in Y]
    diff = statistics.fmean(sx) - statistics.fmean(sy)
    d = weat_effect_size(X, Y, A, B)
    assert d == pytest.approx(diff / statistics.stdev(sx + sy))  # ddof=1, as the paper
    assert d != pytest.approx(diff / statistics.pstdev(sx + sy))
    r = weat_test(X, Y, A, B)
    assert r["effect_size"] == pytest.approx(d)
    assert r["std"] == pytest.approx(statistics.stdev(sx + sy))
    assert r["statistic"] == pytest.approx(sum(sx) - sum(sy))


@pytest.mark.parametrize("seed", range(5))
def test_effect_size_and_statistic_are_antisymmetric(seed):
    X, Y, A, B = random_sets(seed)
    d, s = weat_effect_size(X, Y, A, B), weat_test(X, Y, A, B)["statistic"]
    assert abs(d) > 1e-6
    for args in [(Y, X, A, B), (X, Y, B, A)]:  # swap the targets, or the attributes
        assert weat_effect_size(*args) == pytest.approx(-d)
        assert weat_test(*args)["statistic"] == pytest.approx(-s)
    assert weat_effect_size(Y, X, B, A) == pytest.approx(d)  # both: back to d


def test_scaling_vectors_changes_nothing():
    X, Y, A, B = random_sets(2, n=5)
    rng = np.random.default_rng(9)
    scaled = [s * rng.uniform(0.01, 100.0, size=(len(s), 1)) for s in (X, Y, A, B)]
    before, after = weat_test(X, Y, A, B), weat_test(*scaled)
    for key in ("effect_size", "statistic", "p_value"):
        assert after[key] == pytest.approx(before[key], rel=1e-9)
    assert weat_effect_size(X, Y, A, B) == pytest.approx(weat_effect_size(*scaled))


# ---- planted and null ----


@pytest.mark.parametrize("seed", range(3))
def test_planted_association_gives_a_large_effect_and_the_smallest_p(seed):
    X, Y, A, B = planted(seed)
    r = weat_test(X, Y, A, B, resamples=20000)  # C(16, 8) = 12,870 splits: all of them
    assert r["exact"] and r["partitions"] == math.comb(16, 8)
    assert r["effect_size"] > 1.5  # the largest possible is 2 * sqrt(15/16) = 1.94
    assert r["p_value"] == pytest.approx(1 / math.comb(16, 8))  # only the observed split
    r = weat_test(X, Y, A, B)  # 10,000 random splits of 12,870
    assert not r["exact"] and r["p_value"] == pytest.approx(1 / 10001)
    lo, hi = weat_bootstrap_ci(X, Y, A, B)
    assert 0.8 < lo <= r["effect_size"] <= hi
    rev = weat_test(Y, X, A, B, resamples=20000)  # the other direction: the largest p
    assert rev["effect_size"] < -1.5 and rev["p_value"] == pytest.approx(1.0)


def test_identical_distributions_give_a_uniform_p_and_no_effect():
    ps, ds = [], []
    for seed in range(300):
        X, Y, A, B = random_sets(100 + seed, n=5, m=4, dim=8)
        r = weat_test(X, Y, A, B)  # C(10, 5) = 252 splits, exact
        ps.append(r["p_value"])
        ds.append(r["effect_size"])
    ps = np.array(ps)
    # exact p of a continuous statistic is uniform on {1/252, ..., 1}: mean 253/504
    assert abs(ps.mean() - 0.502) < 0.05
    for level in (0.05, 0.1, 0.5):  # binomial s.d. at 0.1: 0.017
        assert abs((ps <= level).mean() - level) < 0.06
    assert abs(np.mean(ds)) < 0.12 and 0.3 < np.std(ds) < 1.2


# ---- the permutation p-value ----


@pytest.mark.parametrize("n, seed", [(1, 0), (2, 1), (3, 2), (4, 3), (4, 4), (5, 5)])
def test_exact_p_value_matches_a_brute_force_enumeration(n, seed):
    X, Y, A, B = random_sets(seed, n=n, m=3, dim=4)
    observed, p, stats = brute_force(X, Y, A, B)
    r = weat_test(X, Y, A, B, return_null=True)
    assert r["exact"] and r["partitions"] == r["resamples"] == math.comb(2 * n, n)
    assert r["statistic"] == pytest.approx(observed)
    assert r["p_value"] == pytest.approx(p)
    np.testing.assert_allclose(np.sort(r["null"]), np.sort(stats), atol=1e-12)


def test_ties_count_as_reaching_the_observed_statistic():
    X = [[1.0, 0.0], [1.0, 0.0]]  # X and Y the same vectors: every split gives 0
    r = weat_test(X, X, [[1.0, 0.2]], [[0.1, 1.0]])
    assert r["statistic"] == pytest.approx(0.0) and r["p_value"] == 1.0
    assert math.isnan(r["effect_size"])  # no spread: no effect size


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6])
def test_p_value_is_at_least_one_over_the_number_of_splits(n):
    for seed in range(4):
        X, Y, A, B = random_sets(seed, n=n, dim=3)
        r = weat_test(X, Y, A, B)
        assert r["p_value"] >= 1 / math.comb(2 * n, n) - 1e-15
        assert 0 < r["p_value"] <= 1
        # the observed split the most extreme one: p is exactly that bound, never below
        r = weat_test(*planted(seed, n=n, dim=4, noise=0.1))
        assert r["p_value"] == pytest.approx(1 / math.comb(2 * n, n))


def test_exact_exactly_when_the_splits_fit_in_resamples():
    X, Y, A, B = random_sets(3, n=4)  # 70 splits
    assert weat_test(X, Y, A, B, resamples=70)["exact"]
    r = weat_test(X, Y, A, B, resamples=69, seed=5)
    assert not r["exact"] and r["resamples"] == 69
    k = r["p_value"] * 70  # (k + 1) / (69 + 1)
    assert k == pytest.approx(round(k)) and r["p_value"] >= 1 / 70


def test_random_splits_estimate_the_exact_p_value():
    X, Y, A, B = random_sets(7, n=6, m=3, dim=3)  # 924 splits
    exact = weat_test(X, Y, A, B)
    assert exact["exact"] and 0.1 < exact["p_value"] < 0.9
    approx = weat_test(X, Y, A, B, resamples=900, seed=1)
    assert not approx["exact"]
    assert abs(approx["p_value"] - exact["p_value"]) < 4 * 0.5 / math.sqrt(900)
    again = weat_test(X, Y, A, B, resamples=900, seed=1)
    assert again["p_value"] == approx["p_value"]  # seeded
    large = weat_test(*random_sets(8, n=40, m=3, dim=5), resamples=3000)
    assert 3000 * large["p_value"] > 1  # (k + 1) / 3001, never 0
    assert len(weat_test(*random_sets(8, n=40), resamples=30, return_null=True)["null"]) == 30


def plain_bootstrap(X, Y, A, B, reps, seed):
    """Effect sizes of ``reps`` resamples, each set drawn again with replacement at its
    size, by indexing (where minilm counts how often each word is drawn)."""
    rng = np.random.default_rng(seed)
    unit = [np.asarray(s) / np.linalg.norm(s, axis=1, keepdims=True) for s in (X, Y, A, B)]
    d = []
    for _ in range(reps):
        Xr, Yr, Ar, Br = (s[rng.integers(0, len(s), len(s))] for s in unit)
        sx = (Xr @ Ar.T).mean(axis=1) - (Xr @ Br.T).mean(axis=1)
        sy = (Yr @ Ar.T).mean(axis=1) - (Yr @ Br.T).mean(axis=1)
        d.append((sx.mean() - sy.mean()) / np.concatenate([sx, sy]).std(ddof=1))
    return np.quantile(d, [0.025, 0.975])


def split_attributes(seed):
    """X along e1, Y along e2, and A one word along each: which of A's words a resample
    draws decides the sign of the effect."""
    rng = np.random.default_rng(seed)
    X, Y = (np.eye(3)[i] + 0.3 * rng.normal(size=(60, 3)) for i in (0, 1))
    return X, Y, np.eye(3)[:2] + 0.05 * rng.normal(size=(2, 3)), [[0.0, 0.0, 1.0]]


@pytest.mark.parametrize(
    "make",
    [lambda: random_sets(11, n=8, m=4, dim=3), lambda: split_attributes(12)],
    ids=["random", "A-decides"],
)
def test_bootstrap_interval_agrees_with_a_plain_resampling_of_the_words(make):
    X, Y, A, B = make()
    got = weat_bootstrap_ci(X, Y, A, B, resamples=4000)
    np.testing.assert_allclose(got, plain_bootstrap(X, Y, A, B, 4000, 5), atol=0.1)


def test_bootstrap_interval_is_seeded_and_collapses_without_variety():
    X, Y, A, B = random_sets(4)
    ci = weat_bootstrap_ci(X, Y, A, B, seed=3)
    assert ci == weat_bootstrap_ci(X, Y, A, B, seed=3) and ci[0] < ci[1]
    assert ci[0] <= weat_effect_size(X, Y, A, B) <= ci[1]
    same = [[1.0, 0.0]] * 3, [[0.0, 1.0]] * 3, [[1.0, 0.1]] * 2, [[0.1, 1.0]] * 2
    lo, hi = weat_bootstrap_ci(*same)
    assert lo == pytest.approx(hi) == pytest.approx(weat_effect_size(*same))


# ---- errors ----


def test_clear_errors():
    X, Y, A, B = random_sets(0, n=3, dim=4)
    with pytest.raises(ValueError, match="set X is empty"):
        weat_test([], Y, A, B)
    with pytest.raises(ValueError, match="set A is empty"):
        weat_effect_size(X, Y, np.zeros((0, 4)), B)
    with pytest.raises(ValueError, match="set B is empty"):
        weat_association(X[0], A, [])
    with pytest.raises(ValueError, match=r"equal size.*\|X\| = 3, \|Y\| = 2"):
        weat_test(X, Y[:2], A, B)
    with pytest.raises(ValueError, match="equal size"):
        weat_effect_size(X, Y[:2], A, B)
    with pytest.raises(ValueError, match="equal size"):
        weat_bootstrap_ci(X, Y[:2], A, B)
    with pytest.raises(ValueError, match="B have 3 dimensions, the others 4"):
        weat_test(X, Y, A, B[:, :3])
    with pytest.raises(ValueError, match="A have 4 dimensions, the others 5"):
        weat_association(np.ones(5), A, B)
    with pytest.raises(ValueError, match="one vector"):
        weat_association(X, A, B)
    with pytest.raises(ValueError, match="list of vectors"):
        weat_effect_size(X[0], Y[0], A, B)
    with pytest.raises(ValueError, match="zero vector"):
        weat_test(X, np.vstack([Y[:2], np.zeros(4)]), A, B)
    with pytest.raises(ValueError, match="not finite"):
        weat_test(X, Y, np.vstack([A[:1], [np.nan] * 4]), B)
    with pytest.raises(ValueError, match="resamples"):
        weat_test(X, Y, A, B, resamples=0)


# ---- the benchmark (python -m minilm.bench bias) ----


def test_bench_word_lists_drop_unknown_words_and_balance_by_frequency():
    from minilm.bench import bias as bench

    vocab = {"he", "she", "him", "her", "his", "king", "queen", "war", "love", "a", "b", "c",
             "d", "e", "f", "g", "h", "i", "j", "k", "l", "m"}  # fmt: skip
    A, B, dropped = bench.attribute_words(vocab)
    assert A == ["he", "him", "his", "king"] and B == ["she", "her", "queen"]  # "her" once
    assert ("man", "woman") in dropped and ("he", "she") not in dropped
    counts = {w: 10 for w in vocab} | {"c": 1, "m": 2}
    X0, Y0 = ("a", "b", "c", "d", "e", "f", "g", "zz"), ("h", "i", "j", "k", "l", "m")
    t = bench.target_words(X0, Y0, vocab, counts)
    assert t["oov"] == ["zz"] and t["skipped"] is None
    assert t["balanced_out"] == ["c"]  # the rarest of the larger set
    assert len(t["X"]) == len(t["Y"]) == 6 and "c" not in t["X"]
    t = bench.target_words(("a", "b", "zz"), Y0, vocab, counts)
    assert "X has 2 words" in t["skipped"]
    assert bench._orientation("He gave her his book") == 1
    assert bench._orientation("She and he") == 0 and bench._orientation("her mother") == -1


def test_bench_quick_runs_and_writes_its_figure(tmp_path, capsys):
    from minilm.bench.__main__ import main

    png = tmp_path / "bias.png"
    argv = ["bias", "--quick", "--w2v-steps", "60", "--random-sets", "4", "--resamples", "300",
            "--cnn-steps", "10", "--plot", str(png)]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert 'test "career vs family"' in out and "skipped: X has" in out
    assert "out of the vocabulary, dropped: executive" in out
    assert "trained, seed 0" in out and "untrained (initial vectors)" in out
    assert "control: 4 random pairs" in out
    assert "Wilson interval" in out and "bootstrap CI" in out and "reading:" in out
    assert png.stat().st_size > 10_000
