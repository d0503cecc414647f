"""Generation: the filters keep what they promise, sampling follows the filtered
distribution and is reproducible, beam search is greedy at width 1 and exact
when the beam holds every sequence."""

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minilm
from minilm.backend import np
from minilm.generate import (
    beam_search,
    beam_step,
    filter_top_k,
    filter_top_p,
    generate,
    log_softmax,
    sample_token,
)
from minilm.testing import arrays, floats

logits_1d = st.integers(2, 12).flatmap(lambda V: arrays((V,), floats(-5, 5)))


def toy_model(V=4, seed=0, stop=None):
    """A language model whose next-token logits depend on the whole prefix (a fixed
    random function of it): no structure a search could exploit by accident."""

    def next_logits(tokens, state):
        prefix = (state or ()) + tuple(tokens)
        h = hash((seed,) + prefix) % (2**32)
        logits = 2.0 * np.random.default_rng(h).standard_normal(V)
        return logits, prefix

    return next_logits


# ---- top-k ----


@given(logits=logits_1d, k=st.integers(1, 12), seed=st.integers(0, 2**16))
def test_top_k_never_emits_outside_the_k_best(logits, k, seed):
    k = min(k, len(logits))
    kth = np.sort(logits)[::-1][k - 1]
    rng = np.random.default_rng(seed)
    for _ in range(20):
        t = sample_token(logits, top_k=k, rng=rng)
        assert logits[t] >= kth
    assert np.isfinite(filter_top_k(logits, k)).sum() == k


def test_top_k_keeps_values_and_handles_batches():
    x = np.array([[0.0, 2.0, 1.0], [5.0, -1.0, 4.0]])
    np.testing.assert_array_equal(filter_top_k(x, 2), [[-np.inf, 2, 1], [5, -np.inf, 4]])
    with pytest.raises(ValueError, match="top_k"):
        filter_top_k(x, 0)


# ---- top-p ----


@given(logits=logits_1d, p=st.floats(0.01, 1.0))
def test_top_p_kept_mass_reaches_p_and_is_minimal(logits, p):
    probs = np.exp(log_softmax(logits))
    kept = np.isfinite(filter_top_p(logits, p))
    mass = probs[kept].sum()
    assert mass >= p - 1e-12 or kept.all()
    # minimal: without its least likely member the kept set falls short of p
    if kept.sum() > 1:
        assert mass - probs[kept].min() < p + 1e-12
    # and it is the most likely tokens: nothing dropped beats anything kept
    if (~kept).any():
        assert probs[~kept].max() <= probs[kept].min() + 1e-15


def test_top_p_one_keeps_everything_and_tiny_p_keeps_the_mode():
    x = np.array([0.3, 2.0, -1.0, 0.5])
    assert np.isfinite(filter_top_p(x, 1.0)).all()
    assert np.isfinite(filter_top_p(x, 1e-6)).tolist() == [False, True, False, False]
    with pytest.raises(ValueError, match="top_p"):
        filter_top_p(x, 0.0)


@settings(max_examples=10)
@given(logits=logits_1d, p=st.floats(0.2, 0.95))
def test_samples_follow_the_renormalized_nucleus(logits, p):
    rng = np.random.default_rng(0)
    n = 4000
    counts = np.bincount([sample_token(logits, top_p=p, rng=rng) for _ in range(n)],
                         minlength=len(logits))  # fmt: skip
    want = np.exp(log_softmax(filter_top_p(logits, p)))
    assert np.abs(counts / n - want).max() < 0.04
    assert counts[want == 0].sum() == 0


# ---- temperature, greedy, seeds ----


def test_temperature_sharpens_and_zero_is_greedy():
    logits = np.array([1.0, 2.0, 0.5])
    rng = np.random.default_rng(0)
    cold = [sample_token(logits, temperature=0.1, rng=rng) for _ in range(200)]
    hot = [sample_token(logits, temperature=10.0, rng=rng) for _ in range(2000)]
    assert np.mean(np.array(cold) == 1) > 0.99
    assert 0.25 < np.mean(np.array(hot) == 0) < 0.42  # nearly uniform
    assert sample_token(logits, temperature=0) == 1
    with pytest.raises(ValueError, match="temperature"):
        sample_token(logits, temperature=-1)


