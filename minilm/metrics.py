"""Evaluation metrics: accuracy, precision/recall/F1, confusion matrix, corpus BLEU.

Labels may be any hashable values for the single-label functions. Multi-label
targets are 0/1 indicator arrays of shape ``(N, L)``. Where a ratio has a zero
denominator (no predicted positives, say) it is defined as 0.
"""

from __future__ import annotations

import math
from collections import Counter

from .backend import np


def accuracy(y_true, y_pred) -> float:
    """Fraction of exact matches (rows must match entirely for 2-D targets).

    >>> accuracy([0, 1, 1, 0], [0, 1, 0, 0])
    0.75
    """
    t, p = _pair(y_true, y_pred)
    eq = t == p
    return float((eq.all(axis=1) if eq.ndim == 2 else eq).mean())


def _pair(y_true, y_pred):
    t, p = np.asarray(y_true), np.asarray(y_pred)
    if t.shape != p.shape:
        raise ValueError(f"y_true has shape {t.shape} but y_pred has shape {p.shape}")
    if t.size == 0:
        raise ValueError("no examples")
    return t, p


def confusion_matrix(y_true, y_pred, labels=None):
    """``C[i, j]`` = how many examples of true label ``labels[i]`` were predicted ``labels[j]``.

    ``labels`` defaults to the sorted union of both label sets.

    >>> confusion_matrix(["a", "b", "b"], ["a", "a", "b"]).tolist()
    [[1, 0], [1, 1]]
    """
    t, p = _pair(y_true, y_pred)
    labels = sorted(set(t.tolist()) | set(p.tolist())) if labels is None else list(labels)
    index = {label: i for i, label in enumerate(labels)}
    C = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for a, b in zip(t.tolist(), p.tolist()):
        if a in index and b in index:
            C[index[a], index[b]] += 1
    return C


def _ratio(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.where(b > 0, a / np.where(b > 0, b, 1), 0.0)


def _prf(tp, fp, fn):
    p, r = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    return p, r, _ratio(2 * p * r, p + r)


def precision_recall_f1(y_true, y_pred, average: str = "binary", pos_label=1, labels=None):
    """Precision, recall and F1 as a tuple of floats.

    ``average``:
    - ``"binary"``: of the class ``pos_label`` only.
    - ``"macro"``: computed per class (per column for multi-label), then averaged
      (F1 is the mean of per-class F1s).
    - ``"micro"``: true/false positives pooled over classes first (for single-label
      data this equals accuracy).

    Multi-label: pass ``(N, L)`` 0/1 arrays with ``"micro"`` or ``"macro"``.

    >>> precision_recall_f1([1, 1, 0, 0], [1, 0, 1, 0])
    (0.5, 0.5, 0.5)
    """
    t, p = _pair(y_true, y_pred)
    if t.ndim == 2:
        if average not in ("micro", "macro"):
            raise ValueError(
                f"multi-label targets need average 'micro' or 'macro', not {average!r}"
            )
        t, p = t.astype(bool), p.astype(bool)
    else:
        if average == "binary":
            labels = [pos_label]
        elif labels is None:
            labels = sorted(set(t.tolist()) | set(p.tolist()))
        t = np.stack([t == label for label in labels], axis=1)  # (N, classes) one-hot
        p = np.stack([p == label for label in labels], axis=1)
    tp, fp, fn = (t & p).sum(0), (~t & p).sum(0), (t & ~p).sum(0)  # (classes,)
    if average == "micro":
        return tuple(float(x) for x in _prf(tp.sum(), fp.sum(), fn.sum()))
    if average in ("macro", "binary"):
        return tuple(float(x.mean()) for x in _prf(tp, fp, fn))
    raise ValueError(f"unknown average {average!r}: use 'binary', 'macro' or 'micro'")


def f1_score(y_true, y_pred, average: str = "binary", pos_label=1) -> float:
    """The F1 part of :func:`precision_recall_f1`.

    >>> f1_score([1, 1, 0], [1, 1, 1])
    0.8
    """
    return precision_recall_f1(y_true, y_pred, average, pos_label)[2]


# --- BLEU --------------------------------------------------------------------


def _ngrams(tokens, n) -> Counter:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def corpus_bleu(hypotheses, references, max_n: int = 4, smoothing: str = "none",
                smooth_value: float | None = None) -> float:  # fmt: skip
    """Corpus-level BLEU (Papineni et al. 2002) in [0, 1].

    ``hypotheses``: a list of token lists; ``references``: for each hypothesis,
    a list of reference token lists. The n-gram counts (clipped by the largest
    count in any one reference) and the lengths are summed over the corpus
    before the precisions ``p_n`` are formed; the reference length of a sentence
    is the one closest to the hypothesis length (the shorter on ties).

    ``BLEU = BP * exp(mean_n log p_n)``, ``BP = min(1, exp(1 - r / c))``.
    With no smoothing any ``p_n = 0`` gives 0. Smoothing (Chen & Cherry 2014),
    as in sacrebleu: ``"floor"`` (a zero match count becomes ``smooth_value``,
    default 0.1), ``"add-k"`` (add ``smooth_value``, default 1, to the matches
    and totals of orders 2 and up), ``"exp"`` (the i-th zero precision becomes
    ``1 / (2**i * total)``).

    >>> hyp = ["the", "cat", "sat", "on", "the", "mat"]
    >>> corpus_bleu([hyp], [[hyp]])
    1.0
    """
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses but {len(references)} reference sets")
    defaults = {"none": 0.0, "floor": 0.1, "add-k": 1.0, "exp": 0.0}
    if smoothing not in defaults:
        raise ValueError(f"unknown smoothing {smoothing!r}: use one of {list(defaults)}")
    k = defaults[smoothing] if smooth_value is None else smooth_value
    matches, totals = [0.0] * max_n, [0.0] * max_n
    c = r = 0
    for hyp, refs in zip(hypotheses, references):
        if not refs:
            raise ValueError("every hypothesis needs at least one reference")
        c += len(hyp)
        r += min((abs(len(ref) - len(hyp)), len(ref)) for ref in refs)[1]
        for n in range(1, max_n + 1):
            h = _ngrams(hyp, n)
            best: Counter = Counter()
            for ref in refs:
                best |= _ngrams(ref, n)
            matches[n - 1] += sum(min(count, best[g]) for g, count in h.items())
            totals[n - 1] += max(len(hyp) - n + 1, 0)
    bp = 1.0 if c >= r else (math.exp(1 - r / c) if c > 0 else 0.0)
    if not any(matches):
        return 0.0
    log_p, zeros = 0.0, 0
    for n in range(max_n):
        m, t = matches[n], totals[n]
        if smoothing == "add-k" and n > 0:
            m, t = m + k, t + k
        if t == 0:
            return 0.0
        if m == 0:
            if smoothing == "exp":
                zeros += 1
                m = 1 / 2**zeros
            elif smoothing == "floor":
                m = k
            else:
                return 0.0
        log_p += math.log(m / t)
    return bp * math.exp(log_p / max_n)
