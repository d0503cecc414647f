"""n-gram models: counts, normalization, a by-hand Kneser-Ney reference, and nltk.lm."""

import math
import time
from collections import Counter

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minilm.data import load_split
from minilm.ngram import SMOOTHINGS, AddK, KneserNey, NgramCounts, NgramModel
from minilm.text import split_words

ALPHABET = "abcd"
sentences = st.lists(st.text(ALPHABET, min_size=0, max_size=7), min_size=1, max_size=8)
contexts = st.text(ALPHABET + "xy", max_size=4)  # x and y are never in training


@given(st.lists(st.lists(st.integers(0, 4), max_size=8), min_size=1, max_size=6), st.integers(1, 4))
def test_counts_match_a_counter(seqs, order):
    expected = Counter(
        tuple(s[i : i + k])
        for s in seqs
        for k in range(1, order + 1)
        for i in range(len(s) - k + 1)
    )
    counts = NgramCounts.from_sequences(seqs, order, vocab_size=5)
    for gram, c in expected.items():
        assert counts.count(gram) == c
    assert counts.count([4, 4, 4, 4][:order]) == expected.get((4,) * order, 0)
    assert sum(int(counts.counts[k].sum()) for k in counts.counts) == sum(expected.values())


@pytest.mark.parametrize("smoothing", list(SMOOTHINGS))
@given(train=sentences, heldout=sentences, order=st.integers(1, 4), ctx=contexts)
def test_every_next_token_distribution_sums_to_one(smoothing, train, heldout, order, ctx):
    lm = NgramModel(order, smoothing).fit(train, heldout=heldout)
    p = lm.distribution(ctx)
    assert p.shape == (len(lm.tokens),) and (p >= 0).all()
    assert abs(p.sum() - 1) < 1e-9


@pytest.mark.parametrize("smoothing", [s for s in SMOOTHINGS if s != "mle"])
@given(train=sentences, test=st.lists(st.text(ALPHABET + "xyz", max_size=7), min_size=1))
def test_smoothed_perplexity_is_finite_on_unseen_text(smoothing, train, test):
    for order in (1, 3):
        lm = NgramModel(order, smoothing).fit(train, heldout=train[:2])
        assert math.isfinite(lm.perplexity(test))


def test_mle_gives_unseen_bigrams_probability_zero():
    lm = NgramModel(2, "mle").fit(["ab", "ab"])
    assert lm.prob("b", "a") == 1.0 and lm.prob("a", "a") == 0.0
    assert lm.perplexity(["ba"]) == math.inf


def test_min_count_maps_rare_tokens_to_unk():
    lm = NgramModel(1, "mle", min_count=2).fit([["the", "cat"], ["the", "dog"]])
    # 5 tokens: the, the, <unk>, <unk>, </s> x2 -> P(<unk>) = 2/6
    assert lm.prob("zebra") == pytest.approx(2 / 6) == lm.prob("cat")


# --- Kneser-Ney against a direct reference ------------------------------------


def reference_kn(train, n, discount):
    """Interpolated KN written straight from its definition (Chen & Goodman 1998)."""
    pad = [("<s>",) * (n - 1) + tuple(s) + ("</s>",) for s in train]
    counts = Counter(
        s[i : i + k] for s in pad for k in range(1, n + 1) for i in range(len(s) - k + 1)
    )
    counts = {g: c for g, c in counts.items() if g[-1] != "<s>"}  # <s> is never predicted
    vocab = sorted({t for s in train for t in s}) + ["</s>", "<unk>"]

    def a(gram):  # the count KN uses at this order
        if len(gram) == n:
            return counts.get(gram, 0)
        return len({g[0] for g in counts if len(g) == len(gram) + 1 and g[1:] == gram})

    def level_discounts(k):
        values = [a(g) for g in counts if len(g) == k]
        if discount != "modified":
            return [discount] * 3
        m = [sum(v == j for v in values) for j in range(1, 5)]
        Y = min(m[0] / (m[0] + 2 * m[1]), 0.9) if m[0] else 0.5
        D = [j - (j + 1) * Y * m[j] / m[j - 1] if m[j - 1] else Y for j in (1, 2, 3)]
        return [d if 0 < d <= j else Y for j, d in zip((1, 2, 3), D)]

    Ds = {k: level_discounts(k) for k in range(1, n + 1)}

    def prob(w, h):
        lower = prob(w, h[1:]) if h else 1 / len(vocab)
        total = sum(a(h + (x,)) for x in vocab)
        if total == 0:
            return lower
        D = Ds[len(h) + 1]
        d = lambda c: D[min(c, 3) - 1] if c > 0 else 0.0
        gamma = sum(d(a(h + (x,))) for x in vocab) / total
        return max(a(h + (w,)) - d(a(h + (w,))), 0) / total + gamma * lower

    return prob, vocab


