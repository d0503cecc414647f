"""n-gram models: counts, normalization, a by-hand Kneser-Ney reference, and nltk.lm."""

import math
import time
from collections import Counter

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minilm.data import load_split
from minilm.ngram import (
    SMOOTHINGS,
    AddK,
    Backoff,
    Interpolation,
    KneserNey,
    NgramCounts,
    NgramModel,
    make_smoothing,
)
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


# Every smoothing option: the named ones, and instances with their parameters
# (a function of the order, for per-order discounts).
OPTIONS = {
    **{name: (lambda n, name=name: make_smoothing(name)) for name in SMOOTHINGS},
    "add-k 0.1": lambda n: AddK(0.1),
    "backoff D=0.5": lambda n: Backoff(0.5),
    "backoff D=0": lambda n: Backoff(0.0),
    "interpolation, given weights": lambda n: Interpolation(
        np.arange(1, n + 2) / sum(range(n + 2))
    ),
    "kneser-ney D=0.75": lambda n: KneserNey(0.75),
    "kneser-ney D=1": lambda n: KneserNey(1.0),
    "kneser-ney D=0": lambda n: KneserNey(0.0),
    "kneser-ney per order, no floor": lambda n: KneserNey([0.0] + [0.6] * (n - 1)),
    "kneser-ney nltk_compat": lambda n: KneserNey(nltk_compat=True),
}
word_sentences = st.lists(
    st.lists(st.sampled_from(["a", "bb", "c", "dd"]), max_size=6), min_size=1, max_size=8
)
# training and held-out sentences, both of characters or both of words
corpora = st.tuples(sentences, sentences) | st.tuples(word_sentences, word_sentences)
SUMS_TO_ONE_CASES = [
    (option, boundaries)
    for option in OPTIONS
    for boundaries in (True, False)
    if not (option == "kneser-ney nltk_compat" and not boundaries)  # nltk's flaw, on purpose
]


@pytest.mark.parametrize("option, boundaries", SUMS_TO_ONE_CASES)
@given(corpus=corpora, order=st.integers(1, 4), data=st.data())
def test_every_next_token_distribution_sums_to_one(option, boundaries, corpus, order, data):
    train, heldout = corpus
    lm = NgramModel(order, OPTIONS[option](order), boundaries=boundaries)
    lm.fit(train, heldout=heldout)
    # a context of known and unknown tokens, long enough without boundaries
    known = sorted(set(lm.tokens) - {"<s>", "</s>", "<unk>"}) + ["x", "yy"]
    size = st.integers(0 if boundaries else order - 1, 5)
    ctx = data.draw(
        size.flatmap(lambda k: st.lists(st.sampled_from(known), min_size=k, max_size=k))
    )
    p = lm.distribution(ctx)
    assert p.shape == (len(lm.tokens),) and (p >= 0).all()
    assert abs(p.sum() - 1) < 1e-9


def test_plain_kneser_ney_without_boundaries_matches_a_hand_computation():
    # The case. Grams (no padding): trigrams abc, xac; bigrams ab, bc, xa, ac;
    # unigrams a a b c c x. Continuation counts: bigram bc 1 (after a), ac 1 (after
    # x), ab and xa 0 (nothing before them); unigram a 1, b 1, c 2, x 0. V = 7.
    # D = 0.5. Unigrams: T = 4, gamma = 0.5 * 3 / 4 (3 tokens with a count), so
    # P1(a) = P1(b) = 0.5/4 + 3/56 = 5/28, P1(c) = 1.5/4 + 3/56 = 3/7, others 3/56.
    # Context (b, a) is unseen at order 3; at order 2 context a: T = 1 (ac), gamma
    # = 0.5 * 1 / 1, so P(c) = 0.5 + 0.5 * 3/7 = 5/7, P(a) = P(b) = 5/56, others 3/112.
    train = [["a", "b", "c"], ["x", "a", "c"]]
    lm = NgramModel(3, KneserNey(0.5), boundaries=False).fit(train)
    want = {"c": 5 / 7, "a": 5 / 56, "b": 5 / 56, "x": 3 / 112, "<s>": 3 / 112,
            "</s>": 3 / 112, "<unk>": 3 / 112}  # fmt: skip
    got = dict(zip(lm.tokens, lm.distribution(["b", "a"])))
    assert got == pytest.approx(want, rel=1e-12)
    for discount in (None, 0.9, 1.0):  # the numbers, whatever the discount
        lm = NgramModel(3, KneserNey(discount), boundaries=False).fit(train)
        assert lm.distribution(["b", "a"]).sum() == pytest.approx(1.0, rel=1e-12)


def test_nltk_compat_keeps_nltks_flaw():
    # nltk's gamma counts the tokens after h in the raw counts: at order 2 context a,
    # ab and ac (2, not 1), and at order 1 all 4 tokens (not 3). With D = 0.5 the
    # unigrams sum to 0.625 + 0.5 and P(. | a) to 0.5 + 2 * 0.5 * 1.125 = 1.625.
    train = [["a", "b", "c"], ["x", "a", "c"]]
    lm = NgramModel(3, KneserNey(0.5, nltk_compat=True), boundaries=False).fit(train)
    assert lm.distribution(["b", "a"]).sum() == pytest.approx(1.625, rel=1e-12)
    assert "nltk_compat=True" in repr(lm) and "nltk_compat" not in repr(KneserNey())
    with pytest.raises(ValueError, match="nltk has no modified"):
        KneserNey(modified=True, nltk_compat=True)


