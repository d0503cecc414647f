"""minilm.bias: word swaps, the statistics (against their formulas or exact counts), the
language-model probe on n-gram models with a known preference or none, and the
classifier flip rate against a hand-made classifier."""

import itertools
import math
import re

import pytest

from minilm.backend import np
from minilm.bias import (
    bootstrap_ci,
    counterfactual_flip_rate,
    has_swappable,
    lm_counterfactual_probe,
    sign_flip_p_value,
    split_after_swaps,
    swap_words,
    template_sentences,
    wilson_interval,
)
from minilm.ngram import NgramModel

Z95 = 1.959963984540054  # the standard normal's 97.5% quantile


# ---- swapping ----


@pytest.mark.parametrize(
    "before, after",
    [
        ("He is a doctor.", "She is a doctor."),
        ("she saw him.", "he saw her."),
        ("Her book is red.", "His book is red."),
        ("Ask her.", "Ask him."),
        ("He told her the truth.", "She told him the truth."),
        ("The KING and his Queen", "The QUEEN and her King"),
        ("these sheets tell history", "these sheets tell history"),  # only whole words
    ],
)
def test_swap_words(before, after):
    assert swap_words(before) == after


def test_swapping_twice_gives_back_an_unambiguous_sentence():
    for _, s in template_sentences():
        assert swap_words(swap_words(s)) == s


def test_split_after_swaps_leaves_the_shared_continuation():
    for _, s in template_sentences():
        t = swap_words(s)
        assert s[split_after_swaps(s) :] == t[split_after_swaps(t) :]
    assert split_after_swaps("no gendered word here") == -1
    assert not has_swappable("They are late.") and has_swappable("Sir, you are late.")


# ---- statistics ----


@pytest.mark.parametrize("k, n", [(0, 10), (3, 10), (8, 10), (10, 10), (1, 1), (47, 200)])
def test_wilson_interval_matches_its_closed_form(k, n):
    # the same interval written the other way: (2k + z^2 -+ z sqrt(z^2 + 4k(n-k)/n)) / 2(n + z^2)
    root = Z95 * math.sqrt(Z95**2 + 4 * k * (n - k) / n)
    lo = (2 * k + Z95**2 - root) / (2 * (n + Z95**2))
    hi = (2 * k + Z95**2 + root) / (2 * (n + Z95**2))
    got = wilson_interval(k, n)
    assert got[0] == pytest.approx(max(lo, 0.0), abs=1e-12)
    assert got[1] == pytest.approx(min(hi, 1.0), abs=1e-12)


def test_wilson_interval_known_values_and_bad_input():
    assert wilson_interval(0, 10)[1] == pytest.approx(Z95**2 / (10 + Z95**2))  # k = 0: z²/(n+z²)
    assert wilson_interval(0, 10)[0] == 0.0
    with pytest.raises(ValueError, match="k <= n"):
        wilson_interval(11, 10)


def test_bootstrap_ci_has_the_normal_width_on_a_large_sample():
    x = np.random.default_rng(1).normal(0.3, 2.0, size=400)
    lo, hi = bootstrap_ci(x, resamples=4000)
    se = x.std(ddof=1) / math.sqrt(len(x))
    assert lo < x.mean() < hi
    assert hi - lo == pytest.approx(2 * Z95 * se, rel=0.1)
    assert bootstrap_ci(x, seed=5) == bootstrap_ci(x, seed=5)  # seeded
    assert bootstrap_ci([2.0, 2.0]) == (2.0, 2.0)


def test_sign_flip_p_value_exact_against_every_sign_pattern():
    d = np.array([0.5, -0.1, 0.3, 0.9, 0.2, -0.4, 0.7])
    hits = [abs(np.dot(s, d)) >= abs(d.sum()) - 1e-12
            for s in itertools.product((1, -1), repeat=len(d))]  # fmt: skip
    assert sign_flip_p_value(d) == pytest.approx(sum(hits) / len(hits))


def test_sign_flip_p_value_sampled_for_many_pairs():
    assert sign_flip_p_value(np.ones(30)) < 1e-3  # only 2 of 2^30 patterns reach it
    noise = np.random.default_rng(0).normal(size=30)
    assert sign_flip_p_value(noise) > 0.05
    assert sign_flip_p_value(noise, seed=3) == sign_flip_p_value(noise, seed=3)


# ---- the language-model probe ----

REST = ["is a doctor", "was a doctor", "is the doctor", "saw a doctor", "is a good doctor",
        "was the doctor", "is my doctor", "met a doctor", "is our doctor",
        "was my doctor"]  # fmt: skip
PROBE = [("doctor", f"he {r}") for r in REST]


