"""Ensembles (minilm.ensemble): a mixture of one distribution is that distribution,
mixture weights are normalized, log-linear output is normalized, a mixture is never
worse than its members' weighted mean (Jensen), every member is scored on the same
positions as its own evaluation, EM weights help, voting and bootstraps are exact."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minilm
from minilm.data.lm_corpus import CharCorpus
from minilm.ensemble import (
    average_probabilities,
    bagging,
    bootstrap_indices,
    evaluate_ensemble,
    fit_char_ngram,
    fit_weights,
    log_linear_logprobs,
    mixture_logprobs,
    nats,
    stream_logprobs,
    vote,
)
from minilm.models.gpt import GPT, GPTConfig
from minilm.models.rnn_lm import RNNLM, RNNLMConfig
from minilm.recipes.gpt import evaluate_gpt
from minilm.recipes.rnn_lm import evaluate_rnn_lm
from minilm.text import CharTokenizer


def log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


@st.composite
def members(draw, max_members=4):
    """M members' log-probs (N, V), random targets and random positive weights."""
    M, N, V = draw(st.integers(1, max_members)), draw(st.integers(1, 6)), draw(st.integers(2, 7))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    lps = [log_softmax(rng.standard_normal((N, V)) * draw(st.sampled_from([0.5, 3.0, 20.0])))
           for _ in range(M)]  # fmt: skip
    return lps, rng.integers(0, V, N), rng.random(M) + 0.01


def logsumexp(z):
    m = z.max(axis=-1, keepdims=True)
    return (np.log(np.exp(z - m).sum(axis=-1, keepdims=True)) + m)[..., 0]


