"""Metrics on cases worked out by hand, and BLEU against sacrebleu (ROUGE: test_rouge.py)."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minilm.metrics import (
    accuracy,
    confusion_matrix,
    corpus_bleu,
    distinct_n,
    exact_match,
    f1_score,
    normalize_answer,
    precision_recall_f1,
    squad_scores,
    token_f1,
)  # fmt: skip


def test_binary():
    # tp = 2 (positions 0, 2), fp = 1 (3), fn = 1 (1)
    assert precision_recall_f1([1, 1, 1, 0, 0], [1, 0, 1, 1, 0]) == pytest.approx((2 / 3,) * 3)
    # tp = 1, fp = 1, fn = 2: P = 1/2, R = 1/3, F1 = 2PR/(P+R) = (1/3)/(5/6) = 0.4
    assert precision_recall_f1([1, 0, 1, 1], [1, 1, 0, 0]) == pytest.approx((0.5, 1 / 3, 0.4))
    assert f1_score(["y", "n", "y"], ["y", "y", "y"], pos_label="y") == pytest.approx(0.8)
    assert precision_recall_f1([0, 0], [0, 0]) == (0.0, 0.0, 0.0)  # no positives at all


def test_multiclass():
    y_true = [0, 1, 2, 2, 1, 0]
    y_pred = [0, 2, 2, 1, 1, 0]
    assert confusion_matrix(y_true, y_pred).tolist() == [[2, 0, 0], [0, 1, 1], [0, 1, 1]]
    assert accuracy(y_true, y_pred) == pytest.approx(4 / 6)
    # per class (P, R, F1): 0 -> (1, 1, 1); 1 -> (1/2, 1/2, 1/2); 2 -> (1/2, 1/2, 1/2)
    assert precision_recall_f1(y_true, y_pred, "macro") == pytest.approx((2 / 3,) * 3)
    assert precision_recall_f1(y_true, y_pred, "micro") == pytest.approx((4 / 6,) * 3)
    assert confusion_matrix(y_true, y_pred, labels=[2, 0]).tolist() == [[1, 0], [0, 2]]


def test_multilabel():
    T = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0]])
    P = np.array([[1, 0, 0], [0, 1, 1], [1, 0, 0]])
    # columns: 0 -> tp 2 (P 1, R 1, F 1); 1 -> tp 1, fn 1 (1, 1/2, 2/3);
    # 2 -> tp 0, fp 1, fn 1 (0, 0, 0)
    assert precision_recall_f1(T, P, "macro") == pytest.approx((2 / 3, 1 / 2, 5 / 9))
    # pooled: tp 3, fp 1, fn 2 -> P 3/4, R 3/5, F1 = 2 * 0.45 / 1.35 = 2/3
    assert precision_recall_f1(T, P, "micro") == pytest.approx((3 / 4, 3 / 5, 2 / 3))
    assert accuracy(T, P) == 0.0  # no row is entirely right
    with pytest.raises(ValueError, match="micro"):
        precision_recall_f1(T, P, "binary")


def test_bleu_by_hand():
    hyp, ref = "a b c d".split(), "a b c e".split()
    # p1 = 3/4, p2 = 2/3, p3 = 1/2, p4 = 0/1
    assert corpus_bleu([hyp], [[ref]]) == 0.0
    assert corpus_bleu([hyp], [[ref]], smoothing="floor") == pytest.approx(
        (0.75 * 2 / 3 * 0.5 * 0.1) ** 0.25
    )
    # add-k (k=1) on orders 2..4: p2 = 3/4, p3 = 2/3, p4 = 1/2
    assert corpus_bleu([hyp], [[ref]], smoothing="add-k") == pytest.approx(
        (0.75 * 0.75 * 2 / 3 * 0.5) ** 0.25
    )
    # exp: the first zero precision becomes 1 / (2 * total) = 1/2
    assert corpus_bleu([hyp], [[ref]], smoothing="exp") == pytest.approx(
        (0.75 * 2 / 3 * 0.5 * 0.5) ** 0.25
    )
    # brevity: all precisions 1, c = 4, r = 6
    assert corpus_bleu([hyp], [["a b c d e f".split()]]) == pytest.approx(math.exp(1 - 6 / 4))
    # clipping: "the" counts at most once, as in the reference
    assert corpus_bleu([["the"] * 4], [[["the", "cat"]]], max_n=1) == pytest.approx(0.25)
    # closest reference length (3, not 6) for the brevity penalty
    assert corpus_bleu([["a", "b", "c"]], [[["a", "b", "c"], list("abcdef")]], max_n=3) == 1.0


words = st.lists(st.sampled_from("a b c d e".split()), min_size=1, max_size=9)


@pytest.mark.parametrize("smoothing", ["none", "floor", "add-k", "exp"])
@given(data=st.data(), n_refs=st.integers(1, 2))
def test_bleu_matches_sacrebleu(smoothing, data, n_refs):
    sacrebleu = pytest.importorskip("sacrebleu")
    n = data.draw(st.integers(1, 6))
    hyps = [data.draw(words) for _ in range(n)]
    refs = [[data.draw(words) for _ in range(n_refs)] for _ in range(n)]
    ours = corpus_bleu(hyps, refs, smoothing=smoothing)
    streams = [[" ".join(r[j]) for r in refs] for j in range(n_refs)]
    theirs = sacrebleu.corpus_bleu(
        [" ".join(h) for h in hyps], streams, smooth_method=smoothing, tokenize="none"
    ).score
    assert 100 * ours == pytest.approx(theirs, abs=1e-9)


def test_bad_input():
    with pytest.raises(ValueError, match="shape"):
        accuracy([1, 2], [1])
    with pytest.raises(ValueError, match="reference sets"):
        corpus_bleu([["a"]], [])
    with pytest.raises(ValueError, match="smoothing"):
        corpus_bleu([["a"]], [[["a"]]], smoothing="magic")


def test_normalize_answer_steps():
    assert normalize_answer("PaRiS") == "paris"  # lowercase
    # punctuation is deleted, not turned into a space
    assert normalize_answer("U.S.A.") == "usa"
    assert normalize_answer("don't stop-gap (now)!") == "dont stopgap now"
    # articles, as whole words only, after lowercasing and after punctuation went
    assert normalize_answer("The cat and a dog, an apple") == "cat and dog apple"
    assert normalize_answer("theater another anthem") == "theater another anthem"
    assert normalize_answer("(The) A.") == ""
    assert normalize_answer("  x \t y\n ") == "x y"  # whitespace collapsed, ends stripped
    # only ASCII punctuation (string.punctuation), as in the official script
    assert normalize_answer("«Paris»") == "«paris»"


def test_exact_match_and_f1():
    assert exact_match("The Beatles!", "beatles") == 1.0
    assert exact_match("Beatles band", ["the beatles", "Rolling Stones"]) == 0.0
    assert exact_match("Rolling stones.", ["the beatles", "Rolling Stones"]) == 1.0  # any gold
    # "quick brown fox" vs "quick fox jumped": 2 shared of 3 and 3 -> F1 2/3
    assert token_f1("the quick brown fox", "a quick fox jumped") == pytest.approx(2 / 3)
    # best over golds: "brown fox" shares 2, P 2/3, R 1, F1 = (4/3)/(5/3) = 0.8
    assert token_f1("the quick brown fox", ["quick fox jumped", "brown fox"]) == pytest.approx(0.8)
    assert token_f1("the quick brown fox", ["brown fox", "quick fox jumped"]) == pytest.approx(0.8)
    # a bag: "paris paris" vs "paris" shares min(2, 1) = 1: P 1/2, R 1, F1 2/3
    assert token_f1("Paris paris", "Paris") == pytest.approx(2 / 3)
    assert token_f1("london", ["Paris"]) == 0.0
    # v1.1: answers that normalize to nothing match exactly but have no tokens to share
    assert exact_match("The", "a") == 1.0
    assert token_f1("The", "a") == 0.0
    assert token_f1("", "Paris") == 0.0


def test_squad_scores():
    predictions = ["Paris", "the quick brown fox", "1998"]
    golds = ["paris", ["quick fox jumped", "brown fox"], ["in May 1998", "May"]]
    # EM: 1, 0, 0. F1: 1, 0.8 (above), "1998" vs "in may 1998": P 1, R 1/3, F1 1/2
    s = squad_scores(predictions, golds)
    assert s["exact_match"] == pytest.approx(1 / 3)
    assert s["f1"] == pytest.approx((1 + 0.8 + 0.5) / 3)
    with pytest.raises(ValueError, match="gold answer sets"):
        squad_scores(["a"], [])
    with pytest.raises(ValueError, match="at least one gold"):
        exact_match("a", [])


def test_distinct_n():
    # "a b a b": unigrams a b a b (2 distinct of 4); bigrams ab ba ab (2 of 3); trigrams 2 of 2
    assert distinct_n(["a b a b"], 1) == 0.5
    assert distinct_n(["a b a b"], 2) == pytest.approx(2 / 3)
    assert distinct_n(["a b a b"], 3) == 1.0
    # pooled over texts, never across them: ab, ab -> 1 of 2 (crossing would add "b a": 2/3)
    assert distinct_n(["a b", "a b"], 2) == 0.5
    assert distinct_n([["a", "b"], "a b"], 2) == 0.5  # token lists and strings alike
    # whitespace split only: case and punctuation make different tokens
    assert distinct_n(["A a a."], 1) == 1.0
    assert distinct_n(["the cat", "the dog", "a cat"], 1) == pytest.approx(4 / 6)
    assert distinct_n(["a", ""], 2) == 0.0  # no bigrams at all
    assert distinct_n([], 1) == 0.0
    with pytest.raises(ValueError, match="n >= 1"):
        distinct_n(["a"], 0)
