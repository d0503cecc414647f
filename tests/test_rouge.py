"""ROUGE on cases worked out by hand, and against Google's rouge-score package."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minilm.metrics import (
    Score,
    corpus_rouge,
    lcs_length,
    rouge,
    rouge_l,
    rouge_n,
    rouge_tokenize,
)  # fmt: skip


def approx(p, r, f):
    return pytest.approx((p, r, f))  # a Score is a tuple (precision, recall, f1)


def test_tokenize():
    # lowercase; every run of non-[a-z0-9] is a separator, ASCII only ("é" splits "café")
    assert rouge_tokenize("Hello, WORLD! it's 3.14 café-au-lait") == [
        "hello", "world", "it", "s", "3", "14", "caf", "au", "lait",
    ]  # fmt: skip
    assert rouge_tokenize("  ...!? ") == []
    assert rouge_tokenize("") == []


def test_lcs_by_hand():
    # the textbook pair: one LCS of ABCBDAB and BDCABA is BCBA
    assert lcs_length("ABCBDAB", "BDCABA") == 4
    assert lcs_length("abc", "cba") == 1
    assert lcs_length("abc", "abc") == 3
    assert lcs_length("aaaa", "aa") == 2
    assert lcs_length("", "abc") == lcs_length("abc", "") == 0
    assert lcs_length("abc", "xyz") == 0


def test_rouge_n_and_l_by_hand():
    s1 = "police killed the gunman".split()  # Lin (2004)'s example, s1 the reference
    s2 = "police kill the gunman".split()
    s3 = "the gunman kill police".split()
    # unigrams shared with s1: police, the, gunman (3 of 4 each way)
    assert rouge_n(s2, s1, 1) == approx(3 / 4, 3 / 4, 3 / 4)
    assert rouge_n(s3, s1, 1) == approx(3 / 4, 3 / 4, 3 / 4)
    # bigrams: s2 shares (the gunman) of 3; s3 shares (the gunman) of 3
    assert rouge_n(s2, s1, 2) == approx(1 / 3, 1 / 3, 1 / 3)
    assert rouge_n(s3, s1, 2) == approx(1 / 3, 1 / 3, 1 / 3)
    # LCS: s2 "police the gunman" = 3; s3 "the gunman" = 2 (ROUGE-L tells them apart)
    assert rouge_l(s2, s1) == approx(3 / 4, 3 / 4, 3 / 4)
    assert rouge_l(s3, s1) == approx(1 / 2, 1 / 2, 1 / 2)

    # clipped counts: hyp the x3, cat x1; ref the x2, cat, mat -> overlap 2 + 1 = 3 of 4 and 4
    hyp, ref = "the the the cat".split(), "the cat the mat".split()
    assert rouge_n(hyp, ref, 1) == approx(3 / 4, 3 / 4, 3 / 4)
    # hyp bigrams (the the) x2, (the cat); ref (the cat), (cat the), (the mat): overlap 1 of 3
    assert rouge_n(hyp, ref, 2) == approx(1 / 3, 1 / 3, 1 / 3)
    # LCS 2 ("the cat" or "the the"): 2/4 both ways
    assert rouge_l(hyp, ref) == approx(1 / 2, 1 / 2, 1 / 2)

    # unequal lengths: P = 2/2, R = 2/6, F = 2 (1)(1/3) / (4/3) = 1/2
    short, long = "the cat".split(), "the cat sat on the mat".split()
    assert rouge_n(short, long, 1) == approx(1, 1 / 3, 1 / 2)
    # bigrams: 1 of 1 and 1 of 5, F = 2 (1/5) / (6/5) = 1/3
    assert rouge_n(short, long, 2) == approx(1, 1 / 5, 1 / 3)
    assert rouge_l(short, long) == approx(1, 1 / 3, 1 / 2)
    assert rouge_l(long, short) == approx(1 / 3, 1, 1 / 2)  # precision and recall swap


def test_edge_cases():
    zero = Score(0.0, 0.0, 0.0)
    for hyp, ref in [("", "the cat"), ("the cat", ""), ("", ""), ("!!", "the cat")]:
        assert rouge(hyp, ref) == {"rouge1": zero, "rouge2": zero, "rougeL": zero}
    one = Score(1.0, 1.0, 1.0)
    assert rouge("The cat sat.", "the CAT, sat") == {"rouge1": one, "rouge2": one, "rougeL": one}
    # one token has no bigram: ROUGE-2 is 0 even for identical texts (as in rouge-score)
    assert rouge("cat", "cat") == {"rouge1": one, "rouge2": zero, "rougeL": one}
    assert rouge_n("a b c".split(), "a b c".split(), 3) == one
    assert rouge("a b c", "a b c", types=["rouge3"])["rouge3"] == one


def test_several_references():
    # hyp "a b c". ref "c b a": R1 3/3 (F 1), R2 0, RL LCS 1 (1/3).
    # ref "a b x y": R1 2/3, 2/4, F 4/7; R2 (a b) of 2 and 3: 1/2, 1/3, F 2/5;
    # RL LCS "a b": 2/3, 2/4, F 4/7. Each type keeps its own best reference.
    s = rouge("a b c", ["c b a", "a b x y"])
    assert s["rouge1"] == approx(1, 1, 1)
    assert s["rouge2"] == approx(1 / 2, 1 / 3, 2 / 5)
    assert s["rougeL"] == approx(2 / 3, 1 / 2, 4 / 7)
    # a tie in F (2/3 both: P 1, R 1/2 against "a b c d"; P 1/2, R 1 against "a"): the first
    assert rouge("a b", ["a b c d", "a"])["rouge1"] == approx(1, 1 / 2, 2 / 3)
    assert rouge("a b", ["a", "a b c d"])["rouge1"] == approx(1 / 2, 1, 2 / 3)
    assert rouge("a b", ("a b c d",)) == rouge("a b", "a b c d")


def test_corpus_mean_of_pairs():
    # pair 1: P 1, R 1/3, F 1/2 (above); pair 2 identical: 1, 1, 1.
    # means: P 1, R 2/3, F 3/4 (the F1 of the mean P and R would be 0.8)
    s = corpus_rouge(["the cat", "a"], ["the cat sat on the mat", ["b", "a"]])
    assert s["rouge1"] == approx(1, 2 / 3, 3 / 4)
    assert s["rougeL"] == approx(1, 2 / 3, 3 / 4)
    # ROUGE-2: pair 1 (1, 1/5, 1/3); pair 2 has no bigrams (0, 0, 0)
    assert s["rouge2"] == approx(1 / 2, 1 / 10, 1 / 6)


def test_bad_input():
    with pytest.raises(ValueError, match="ROUGE type"):
        rouge("a", "a", types=["rougeX"])
    with pytest.raises(ValueError, match="ROUGE type"):
        rouge("a", "a", types=["rouge0"])
    with pytest.raises(ValueError, match="at least one reference"):
        rouge("a", [])
    with pytest.raises(ValueError, match="reference sets"):
        corpus_rouge(["a", "b"], ["a"])
    with pytest.raises(ValueError, match="at least one"):
        corpus_rouge([], [])
    with pytest.raises(ValueError, match="n >= 1"):
        rouge_n(["a"], ["a"], 0)
    with pytest.raises(TypeError, match="rouge_tokenize"):
        rouge_n("the cat", ["the", "cat"])
    with pytest.raises(TypeError, match="lists of tokens"):
        rouge_l(["the", "cat"], "the cat")


# --- against rouge-score (skips without it; CI installs it from .ci/oracles.txt) ----

TYPES = ["rouge1", "rouge2", "rougeL"]
words = st.sampled_from(["the", "The", "CAT", "cat", "sat", "on", "mat", "a", "1", "x2", "é"])
seps = st.sampled_from([" ", ", ", "-", ". ", "\n", "'", "  "])


@st.composite
def texts(draw):
    """Texts from a small vocabulary (so n-grams repeat and overlap), cased and
    punctuated, with now and then arbitrary characters."""
    if draw(st.integers(0, 4)) == 0:
        return draw(st.text(max_size=20))
    ws = draw(st.lists(words, max_size=10))
    return "".join(w + draw(seps) for w in ws)


def scorer():
    rouge_scorer = pytest.importorskip("rouge_score.rouge_scorer")
    return rouge_scorer.RougeScorer(TYPES, use_stemmer=False)


def same(ours, theirs):
    for kind in TYPES:
        assert ours[kind] == pytest.approx(tuple(theirs[kind]), abs=1e-12), kind


@given(text=st.text())
def test_tokenize_matches_rouge_score(text):
    tokenizers = pytest.importorskip("rouge_score.tokenizers")
    assert rouge_tokenize(text) == tokenizers.DefaultTokenizer(use_stemmer=False).tokenize(text)


@given(hyp=texts(), ref=texts())
def test_rouge_matches_rouge_score(hyp, ref):
    same(rouge(hyp, ref), scorer().score(ref, hyp))  # rouge-score takes (target, prediction)


@given(hyp=texts(), refs=st.lists(texts(), min_size=1, max_size=3))
def test_several_references_match_score_multi(hyp, refs):
    same(rouge(hyp, refs), scorer().score_multi(refs, hyp))


@given(pairs=st.lists(st.tuples(texts(), st.lists(texts(), min_size=1, max_size=2)), min_size=1,
                      max_size=4))  # fmt: skip
def test_corpus_is_the_mean_of_score_multi(pairs):
    sc = scorer()
    theirs = [sc.score_multi(refs, hyp) for hyp, refs in pairs]
    mean = {k: [sum(t[k][i] for t in theirs) / len(theirs) for i in range(3)] for k in TYPES}
    same(corpus_rouge([h for h, _ in pairs], [r for _, r in pairs]), mean)
