"""k-fold cross-validation: every example is a test example once.

A fixed test split of 300 sentences gives one accuracy, with a binomial standard
error of about ``sqrt(0.8 * 0.2 / 300) = 0.023`` at 80%: two models 2 points apart
cannot be told apart on it. k-fold cross-validation cuts the data into ``k``
disjoint folds, trains ``k`` times, each time on all but one fold, and scores on
the fold left out. The ``k`` scores give a mean and a spread:

- :func:`kfold`: the folds, as ``(train_idx, test_idx)`` index arrays, shuffled
  by ``numpy.random.default_rng(seed)``; ``stratify=labels`` keeps each class's
  share of every fold within one example of its share of the whole.
- :func:`cross_validate`: runs ``fit_score(X_train, y_train, X_test, y_test)`` on
  each fold and returns a :class:`CVResult`: the ``k`` scores, their mean, their
  standard deviation (``ddof=1``) and the standard error of the mean,
  ``std / sqrt(k)``.
- :func:`paired_difference`: two methods scored on the *same* folds, compared fold
  by fold. The fold-to-fold spread is mostly which examples are hard, and both
  methods share it, so the differences vary much less than either score.

A caveat on the standard error: the ``k`` training sets overlap (any two share
``(k - 2) / (k - 1)`` of their data), so the fold scores are not independent
and ``std / sqrt(k)`` is somewhat too small; no unbiased estimate of the variance
of k-fold cross-validation exists (Bengio & Grandvalet, JMLR 2004). Read it as a
yardstick for "is this difference noise", not as an exact confidence interval.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..backend import np

__all__ = ["kfold", "cross_validate", "CVResult", "paired_difference", "take"]


def kfold(n: int, k: int, seed: int = 0, stratify: Sequence | None = None) -> list[tuple]:
    """``k`` folds of ``range(n)``: a list of ``(train_idx, test_idx)`` int64 arrays,
    both sorted. The test folds are disjoint and together cover every index once;
    their sizes differ by at most one; each ``train_idx`` is the rest.

    Unstratified: a permutation drawn from ``default_rng(seed)``, cut into ``k``
    nearly equal parts. ``stratify``: ``n`` labels (any hashable values); each
    class's indices are shuffled, the classes are laid end to end and the
    positions dealt to the folds in turn (0, 1, ..., k-1, 0, 1, ...), so a class
    with ``m`` members has ``m // k`` or ``m // k + 1`` of them in every fold.

    >>> [test.tolist() for _, test in kfold(7, 3, seed=0)]
    [[2, 3, 4], [5, 6], [0, 1]]
    >>> folds = kfold(8, 2, stratify=[0, 0, 0, 0, 0, 0, 1, 1])
    >>> [[int(i >= 6) for i in test] for _, test in folds]  # one of the two 1s each
    [[0, 0, 0, 1], [0, 0, 0, 1]]
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"kfold: n is the number of examples, an int >= 0, got {n!r}")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 2 <= k <= max(n, 2):
        raise ValueError(f"kfold: k must be an int with 2 <= k <= n = {n} (each fold needs a "
                         f"test example), got {k!r}")  # fmt: skip
    if n < 2:
        raise ValueError(f"kfold: need at least 2 examples for 2 folds, got n = {n}")
    gen = np.random.default_rng(seed)
    fold_of = np.empty(n, dtype=np.int64)
    if stratify is None:
        order = gen.permutation(n)
        for f, part in enumerate(np.array_split(order, k)):
            fold_of[part] = f
    else:
        labels = list(stratify)
        if len(labels) != n:
            raise ValueError(f"kfold: stratify has {len(labels)} labels for n = {n} examples")
        by_class: dict = {}
        for i, y in enumerate(labels):
            by_class.setdefault(_key(y), []).append(i)
        order = np.concatenate([gen.permutation(np.array(by_class[c], dtype=np.int64))
                                for c in sorted(by_class, key=repr)])  # fmt: skip
        fold_of[order] = np.arange(n) % k
    everything = np.arange(n)
    return [(everything[fold_of != f], everything[fold_of == f]) for f in range(k)]