def test_generate_is_seeded_and_respects_the_stop_token():
    model = toy_model(V=5)
    a = generate(model, [0], 30, seed=123)
    b = generate(model, [0], 30, seed=123)
    assert a == b and len(a) == 30
    minilm.manual_seed(7)
    c = generate(model, [0], 30)
    minilm.manual_seed(7)
    assert generate(model, [0], 30) == c
    stopped = generate(model, [0], 200, stop_token=3, seed=1)
    assert stopped[-1] == 3 and 3 not in stopped[:-1]


def test_greedy_follows_the_argmax_with_carried_state():
    model = toy_model(V=5)
    out = generate(model, [1, 2], 6, greedy=True)
    prefix = [1, 2]
    for t in out:
        logits, _ = model(prefix, None)  # recompute from the whole prefix each time
        assert t == int(np.argmax(logits))
        prefix.append(t)


def test_generate_errors():
    with pytest.raises(ValueError, match="prompt"):
        generate(toy_model(), [], 3)
    with pytest.raises(TypeError, match="next_logits"):
        generate(42, [0], 3)


# ---- beam search ----


def sequence_logprob(model, prompt, seq):
    total, state, new = 0.0, None, list(prompt)
    for t in seq:
        logits, state = model(new, state)
        total += log_softmax(logits)[t]
        new = [t]
    return total


@pytest.mark.parametrize("seed", range(5))
def test_beam_of_one_is_greedy(seed):
    model = toy_model(V=6, seed=seed)
    greedy = generate(model, [0], 8, greedy=True, stop_token=5)
    (best,) = beam_search(model, [0], 8, beam_size=1, stop_token=5)
    assert best.tokens == greedy


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("alpha", [0.0, 0.7, 1.0])
def test_full_beam_finds_the_exact_best_sequence(seed, alpha):
    V, L, stop = 3, 4, 2
    model = toy_model(V=V, seed=seed)
    candidates = []
    for n in range(1, L + 1):  # every sequence: ends in the stop token, or has length L
        for seq in itertools.product(range(V), repeat=n):
            if stop in seq[:-1] or (n < L and seq[-1] != stop):
                continue
            lp = sequence_logprob(model, [0], seq)
            candidates.append((lp / n**alpha, list(seq)))
    best_score, best_seq = max(candidates)
    found = beam_search(model, [0], L, beam_size=V**L, length_penalty=alpha, stop_token=stop)
    assert len(found) == len(candidates)
    assert found[0].tokens == best_seq
    assert found[0].score == pytest.approx(best_score, rel=1e-9)
    assert found[0].logprob == pytest.approx(sequence_logprob(model, [0], best_seq), rel=1e-9)


def test_beam_beats_greedy_where_greedy_is_short_sighted():
    # from the start, token 0 looks best (0.6) but every continuation of it is
    # uncertain; token 1 (0.4) is followed by a sure token: 0.4 * 1.0 > 0.6 * 0.5
    table = {(): [0.6, 0.4, 0.0], (0,): [0.5, 0.5, 0.0], (1,): [0.0, 0.0, 1.0]}

    def model(tokens, state):
        prefix = (state or ()) + tuple(tokens)
        p = np.array(table.get(prefix[1:], [1 / 3] * 3))
        return np.log(np.maximum(p, 1e-12)), prefix

    assert generate(model, [9], 2, greedy=True)[0] == 0
    best = beam_search(model, [9], 2, beam_size=2, length_penalty=0.0)[0]
    assert best.tokens == [1, 2]


def test_beam_step_picks_the_best_extensions():
    lp = np.log(np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]]))
    beams, tokens, totals = beam_step(lp, np.log([0.5, 0.4]), 3)
    assert list(zip(beams.tolist(), tokens.tolist())) == [(0, 0), (1, 2), (0, 1)]
    np.testing.assert_allclose(np.exp(totals), [0.35, 0.32, 0.10])
    assert len(beam_step(lp, [0.0, 0.0], 100)[0]) == 6