@given(
    train=sentences | word_sentences,
    order=st.integers(1, 4),
    ctx=st.lists(st.sampled_from(["a", "bb", "x"]), max_size=4),
)
def test_nltk_compat_changes_nothing_with_boundaries(train, order, ctx):
    # with boundaries every lower-order gram has a token (maybe <s>) before it, so its
    # raw count is positive exactly when its continuation count is
    a = NgramModel(order, KneserNey(0.6)).fit(train)
    b = NgramModel(order, KneserNey(0.6, nltk_compat=True)).fit(train)
    assert np.array_equal(a.distribution(ctx), b.distribution(ctx))


def test_discount_estimate_is_not_capped():
    # "ab" with boundaries: the bigrams <s>a, ab, b</s> are each seen once (n1 = 3,
    # n2 = 0), so D = n1 / (n1 + 2 n2) = 1 (Chen & Goodman; KenLM). The unigram
    # continuation counts a, b, </s> are 1 each: D = 1 again. So P1 = gamma / V with
    # gamma = 1 * 3 / 3, and P(w | a) = 0 + 1 * P1(w) = 1/4 for the 4 tokens a, b,
    # </s>, <unk>. (A cap at 0.9 would leave 0.1 for the seen bigram.)
    for smoothing in ("kneser-ney", "modified-kneser-ney"):  # modified: D1 = 1 - 2 D n2/n1
        lm = NgramModel(2, smoothing).fit(["ab"])
        assert lm.distribution("a") == pytest.approx([0.25] * 4, rel=1e-12)
    # Katz backoff keeps a cap of 0.9: its seen grams get only (c - D) / c(h .), so
    # D = 1 would give P(b | a) = 0 to the bigram it saw
    assert NgramModel(2, "backoff").fit(["ab"]).prob("b", "a") == pytest.approx(0.1)


# --- strings where sentences or tokens are expected -------------------------------


def test_a_bare_string_is_refused_where_a_list_of_sentences_is_expected():
    words = NgramModel(2).fit([["the", "cat"], ["a", "cat"]])
    chars = NgramModel(2).fit(["emma", "ava"])
    for call in (
        lambda: NgramModel(2).fit("a string"),  # was: 8 one-character sentences
        lambda: NgramModel(2).fit(["ab"], heldout="ab"),
        lambda: chars.logprobs("ava"),
        lambda: chars.perplexity("ava"),
        lambda: words.perplexity("the cat"),
    ):
        with pytest.raises(TypeError, match="takes a list of sentences.*wrap one sentence in a"):
            call()


def test_a_word_model_refuses_a_string_context_or_sentence():
    lm = NgramModel(3, "mle").fit([["the", "time", "machine"], ["the", "time", "traveller"]])
    assert lm.prob("machine", ["the", "time"]) == 0.5  # c(the time machine) / c(the time .)
    assert not lm.char_level
    message = r"'the time' is a string.*pass a list of tokens, e.g. \['the', 'time'\]"
    for call in (
        lambda: lm.prob("machine", "the time"),  # was: the context t, h, e, ' ', t, ...
        lambda: lm.logprob("machine", "the time"),
        lambda: lm.distribution("the time"),
        lambda: lm.generate(1, context="the time"),
        lambda: lm.perplexity([["the", "time"], "the time"]),
        lambda: lm.logprobs(["the time"]),
    ):
        with pytest.raises(TypeError, match=message):
            call()
    with pytest.raises(TypeError, match=r"sentence 1 'a dog' is a string"):  # mixed
        NgramModel(2).fit([["the", "cat"], "a dog"])
    config = {"order": 3, "smoothing": "mle", "min_count": 1, "vocab": lm.vocab.to_dict()}
    saved = NgramModel.from_ids(config, *lm.training_ids)  # what a model file rebuilds
    with pytest.raises(TypeError, match=message):
        saved.prob("machine", "the time")


@given(train=sentences, ctx=st.text(ALPHABET + "xy", max_size=4), order=st.integers(1, 3))
def test_a_character_model_reads_a_string_as_its_characters(train, ctx, order):
    for data in (train, [list(s) for s in train]):  # strings or lists of characters
        lm = NgramModel(order, "kneser-ney").fit(data)
        assert lm.char_level
        assert np.array_equal(lm.distribution(ctx), lm.distribution(list(ctx)))
        assert lm.prob("a", ctx) == lm.prob("a", list(ctx))
        assert lm.perplexity(train) == lm.perplexity([list(s) for s in train])


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
        m = [sum(v == j for v in values) for j in range(1, 5)]
        Y = m[0] / (m[0] + 2 * m[1]) if m[0] else 0.5  # Chen & Goodman, no cap
        if discount == "estimated":
            return [Y] * 3
        if discount != "modified":
            return [discount] * 3
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


@pytest.mark.parametrize("discount", [0.75, 0.3, "estimated", "modified"])
@given(train=sentences, order=st.integers(1, 3), ctx=contexts)
def test_kneser_ney_matches_direct_reference(discount, train, order, ctx):
    smoothing = {"modified": KneserNey(modified=True), "estimated": KneserNey()}.get(
        discount, KneserNey(discount)
    )
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
        # nltk's KN: one discount (0.1 by default), a unigram level with no uniform floor,
        # and its gamma from raw counts (nltk_compat): without boundaries, as here, its
        # distributions do not sum to 1 (test_nltk_compat_keeps_nltks_flaw)
        "kn": KneserNey(discount=[0.0] + [0.1] * (order - 1), nltk_compat=True),
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