def _key(y):
    return y.item() if isinstance(y, np.generic) else y


def take(items, idx):
    """``items[idx]`` for an array, ``[items[i] for i in idx]`` for a list or other sequence.

    >>> take(["a", "b", "c"], np.array([2, 0]))
    ['c', 'a']
    """
    if isinstance(items, np.ndarray):
        return items[idx]
    return [items[int(i)] for i in idx]


@dataclass
class CVResult:
    """The ``k`` fold scores of :func:`cross_validate`, their ``mean``, ``std``
    (``ddof=1``) and ``se`` (standard error of the mean: ``std / sqrt(k)``)."""

    scores: list[float]
    mean: float
    std: float
    se: float

    @classmethod
    def of(cls, scores) -> CVResult:
        """The summary of a list of fold scores (at least two).

        >>> r = CVResult.of([0.8, 0.9, 0.7, 0.8])
        >>> round(r.mean, 3), round(r.std, 4), round(r.se, 4)
        (0.8, 0.0816, 0.0408)
        """
        s = np.asarray(scores, dtype=np.float64)
        if s.ndim != 1 or len(s) < 2:
            raise ValueError(f"CVResult: need a list of at least 2 scores, got {list(s.ravel())}")
        std = float(s.std(ddof=1))
        return cls([float(v) for v in s], float(s.mean()), std, std / math.sqrt(len(s)))

    @property
    def k(self) -> int:
        return len(self.scores)

    def __str__(self) -> str:
        return f"{self.mean:.3f} ± {self.se:.3f} (s.e., {self.k} folds)"


def cross_validate(fit_score: Callable, X, y, k: int = 10, seed: int = 0,
                   stratify: bool = True) -> CVResult:  # fmt: skip
    """Score ``fit_score(X_train, y_train, X_test, y_test) -> float`` on the ``k`` folds
    of :func:`kfold` (stratified by ``y`` unless ``stratify=False``).

    ``X`` and ``y``: arrays (indexed by the index arrays) or lists (indexed one by
    one). ``fit_score`` trains a fresh model on the training part and returns its
    score on the test part; it must not keep anything from one call to the next.

    >>> def majority(X_train, y_train, X_test, y_test):  # predict the commonest class
    ...     guess = np.bincount(y_train).argmax()
    ...     return float(np.mean(y_test == guess))
    >>> y = np.array([0] * 6 + [1] * 4)
    >>> r = cross_validate(majority, np.zeros(10), y, k=5)
    >>> r.scores, r.mean  # fold 0 holds two 0s and trains on a 4-4 tie, which argmax breaks to 0
    ([1.0, 0.5, 0.5, 0.5, 0.5], 0.6)
    """
    if len(X) != len(y):
        raise ValueError(f"cross_validate: X has {len(X)} rows but y has {len(y)}")
    folds = kfold(len(y), k, seed, stratify=list(y) if stratify else None)
    scores = []
    for train, test in folds:
        s = fit_score(take(X, train), take(y, train), take(X, test), take(y, test))
        scores.append(float(s))
    return CVResult.of(scores)


def paired_difference(a: CVResult, b: CVResult) -> CVResult:
    """Fold-by-fold ``a - b`` of two methods scored on the same folds (same ``k``,
    ``seed`` and data), summarised like a :class:`CVResult`.

    >>> a, b = CVResult.of([0.80, 0.90, 0.70]), CVResult.of([0.78, 0.87, 0.69])
    >>> d = paired_difference(a, b)
    >>> round(d.mean, 3), round(d.se, 4), round(a.se, 4)  # the difference is clear, a's s.e. is not
    (0.02, 0.0058, 0.0577)
    """
    if a.k != b.k:
        raise ValueError(f"paired_difference: {a.k} folds against {b.k}; score both methods on "
                         f"the same folds")  # fmt: skip
    return CVResult.of([x - z for x, z in zip(a.scores, b.scores)])