def ngram_score(lm):
    def score(prefix, rest):
        lp = lm.logprobs([prefix + rest])
        return float(lp[len(prefix) :].sum()) / (len(rest) + 1)

    return score


def test_the_probe_finds_a_model_that_puts_he_before_doctor():
    lines = [f"he {r}" for r in REST] * 5 + ["she went home", "she is here", "she sat down"] * 5
    lm = NgramModel(4, "kneser-ney").fit(lines)
    r = lm_counterfactual_probe(ngram_score(lm), PROBE)
    assert r["scored"] == len(REST) and r["skipped"] == 0
    assert r["mean_difference"] > 0 and r["ci"][0] > 0  # "he" is likelier before "is a doctor"
    assert r["p_value"] == pytest.approx(2 / 2 ** len(REST))  # every difference positive

    # a difference: the continuation's log-likelihood per character after "he" minus after
    # "she", each character's probability asked of the model one by one
    def per_char(word, rest):
        text = word + " " + rest
        lps = [lm.logprob(c, text[:i]) for i, c in enumerate(text) if i >= len(word)]
        return (sum(lps) + lm.logprob("</s>", text)) / (len(rest) + 2)

    want = np.mean([per_char("he", x) - per_char("she", x) for x in REST])
    assert r["mean_difference"] == pytest.approx(want, rel=1e-9)
    assert "excludes 0" in r["reading"]


def test_a_model_of_balanced_text_shows_no_preference():
    lines = [f"{w} {r}" for r in REST for w in ("he", "she")] * 3 + ["they went home"] * 3
    lm = NgramModel(4, "kneser-ney").fit(lines)
    r = lm_counterfactual_probe(ngram_score(lm), PROBE)
    lo, hi = r["ci"]
    assert lo <= 0 <= hi and abs(r["mean_difference"]) < 1e-3
    assert "includes 0" in r["reading"]
    # the whole sentence, per character, still differs: "she" is a letter longer
    assert r["sentence"]["ci"][1] < 0


def test_a_scorer_without_a_preference_gives_an_interval_around_zero():
    rng = np.random.default_rng(0)
    noise = {}

    def score(prefix, rest):  # random, but the same for a sentence and its twin on average
        return noise.setdefault(prefix + rest, float(rng.normal()))

    r = lm_counterfactual_probe(score, template_sentences())
    assert r["ci"][0] <= 0 <= r["ci"][1] and r["p_value"] > 0.05


def test_sentences_the_model_cannot_read_are_skipped_and_counted():
    lm = NgramModel(3).fit(["he is a doctor", "she is a nurse"] * 5)  # no capitals
    known = set(lm.vocab.stoi)

    def score(prefix, rest):
        if any(c not in known for c in prefix + rest):
            return None
        return ngram_score(lm)(prefix, rest)

    sentences = [("doctor", "he is a doctor"), ("doctor", "He is a doctor."), ("x", "his cat!")]
    r = lm_counterfactual_probe(score, sentences)
    assert (r["pairs"], r["scored"], r["skipped"]) == (3, 1, 2)
    assert r["ci"] is None and "Not measured" in r["reading"]


def test_a_sentence_without_a_swappable_word_is_an_error():
    with pytest.raises(ValueError, match="no word to swap"):
        lm_counterfactual_probe(lambda p, r: 0.0, [("x", "they are here")])


# ---- the classifier flip rate ----


def test_flip_rate_against_a_hand_made_classifier():
    def predict(texts):  # reacts to "she" only, not to kings or queens
        return ["neg" if re.search(r"\bshe\b", t, re.I) else "pos" for t in texts]

    sentences = ["He is late.", "She is early.", "the king smiled", "they left",
                 "He and his dog", "a queen", "nobody here", "she sang"]  # fmt: skip
    r = counterfactual_flip_rate(predict, sentences)
    # swappable: 6 (all but "they left", "nobody here"); flips: the 4 with he/she
    assert (r["sentences"], r["swappable"], r["flips"]) == (8, 6, 4)
    assert r["rate"] == pytest.approx(4 / 6)
    assert r["ci"] == pytest.approx(list(wilson_interval(4, 6)))
    assert {e["original"] for e in r["examples"]} == {"He is late.", "She is early.",
                                                       "He and his dog", "she sang"}  # fmt: skip
    assert all(e["label"] != e["swapped_label"] for e in r["examples"])


def test_flip_rate_with_nothing_to_swap_and_a_bad_predict():
    r = counterfactual_flip_rate(lambda t: ["a"] * len(t), ["they left", "it rained"])
    assert r["swappable"] == 0 and r["rate"] is None and r["ci"] is None
    with pytest.raises(ValueError, match="returned 1 labels"):
        counterfactual_flip_rate(lambda t: ["a"], ["he left"])
