"""k-fold cross-validation (minilm.data.cv): the folds' properties, and the summary
statistics against the standard library's :mod:`statistics` (an independent oracle)."""

import math
import statistics
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minilm.data.cv import CVResult, cross_validate, kfold, paired_difference, take


@st.composite
def n_and_k(draw):
    n = draw(st.integers(2, 200))
    return n, draw(st.integers(2, n))


def check_partition(folds, n, k):
    assert len(folds) == k
    tests = [test for _, test in folds]
    everything = np.concatenate(tests)
    assert sorted(everything.tolist()) == list(range(n))  # disjoint and covering
    sizes = [len(t) for t in tests]
    assert max(sizes) - min(sizes) <= 1 and min(sizes) >= 1
    for train, test in folds:
        assert train.dtype == test.dtype == np.int64
        assert np.all(np.diff(train) > 0) and np.all(np.diff(test) > 0)  # sorted, no repeats
        assert not set(train.tolist()) & set(test.tolist())
        assert len(train) + len(test) == n


@settings(max_examples=150, deadline=None)
@given(n_and_k(), st.integers(0, 2**32 - 1))
def test_folds_partition_the_indices(nk, seed):
    n, k = nk
    check_partition(kfold(n, k, seed), n, k)


@settings(max_examples=150, deadline=None)
@given(n_and_k(), st.integers(0, 2**32 - 1), st.integers(1, 5), st.floats(0.0, 3.0))
def test_stratified_folds_keep_every_class_within_one(nk, seed, n_classes, skew):
    n, k = nk
    weights = np.exp(-skew * np.arange(n_classes))  # skew > 0: rarer and rarer classes
    draw = np.random.default_rng(seed + 1)
    labels = draw.choice(n_classes, size=n, p=weights / weights.sum()).tolist()
    folds = kfold(n, k, seed, stratify=labels)
    check_partition(folds, n, k)
    total = Counter(labels)
    for _, test in folds:
        here = Counter(labels[i] for i in test)
        for c, m in total.items():
            assert here[c] in (m // k, m // k + 1)


def test_stratified_shares_by_hand():
    # 10 of class "x", 5 of class "y", 5 folds: every fold holds 2 x and 1 y
    labels = ["x"] * 10 + ["y"] * 5
    for _, test in kfold(15, 5, seed=3, stratify=labels):
        assert sorted(labels[i] for i in test) == ["x", "x", "y"]
    # labels given as a NumPy array of numbers work the same
    folds = kfold(15, 5, seed=3, stratify=np.array([0] * 10 + [1] * 5))
    assert [t.tolist() for _, t in folds] == [t.tolist() for _, t in kfold(15, 5, 3, labels)]


def test_folds_depend_on_the_seed_only():
    a, b = kfold(50, 5, seed=1), kfold(50, 5, seed=1)
    assert all(np.array_equal(x[1], y[1]) for x, y in zip(a, b))
    c = kfold(50, 5, seed=2)
    assert not all(np.array_equal(x[1], y[1]) for x, y in zip(a, c))
    # unstratified folds are a permutation cut into consecutive parts: k = n is leave-one-out
    assert [t.tolist() for _, t in kfold(4, 4, seed=0)] == [
        [int(i)] for i in np.random.default_rng(0).permutation(4)
    ]


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match=r"2 <= k <= n = 5"):
        kfold(5, 6)
    with pytest.raises(ValueError, match=r"2 <= k <= n"):
        kfold(5, 1)
    with pytest.raises(ValueError, match="n is the number of examples"):
        kfold(-1, 2)
    with pytest.raises(ValueError, match="need at least 2 examples"):
        kfold(1, 2)
    with pytest.raises(ValueError, match="stratify has 3 labels for n = 4"):
        kfold(4, 2, stratify=[0, 1, 0])
    with pytest.raises(ValueError, match="X has 3 rows but y has 2"):
        cross_validate(lambda *a: 0.0, [1, 2, 3], [0, 1], k=2)
    with pytest.raises(ValueError, match="at least 2 scores"):
        CVResult.of([0.5])
    with pytest.raises(ValueError, match="3 folds against 2"):
        paired_difference(CVResult.of([1, 2, 3]), CVResult.of([1, 2]))