@pytest.mark.parametrize("discount", [0.75, 0.3, "modified"])
@given(train=sentences, order=st.integers(1, 3), ctx=contexts)
def test_kneser_ney_matches_direct_reference(discount, train, order, ctx):
    smoothing = KneserNey(modified=True) if discount == "modified" else KneserNey(discount)
    lm = NgramModel(order, smoothing).fit(train)
    ref, vocab = reference_kn(train, order, discount)
    h = (("<s>",) * (order - 1) + tuple(ctx))[len(ctx) :] if order > 1 else ()
    h = tuple(t if t in vocab or t == "<s>" else "<unk>" for t in h)
    for w in vocab:
        assert lm.prob(w, ctx) == pytest.approx(ref(w, h), rel=1e-9, abs=1e-12)


# --- nltk.lm on the same data ----------------------------------------------------


def _nltk_case(seed):
    rng = np.random.default_rng(seed)
    words = ["a", "b", "c", "d", "e"]
    make = lambda m: [list(rng.choice(words, size=rng.integers(1, 7))) for _ in range(m)]
    return [words] + make(12), make(5)  # every word appears in training


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("order", [2, 3])
def test_matches_nltk_laplace_and_kneser_ney(seed, order):
    pytest.importorskip("nltk")
    from nltk.lm import KneserNeyInterpolated, Laplace
    from nltk.lm.preprocessing import pad_both_ends, padded_everygram_pipeline
    from nltk.util import ngrams

    train, test = _nltk_case(seed)
    # nltk pads both ends with order-1 markers and counts every gram of the padded
    # text; minilm reproduces that with boundaries=False on the same padded text.
    padded_train = [list(pad_both_ends(s, order)) for s in train]
    padded_test = [list(pad_both_ends(s, order)) for s in test]
    test_ngrams = [g for s in padded_test for g in ngrams(s, order)]
    ours = {
        "laplace": AddK(1.0),
        # nltk's KN: one discount (0.1 by default) and a unigram level with no uniform floor
        "kn": KneserNey(discount=[0.0] + [0.1] * (order - 1)),
    }
    for name, cls in (("laplace", Laplace), ("kn", KneserNeyInterpolated)):
        ref = cls(order)
        ref.fit(*padded_everygram_pipeline(order, train))
        lm = NgramModel(order, ours[name], boundaries=False).fit(padded_train)
        assert lm.perplexity(padded_test) == pytest.approx(ref.perplexity(test_ngrams), rel=1e-6)


# --- the real corpora -------------------------------------------------------------


def test_word_trigram_kneser_ney_on_tinyshakespeare_fits_in_seconds():
    lines = [split_words(t) for t in load_split("tinyshakespeare", "train").split("\n")]
    start = time.perf_counter()
    lm = NgramModel(3, "kneser-ney").fit([line for line in lines if line])
    assert time.perf_counter() - start < 10
    assert abs(lm.distribution(["To", "be"]).sum() - 1) < 1e-9


def test_generate_is_deterministic_given_a_seed():
    lm = NgramModel(3, "kneser-ney").fit(load_split("names", "train")[:2000])
    assert lm.generate(5, seed=3) == lm.generate(5, seed=3)
    greedy = lm.generate(2, temperature=0)
    assert greedy[0] == greedy[1]
    assert all(isinstance(t, str) for s in lm.generate(3, seed=0, temperature=2.0) for t in s)


def test_bad_input_errors():
    with pytest.raises(ValueError, match="unknown smoothing"):
        NgramModel(2, "magic")
    with pytest.raises(RuntimeError, match="not fitted"):
        NgramModel(2).prob("a")
    with pytest.raises(TypeError, match="list of sentences"):
        NgramModel(2).fit(["ab"]).perplexity("ab")
