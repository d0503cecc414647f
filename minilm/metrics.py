"""Evaluation metrics: accuracy, precision/recall/F1, confusion matrix, corpus BLEU,
ROUGE (summarization), SQuAD exact match and F1 (QA), distinct-n (dialogue diversity).

Labels may be any hashable values for the single-label functions. Multi-label
targets are 0/1 indicator arrays of shape ``(N, L)``. Where a ratio has a zero
denominator (no predicted positives, say) it is defined as 0. Every score is a
fraction in [0, 1] (papers print BLEU, ROUGE and SQuAD scores times 100).
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

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


# --- ROUGE -------------------------------------------------------------------


class Score(NamedTuple):
    """Precision, recall and their harmonic mean F1 (a tuple of three floats)."""

    precision: float
    recall: float
    f1: float


def _score(overlap, n_hyp, n_ref) -> Score:
    """``overlap`` units shared by a hypothesis of ``n_hyp`` units and a reference of ``n_ref``."""
    p = overlap / n_hyp if n_hyp > 0 else 0.0
    r = overlap / n_ref if n_ref > 0 else 0.0
    return Score(p, r, 2 * p * r / (p + r) if p + r > 0 else 0.0)


def rouge_tokenize(text: str) -> list[str]:
    """Lowercase, turn every run of characters other than ``a-z`` and ``0-9`` into a
    space, split on spaces: the tokenization of Google's ``rouge-score`` package
    without its stemmer. Letters outside ASCII (``é``) are separators too.

    >>> rouge_tokenize("The cat's 2nd-best mat!")
    ['the', 'cat', 's', '2nd', 'best', 'mat']
    """
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).split()


def lcs_length(a: Sequence, b: Sequence) -> int:
    """Length of the longest common subsequence of ``a`` and ``b`` (items in the
    same order, not necessarily adjacent), by dynamic programming in
    ``O(len(a) * len(b))`` time.

    ``L[i][j]`` is the LCS length of the prefixes ``a[:i]`` and ``b[:j]``. When
    ``a[i-1] == b[j-1]`` that item can end a common subsequence: ``L[i-1][j-1] + 1``.
    Otherwise one of the two last items is not in it: ``max(L[i-1][j], L[i][j-1])``.

    >>> lcs_length("the cat sat on the mat".split(), "the cat on a mat".split())
    4
    """
    L = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]  # row 0 and column 0: an empty prefix
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            if a[i - 1] == b[j - 1]:
                L[i][j] = L[i - 1][j - 1] + 1
            else:
                L[i][j] = max(L[i - 1][j], L[i][j - 1])
    return L[len(a)][len(b)]


def rouge_n(hypothesis: Sequence[str], reference: Sequence[str], n: int = 1) -> Score:
    """ROUGE-N of one token list against one reference token list (Lin 2004).

    The overlap is the clipped count of shared n-grams,
    ``sum over g of min(count_hyp(g), count_ref(g))``; precision divides it by the
    hypothesis's n-gram count, recall by the reference's. A text shorter than
    ``n`` tokens has no n-grams, so it scores 0.

    >>> rouge_n("the cat sat".split(), "the cat ran".split(), n=2)
    Score(precision=0.5, recall=0.5, f1=0.5)
    """
    if n < 1:
        raise ValueError(f"rouge_n needs n >= 1, got n={n}")
    _check_tokens("rouge_n", hypothesis, reference)
    h, r = _ngrams(hypothesis, n), _ngrams(reference, n)
    overlap = sum(min(count, r[g]) for g, count in h.items())
    return _score(overlap, sum(h.values()), sum(r.values()))


def rouge_l(hypothesis: Sequence[str], reference: Sequence[str]) -> Score:
    """ROUGE-L of one token list against one reference token list: the longest
    common subsequence (:func:`lcs_length`) over the hypothesis length
    (precision) and over the reference length (recall), and their F1. This is
    ``rouge-score``'s sentence-level ``rougeL`` (not ``rougeLsum``), with
    ``beta = 1`` where Lin (2004) weights recall by a ``beta``.

    >>> rouge_l("the cat sat on the mat".split(), "the cat on a mat".split())
    Score(precision=0.6666666666666666, recall=0.8, f1=0.7272727272727272)
    """
    _check_tokens("rouge_l", hypothesis, reference)
    return _score(lcs_length(hypothesis, reference), len(hypothesis), len(reference))


def _check_tokens(name, *texts):
    if any(isinstance(t, str) for t in texts):
        raise TypeError(
            f"{name} takes lists of tokens, not strings (a string would be read as characters): "
            "use rouge(hypothesis, references) for texts, or split them with rouge_tokenize"
        )


ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")


def _rouge_one(hyp_tokens, ref_tokens, kind: str) -> Score:
    if kind == "rougeL":
        return rouge_l(hyp_tokens, ref_tokens)
    n = kind[5:]
    if not (kind.startswith("rouge") and n.isdigit() and int(n) >= 1):
        raise ValueError(f"unknown ROUGE type {kind!r}: use 'rougeL' or 'rougeN' (N >= 1)")
    return rouge_n(hyp_tokens, ref_tokens, int(n))


def rouge(hypothesis: str, references: str | Sequence[str],
          types: Sequence[str] = ROUGE_TYPES) -> dict[str, Score]:  # fmt: skip
    """ROUGE scores of one text against one reference text or several, as
    ``{type: Score(precision, recall, f1)}`` for each of ``types``: ``"rouge1"``,
    ``"rouge2"`` (any ``"rougeN"``) and ``"rougeL"``.

    Texts are tokenized by :func:`rouge_tokenize` (no stemming). With several
    references, each type keeps the score against the reference that gives the
    largest F1 (the first such on ties): the rule of ``rouge-score``'s
    ``score_multi``. The results equal ``RougeScorer(types, use_stemmer=False)``'s.

    >>> s = rouge("The cat sat.", ["a dog sat", "The cat ran"])
    >>> s["rouge1"].f1, s["rouge2"].f1, s["rougeL"].recall
    (0.6666666666666666, 0.5, 0.6666666666666666)
    """
    refs = [references] if isinstance(references, str) else list(references)
    if not refs:
        raise ValueError("rouge needs at least one reference")
    hyp = rouge_tokenize(hypothesis)
    toks = [rouge_tokenize(ref) for ref in refs]
    result = {}
    for kind in types:
        scores = [_rouge_one(hyp, ref, kind) for ref in toks]
        result[kind] = max(scores, key=lambda s: s.f1)  # max returns the first of equals
    return result


def corpus_rouge(hypotheses: Sequence[str], references: Sequence[str | Sequence[str]],
                 types: Sequence[str] = ROUGE_TYPES) -> dict[str, Score]:  # fmt: skip
    """Corpus ROUGE: the mean over the pairs of the :func:`rouge` scores, precision,
    recall and F1 each averaged on its own (so the F1 is the mean of the per-pair
    F1s, not the F1 of the mean precision and recall). This is the number papers
    report from ``rouge-score``; its ``BootstrapAggregator`` gives a bootstrap
    estimate of the same mean (the median of resampled means, close to it but not
    equal) with a confidence interval. ``references[i]`` is one text or a list of texts.

    >>> corpus_rouge(["the cat", "a dog"], ["the cat", "the cat"])["rouge1"]
    Score(precision=0.5, recall=0.5, f1=0.5)
    """
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses but {len(references)} reference sets")
    if len(hypotheses) == 0:
        raise ValueError("corpus_rouge needs at least one hypothesis")
    per_pair = [rouge(h, refs, types) for h, refs in zip(hypotheses, references)]
    return {
        kind: Score(*(sum(s[kind][k] for s in per_pair) / len(per_pair) for k in range(3)))
        for kind in types
    }


# --- SQuAD -------------------------------------------------------------------

_PUNCTUATION = frozenset(string.punctuation)


def normalize_answer(text: str) -> str:
    """The answer normalization of the official SQuAD v1.1 evaluation script, in
    its order: lowercase; delete ASCII punctuation (``string.punctuation``: so
    ``"don't"`` becomes ``"dont"``); replace the words ``a``, ``an``, ``the`` by
    spaces; collapse runs of whitespace to one space and strip the ends.

    >>> normalize_answer("  The Eiffel-Tower,  in  Paris! ")
    'eiffeltower in paris'
    """
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def _golds(golds) -> list[str]:
    golds = [golds] if isinstance(golds, str) else list(golds)
    if not golds:
        raise ValueError("every prediction needs at least one gold answer")
    return golds


def exact_match(prediction: str, golds: str | Sequence[str]) -> float:
    """1.0 when the prediction equals some gold answer after
    :func:`normalize_answer`, else 0.0 (SQuAD's EM: the max over the golds).

    >>> exact_match("the Beatles", ["Beatles", "The Rolling Stones"])
    1.0
    """
    p = normalize_answer(prediction)
    return float(any(p == normalize_answer(g) for g in _golds(golds)))


def token_f1(prediction: str, golds: str | Sequence[str]) -> float:
    """SQuAD's F1: the normalized answers (:func:`normalize_answer`) split on
    spaces, the overlap counted as a bag (``sum of min`` of the token counts),
    precision over the prediction's tokens, recall over the gold's; the best F1
    over the golds. No overlap (an empty answer included) gives 0, as in v1.1.

    >>> token_f1("the city of Paris", ["Lyon", "Paris"])  # against "Paris": P = 1/3, R = 1
    0.5
    """
    p = Counter(normalize_answer(prediction).split())
    best = 0.0
    for gold in _golds(golds):
        g = Counter(normalize_answer(gold).split())
        best = max(best, _score(sum((p & g).values()), p.total(), g.total()).f1)
    return best


def squad_scores(predictions: Sequence[str], golds: Sequence[str | Sequence[str]]) -> dict:
    """Corpus SQuAD scores ``{"exact_match": ..., "f1": ...}``: the means of
    :func:`exact_match` and :func:`token_f1` over the questions, as fractions in
    [0, 1] (the official script prints them times 100). ``golds[i]`` is the gold
    answer, or the list of gold answers, of question ``i``.

    >>> squad_scores(["Paris", "in 1998"], [["Paris"], ["1998", "in May 1998"]])
    {'exact_match': 0.5, 'f1': 0.9}
    """
    if len(predictions) != len(golds):
        raise ValueError(f"{len(predictions)} predictions but {len(golds)} gold answer sets")
    if len(predictions) == 0:
        raise ValueError("squad_scores needs at least one prediction")
    em = sum(exact_match(p, g) for p, g in zip(predictions, golds))
    f1 = sum(token_f1(p, g) for p, g in zip(predictions, golds))
    return {"exact_match": em / len(predictions), "f1": f1 / len(predictions)}


# --- diversity ---------------------------------------------------------------


def distinct_n(texts: Sequence[str | Sequence[str]], n: int = 1) -> float:
    """Distinct-n (Li et al. 2016): the number of distinct n-grams over all of
    ``texts`` divided by the total number of n-grams in them, in [0, 1]; 1 when
    nothing repeats. A text is a string, split on whitespace (``str.split``: no
    lowercasing, punctuation stays on its word), or a list of tokens. N-grams do
    not cross from one text into the next. No n-grams at all gives 0.

    Li et al. word it as distinct n-grams "divided by total number of generated
    words"; that is the same for n = 1, and this total of n-grams (the usual
    reading in code) for n > 1.

    >>> distinct_n(["the cat sat", "the cat ran"], n=2)  # 3 distinct of 4 bigrams
    0.75
    """
    if n < 1:
        raise ValueError(f"distinct_n needs n >= 1, got n={n}")
    seen: Counter = Counter()
    for text in texts:
        seen += _ngrams(text.split() if isinstance(text, str) else list(text), n)
    total = sum(seen.values())
    return len(seen) / total if total > 0 else 0.0