@settings(max_examples=30, deadline=None)
@given(members(max_members=1), st.integers(1, 5))
def test_a_mixture_of_one_distribution_is_that_distribution(m, copies):
    (lp,), _, _ = m
    w = np.random.default_rng(copies).random(copies) + 0.1
    np.testing.assert_allclose(mixture_logprobs([lp] * copies, w), lp, atol=1e-12)
    np.testing.assert_allclose(log_linear_logprobs([lp] * copies, w / w.sum()), lp, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(members())
def test_the_mixture_is_the_weighted_average_of_probabilities(m):
    lps, _, w = m
    want = np.log(sum(wi / w.sum() * np.exp(lp) for wi, lp in zip(w, lps)))
    got = mixture_logprobs(lps, w)
    np.testing.assert_allclose(got, want, atol=1e-9)
    np.testing.assert_allclose(mixture_logprobs(lps, 5 * w), got, atol=1e-12)  # normalized
    np.testing.assert_allclose(logsumexp(got), 0.0, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(members(), st.floats(0.1, 3.0))
def test_log_linear_is_normalized_and_is_the_weighted_sum_up_to_a_constant(m, scale):
    lps, _, w = m
    w = w * scale  # any sum: they are exponents
    out = log_linear_logprobs(lps, w)
    np.testing.assert_allclose(logsumexp(out), 0.0, atol=1e-12)
    diff = out - sum(wi * lp for wi, lp in zip(w, lps))  # the same shift for every v
    np.testing.assert_allclose(diff - diff[:, :1], 0.0, atol=1e-9)


@settings(max_examples=50, deadline=None)
@given(members())
def test_the_mixture_is_no_worse_than_its_members_weighted_mean_jensen(m):
    lps, y, w = m
    w = w / w.sum()
    mixed = nats(mixture_logprobs(lps, w), y)
    assert mixed <= sum(wi * nats(lp, y) for wi, lp in zip(w, lps)) + 1e-12
    assert mixed <= max(nats(lp, y) for lp in lps) + 1e-12


def test_extreme_log_probs_stay_finite_and_zero_weights_drop_a_member():
    a = np.array([[-1e4, 0.0]])
    b = np.array([[0.0, -np.inf]])
    mixed = mixture_logprobs([a, b])
    assert np.isfinite(mixed).all()
    np.testing.assert_allclose(mixed, np.log(0.5) + np.array([[0.0, 0.0]]), atol=1e-12)
    np.testing.assert_allclose(mixture_logprobs([a, b], [1, 0]), a, atol=1e-12)
    np.testing.assert_allclose(log_linear_logprobs([a, b], [1, 0]), a, atol=1e-12)  # no 0 * inf


def test_bad_weights_and_shapes_say_what_is_wrong():
    a = np.log(np.full((2, 3), 1 / 3))
    with pytest.raises(ValueError, match="2 weights"):
        mixture_logprobs([a, a], [1.0])
    with pytest.raises(ValueError, match=">= 0"):
        mixture_logprobs([a, a], [1.5, -0.5])
    with pytest.raises(ValueError, match="sum to 0"):
        mixture_logprobs([a, a], [0, 0])
    with pytest.raises(ValueError, match="one shape"):
        log_linear_logprobs([a, a[:, :2]])
    with pytest.raises(ValueError, match="at least one"):
        mixture_logprobs([])


def test_em_weights_find_the_member_that_is_right():
    rng = np.random.default_rng(0)
    truth = log_softmax(rng.standard_normal((400, 5)) * 2)
    y = np.array([rng.choice(5, p=np.exp(row)) for row in truth])
    noise = log_softmax(rng.standard_normal((400, 5)) * 2)
    lps = [noise, truth]
    w = fit_weights(lps, y, "mixture")
    assert w.sum() == pytest.approx(1.0) and w[1] > 0.8
    assert nats(mixture_logprobs(lps, w), y) <= nats(mixture_logprobs(lps), y)
    g = fit_weights(lps, y, "log-linear", grid_step=0.25)
    assert nats(log_linear_logprobs(lps, g), y) <= nats(log_linear_logprobs(lps), y)


# ---- scoring real models on one set of positions ----


def toy_stream(n=1400) -> CharCorpus:
    tok = CharTokenizer.from_text("abcd\n")
    rng = np.random.default_rng(0)
    ids = np.array(tok.encode("".join(rng.choice(list("abcd"), n))))
    return CharCorpus("toy", tok, {s: [ids] for s in ("train", "val", "test")}, True, 0)


def tiny_gpt(block):
    minilm.manual_seed(0)
    return GPT(GPTConfig(vocab_size=5, block_size=block, n_layer=1, n_head=2, n_embd=8))


def tiny_lstm():
    minilm.manual_seed(1)
    return RNNLM(RNNLMConfig(vocab_size=5, cell="lstm", embed_dim=4, hidden_size=8))


def test_each_member_alone_scores_as_its_own_evaluation():
    corpus = toy_stream(1000)  # 999 targets: a GPT of context 16 covers 992, the RNN 960
    for model, evaluate in ((tiny_gpt(16), evaluate_gpt), (tiny_lstm(), evaluate_rnn_lm)):
        got = evaluate_ensemble([model], corpus, "val")
        assert got == pytest.approx(evaluate(model, corpus, "val"), rel=1e-6)


def test_members_are_scored_on_the_same_positions():
    corpus = toy_stream(1000)
    gpt, lstm = tiny_gpt(64), tiny_lstm()  # both cover 960 targets: exactly their evaluations
    targets, (g, r) = stream_logprobs([gpt, lstm], corpus, "val")
    ids = corpus.split("val")[0]
    assert (targets == ids[1 : len(targets) + 1]).all() and g.shape == r.shape == (960, 5)
    assert nats(g, targets) == pytest.approx(evaluate_gpt(gpt, corpus, "val"), rel=1e-6)
    assert nats(r, targets) == pytest.approx(evaluate_rnn_lm(lstm, corpus, "val"), rel=1e-6)
    short, _ = stream_logprobs([tiny_gpt(16), lstm], corpus, "val")  # 992 vs 960: the fewer
    assert len(short) == 960
    mixed = evaluate_ensemble([gpt, lstm], corpus, "val", weights=[0.5, 0.5])
    assert mixed <= 0.5 * (nats(g, targets) + nats(r, targets)) + 1e-9
    assert evaluate_ensemble([gpt, gpt], corpus, "val") == pytest.approx(nats(g, targets))


def test_a_char_ngram_member_gives_its_probabilities_renormalized_over_the_characters():
    corpus = toy_stream(600)
    lm = fit_char_ngram(corpus, order=3)
    targets, (lp,) = stream_logprobs([lm], corpus, "val")
    text = corpus.decode(corpus.split("val")[0])
    chars = [corpus.decode([i]) for i in range(corpus.vocab_size)]
    for i in (0, 1, 2, 57, len(targets) - 1):  # target i is character i + 1
        context = ("\n\n" + text)[i + 1 : i + 3]  # the previous 2 characters, padded with "\n"
        p = np.array([lm.prob(c, list(context)) for c in chars])
        np.testing.assert_allclose(np.exp(lp[i]), p / p.sum(), rtol=1e-9)
    assert corpus.decode(targets[:5].tolist()) == text[1:6]


# ---- bagging and voting ----


def test_vote_on_small_cases_and_ties_go_to_the_smallest_label():
    assert vote(np.array([[1, 0, 2], [1, 2, 2], [0, 2, 1]])).tolist() == [1, 2, 2]
    assert vote(np.array([[0, 1], [1, 0]])).tolist() == [0, 0]  # 1-1 ties
    assert vote(np.array([[2, 3], [3, 2], [1, 1]])).tolist() == [1, 1]  # three-way ties
    assert vote(np.array([[4, 4, 4]])).tolist() == [4, 4, 4]
    with pytest.raises(ValueError, match="integer"):
        vote(np.array([[0.5, 1.0]]))


def test_average_probabilities_is_the_mean():
    a, b = np.array([[0.9, 0.1], [0.2, 0.8]]), np.array([[0.3, 0.7], [0.4, 0.6]])
    np.testing.assert_allclose(average_probabilities([a, b]), [[0.6, 0.4], [0.3, 0.7]])


def test_bootstrap_indices_are_deterministic_for_a_seed():
    a, b, c = (
        bootstrap_indices(50, 7, seed=3),
        bootstrap_indices(50, 7, seed=3),
        bootstrap_indices(50, 7, 4),
    )
    assert a.shape == (7, 50) and (a == b).all() and (a != c).any()
    assert a.min() >= 0 and a.max() < 50
    left_out = np.mean([1000 - len(np.unique(row)) for row in bootstrap_indices(1000, 20)]) / 1000
    assert abs(left_out - np.exp(-1)) < 0.03  # about 1/e of the rows are left out of each


def test_bagging_trains_one_model_per_resample():
    X, y = np.arange(20).reshape(10, 2), np.arange(10)
    seen = bagging(lambda Xb, yb: (Xb.copy(), yb.copy()), X, y, 4, seed=1)
    idx = bootstrap_indices(10, 4, seed=1)
    assert len(seen) == 4
    for (Xb, yb), rows in zip(seen, idx):
        assert (yb == rows).all() and (Xb == X[rows]).all()
    Xt, yt = minilm.tensor(X.astype(np.float32)), minilm.tensor(y)  # Tensors index the same way
    first = bagging(lambda Xb, yb: yb.numpy(), Xt, yt, 2, seed=1)[0]
    assert (first == idx[0]).all()
