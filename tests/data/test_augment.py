"""Random deletion and random swap (minilm.data.augment): properties, and the
probabilities they draw with checked by counting."""

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minilm.data.augment import augment, augment_dataset, random_deletion, random_swap

TOKENS = st.lists(st.sampled_from(["a", "b", "c", "good", "bad", "."]), max_size=30)
SEEDS = st.integers(0, 2**32 - 1)
PROBS = st.floats(0.0, 1.0)


def is_subsequence(small, big) -> bool:
    it = iter(big)
    return all(any(x == y for y in it) for x in small)


def test_is_subsequence_helper():
    assert is_subsequence(["a", "c"], ["a", "b", "c"])
    assert not is_subsequence(["c", "a"], ["a", "b", "c"])
    assert not is_subsequence(["a", "a"], ["a", "b"])


@settings(max_examples=200, deadline=None)
@given(TOKENS, PROBS, SEEDS)
def test_deletion_keeps_a_nonempty_subsequence(tokens, p, seed):
    out = random_deletion(tokens, p, np.random.default_rng(seed))
    assert is_subsequence(out, tokens)
    assert (len(out) >= 1) == (len(tokens) >= 1)


@settings(max_examples=200, deadline=None)
@given(TOKENS, st.integers(0, 10), SEEDS)
def test_swap_keeps_the_multiset_and_the_length(tokens, n, seed):
    out = random_swap(tokens, n, np.random.default_rng(seed))
    assert Counter(out) == Counter(tokens)


@settings(max_examples=100, deadline=None)
@given(TOKENS, PROBS, st.integers(0, 5), SEEDS)
def test_the_same_seed_gives_the_same_edit(tokens, p, n, seed):
    a = augment(tokens, np.random.default_rng(seed), p, n)
    b = augment(tokens, np.random.default_rng(seed), p, n)
    assert a == b
    assert augment(tokens, seed, p, n) == a  # an int seed is the generator of that seed


@given(TOKENS, SEEDS)
def test_zero_edits_are_the_identity_and_return_a_copy(tokens, seed):
    gen = np.random.default_rng(seed)
    out = random_deletion(tokens, 0.0, gen)
    assert out == tokens and out is not tokens
    assert random_swap(tokens, 0, gen) == tokens
    assert random_swap(tuple(tokens), 0, gen) == tokens  # any sequence in, a list out


def test_p_one_keeps_exactly_one_token_chosen_uniformly():
    tokens = list("abcd")
    gen = np.random.default_rng(0)
    kept = Counter(tuple(random_deletion(tokens, 1.0, gen)) for _ in range(4000))
    assert set(kept) == {("a",), ("b",), ("c",), ("d",)}
    for count in kept.values():  # 1000 each; binomial sd = sqrt(4000 * 1/4 * 3/4) = 27
        assert abs(count - 1000) < 5 * 27


def test_deletion_drops_each_token_with_probability_p():
    gen = np.random.default_rng(1)
    tokens, p, trials = list(range(10)), 0.3, 3000
    kept = Counter(t for _ in range(trials) for t in random_deletion(tokens, p, gen))
    # each token is kept with probability 1 - p = 0.7 (the keep-one rescue happens with
    # probability 0.3**10, about 6e-6: negligible); sd of a count = sqrt(3000 * .7 * .3) = 25
    for t in tokens:
        assert abs(kept[t] - 0.7 * trials) < 5 * 25


def test_a_swap_exchanges_two_distinct_positions_uniformly():
    gen = np.random.default_rng(2)
    tokens = list("abc")
    seen = Counter(tuple(random_swap(tokens, 1, gen)) for _ in range(3000))
    # one swap of 3 tokens: the 3 transpositions, never the identity, 1000 each
    assert set(seen) == {("b", "a", "c"), ("c", "b", "a"), ("a", "c", "b")}
    for count in seen.values():  # sd = sqrt(3000 * 1/3 * 2/3) = 26
        assert abs(count - 1000) < 5 * 26


def test_short_inputs():
    gen = np.random.default_rng(0)
    assert random_deletion([], 0.5, gen) == []
    assert random_deletion(["only"], 1.0, gen) == ["only"]
    assert random_swap([], 3, gen) == []
    assert random_swap(["x"], 3, gen) == ["x"]
    assert random_swap([7, 8], 1, gen) == [8, 7]  # token ids work too
    assert random_swap([7, 8], 2, gen) == [7, 8]


def test_bad_arguments_are_refused():
    gen = np.random.default_rng(0)
    for p in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="p is a probability in"):
            random_deletion(["a"], p, gen)
    for n in (-1, 1.5, True):
        with pytest.raises(ValueError, match="n is the number of swaps"):
            random_swap(["a", "b"], n, gen)
    for rng in (None, 0.5, np.random.RandomState(0)):
        with pytest.raises(TypeError, match="rng must be a numpy.random.Generator or an int"):
            random_deletion(["a"], 0.5, rng)
    with pytest.raises(ValueError, match="2 sequences but 1 labels"):
        augment_dataset([["a"], ["b"]], [1], 1, gen)
    with pytest.raises(ValueError, match="copies is an int >= 0"):
        augment_dataset([["a"]], [1], -1, gen)


def test_augment_dataset_layout():
    seqs = [["a", "b", "c"], ["d", "e"], ["f"]]
    labels = [1, 0, 1]
    out, ys = augment_dataset(seqs, labels, 2, np.random.default_rng(0), p_delete=0.5, n_swap=1)
    assert len(out) == len(ys) == 9
    assert out[:3] == seqs and out[:3] is not seqs
    assert ys == labels * 3
    for i, s in enumerate(out[3:]):
        orig = seqs[i % 3]
        assert set(s) <= set(orig) and 1 <= len(s) <= len(orig)
    assert augment_dataset(seqs, labels, 0, 0) == (seqs, labels)


def test_the_measurement_recipe_on_a_toy_task():
    # minilm.recipes.augment_sentiment: the classifier it trains per fold learns a task
    # that one word decides, with and without augmentation, and bigram counts see order
    from minilm.recipes.augment_sentiment import AugmentConfig, fit_and_score, ngram_features

    gen = np.random.default_rng(0)
    filler = ["the", "film", "was", "a", "plot", "and"]
    docs, y = [], []
    for i in range(80):
        words = list(gen.choice(filler, size=4)) + ["great" if i % 2 else "awful"]
        docs.append(words)
        y.append(i % 2)
    y = np.array(y)
    c = AugmentConfig(steps=80, batch_size=16, lr=0.1, min_count=1)
    assert fit_and_score(docs[:60], y[:60], docs[60:], y[60:], c, 0.0, 0, 0) == 1.0
    assert fit_and_score(docs[:60], y[:60], docs[60:], y[60:], c, 0.2, 1, 0) == 1.0
    vocab = {("a",): 0, ("b",): 1, ("a", "b"): 2, ("b", "a"): 3}
    assert ngram_features([["a", "b"], ["b", "a"]], vocab).tolist() == [[1, 1, 1, 0], [1, 1, 0, 1]]