def test_summary_statistics_match_the_statistics_module():
    scores = [0.81, 0.79, 0.86, 0.77, 0.83, 0.80]
    r = CVResult.of(scores)
    assert r.k == 6 and r.scores == scores
    assert math.isclose(r.mean, statistics.fmean(scores))
    assert math.isclose(r.std, statistics.stdev(scores))  # the n - 1 (ddof=1) estimate
    assert math.isclose(r.se, statistics.stdev(scores) / math.sqrt(6))
    assert str(CVResult.of([0.5, 0.7])) == "0.600 ± 0.100 (s.e., 2 folds)"


def test_cross_validate_hands_each_fold_to_fit_score():
    X = np.arange(20) * 10  # row i holds 10 * i, so a fold's rows name its indices
    y = np.array([0, 1] * 10)
    seen = []

    def fit_score(X_train, y_train, X_test, y_test):
        assert len(X_train) + len(X_test) == 20
        assert not set(X_train.tolist()) & set(X_test.tolist())
        assert np.array_equal(y_test, y[X_test // 10])  # rows and labels stay together
        seen.append(sorted((X_test // 10).tolist()))
        return float(y_test.mean())  # the positive share of the fold

    r = cross_validate(fit_score, X, y, k=4, seed=5)
    assert seen == [t.tolist() for _, t in kfold(20, 4, 5, stratify=y.tolist())]
    # stratified: 10 of each class over 4 folds of 5 rows is 2 or 3 positives per fold
    assert sorted(r.scores) == [0.4, 0.4, 0.6, 0.6] and math.isclose(r.mean, 0.5)
    r = cross_validate(fit_score, X, y, k=4, seed=5, stratify=False)
    assert sorted(sum(seen[-4:], [])) == list(range(20))
    assert math.isclose(r.mean, statistics.fmean(r.scores))


def test_cross_validate_on_lists_and_a_known_answer():
    # a classifier that predicts "the label is the first letter is 'p'": right on every
    # row but the two mislabelled ones, so a fold's accuracy is 1 - (mislabelled in it) / size
    docs = ["pos a", "pos b", "neg c", "neg d", "pos e", "neg f", "pos g", "neg h"]
    y = [1, 1, 0, 0, 0, 0, 1, 1]  # "pos e" and "neg h" carry the wrong label

    def fit_score(X_train, y_train, X_test, y_test):
        assert isinstance(X_test, list)
        pred = [int(d.startswith("p")) for d in X_test]
        return sum(p == t for p, t in zip(pred, y_test)) / len(y_test)

    r = cross_validate(fit_score, docs, y, k=2, seed=0, stratify=False)
    # whatever the folds, the two errors out of 8 give a mean accuracy of 6/8
    assert math.isclose(r.mean, 0.75)
    folds = kfold(8, 2, 0)
    wrong = [sum(i in (4, 7) for i in test) for _, test in folds]
    assert r.scores == [1 - w / 4 for w in wrong]


def test_paired_difference_removes_the_shared_fold_effect():
    hard = np.array([0.70, 0.90, 0.75, 0.85, 0.80])  # fold difficulty, shared by both
    a = CVResult.of(hard + 0.02)
    b = CVResult.of(hard)
    d = paired_difference(a, b)
    assert math.isclose(d.mean, 0.02) and d.std < 1e-12
    assert a.se > 0.03  # unpaired, the 0.02 gap is inside one standard error


def test_take():
    assert take([10, 20, 30], np.array([2, 0])) == [30, 10]
    assert take(np.array([10, 20, 30]), np.array([1])).tolist() == [20]
    assert take(("a", "b"), [1]) == ["b"]
