"""Beam search for the encoder-decoder transformer: width 1 is greedy decoding, a
beam that holds every sequence is exhaustive search, every score is the model's
own log-probability recomputed from scratch (no cache), and the KV cache gives
the same logits as rereading the prefix."""

import itertools

import pytest

import minilm
from minilm.backend import np
from minilm.generate import log_softmax
from minilm.models import Transformer, TransformerConfig

PAD, BOS, EOS = 0, 1, 2


def _model(seed=0, tgt_vocab_size=6, layers=1, max_len=8):
    minilm.manual_seed(seed)
    cfg = TransformerConfig(src_vocab_size=7, tgt_vocab_size=tgt_vocab_size, d_model=8,
                            num_heads=2, num_encoder_layers=layers, num_decoder_layers=layers,
                            dropout=0.0, max_len=max_len)  # fmt: skip
    return Transformer(cfg).eval()


def _sources(seed, rows=2):
    """Random source rows of different lengths, right-padded."""
    gen = np.random.default_rng(seed)
    src = gen.integers(3, 7, size=(rows, 5))
    for r in range(rows):
        src[r, gen.integers(2, 6) :] = PAD
    return src


def logprob_from_scratch(model, src_row, seq):
    """log p(seq | src) from one full forward over BOS + seq (no KV cache), with
    PAD and BOS excluded from the next-token softmax as decoding excludes them."""
    src = minilm.tensor(np.asarray(src_row)[None])
    logits = model(src, minilm.tensor([[BOS] + list(seq[:-1])])).numpy()[0]
    logits = logits.astype(np.float64)  # (T, V)
    logits[:, [PAD, BOS]] = -np.inf
    lp = log_softmax(logits)
    return float(sum(lp[t, tok] for t, tok in enumerate(seq)))


def with_eos(tokens, max_len):
    """greedy_decode drops the EOS; put it back unless the output ran out of room."""
    return list(tokens) + ([EOS] if len(tokens) < max_len - 1 else [])


@pytest.mark.parametrize("seed", range(4))
def test_beam_of_one_is_greedy_token_for_token(seed):
    model = _model(seed, layers=2)
    src = _sources(seed, rows=3)
    greedy = model.greedy_decode(minilm.tensor(src), max_len=8)
    beams = model.beam_search(minilm.tensor(src), beam_size=1, max_len=8)
    assert [len(h) for h in beams] == [1, 1, 1]  # a beam of one finishes one hypothesis
    assert [h[0].tokens for h in beams] == [with_eos(g, 8) for g in greedy]
    assert [model.beam_decode(row[row != PAD].tolist(), 1, 8) for row in src] == greedy


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_a_beam_holding_every_sequence_is_exhaustive_search(seed, alpha):
    V, L = 5, 3  # tokens 2 (EOS), 3, 4 can be emitted; at most 3 of them
    model = _model(seed, tgt_vocab_size=V)
    src = _sources(seed, rows=1)[0]
    emit = [EOS, 3, 4]
    candidates = {}
    for n in range(1, L + 1):  # every sequence ends in EOS or has length L
        for seq in itertools.product(emit, repeat=n):
            if EOS in seq[:-1] or (n < L and seq[-1] != EOS):
                continue
            candidates[seq] = logprob_from_scratch(model, src, seq)
    assert len(candidates) == 1 + 2 + 4 * 3
    best = max(candidates, key=lambda s: candidates[s] / len(s) ** alpha)
    for early_stopping in (False, True):
        (found,) = model.beam_search(minilm.tensor(src[None]), beam_size=len(emit) ** L,
                                     max_len=L + 1, length_penalty=alpha,
                                     early_stopping=early_stopping)  # fmt: skip
        assert tuple(found[0].tokens) == best
        assert found[0].logprob == pytest.approx(candidates[best], abs=1e-5)
        for h in found:
            assert h.logprob == pytest.approx(candidates[tuple(h.tokens)], abs=1e-5)
        if not early_stopping:  # it went on to the end: every sequence finished
            assert {tuple(h.tokens) for h in found} == set(candidates)


@pytest.mark.parametrize("alpha", [0.0, 0.7])
def test_every_hypothesis_scores_its_log_prob_recomputed_from_scratch(alpha):
    model = _model(1, tgt_vocab_size=9, layers=2)
    src = _sources(1, rows=2)
    beams = model.beam_search(minilm.tensor(src), beam_size=4, max_len=7, length_penalty=alpha)
    for row, hyps in zip(src, beams):
        assert len(hyps) >= 4
        assert [h.score for h in hyps] == sorted((h.score for h in hyps), reverse=True)
        for h in hyps:
            assert 1 <= len(h.tokens) <= 6
            assert EOS not in h.tokens[:-1] and PAD not in h.tokens and BOS not in h.tokens
            assert len(h.tokens) == 6 or h.tokens[-1] == EOS
            assert h.logprob == pytest.approx(logprob_from_scratch(model, row, h.tokens),
                                              abs=1e-5)  # fmt: skip
            assert h.score == pytest.approx(h.logprob / len(h.tokens) ** alpha, rel=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_beam_never_scores_below_greedy(seed):
    """Not a theorem for beam search (greedy's prefix can drop out of a beam of
    better prefixes whose continuations all turn out worse), but it should hold
    on small random models; a beam that lost to greedy here would be a bug."""
    model = _model(seed, tgt_vocab_size=8, layers=2)
    src = _sources(seed, rows=2)
    greedy = model.greedy_decode(minilm.tensor(src), max_len=7)
    for k in (2, 3, 5):
        beams = model.beam_search(minilm.tensor(src), beam_size=k, max_len=7, length_penalty=0.0)
        for row, g, hyps in zip(src, greedy, beams):
            assert hyps[0].logprob >= logprob_from_scratch(model, row, with_eos(g, 7)) - 1e-5


@pytest.mark.parametrize("seed", [1, 5, 8])
@pytest.mark.parametrize("alpha", [0.0, 1.0, 2.0, -0.5])
def test_early_stopping_keeps_the_best_and_returns_a_subset(seed, alpha):
    model = _model(seed, tgt_vocab_size=7)
    src = minilm.tensor(_sources(seed, rows=3))
    for k in (2, 4):
        kw = dict(beam_size=k, max_len=8, length_penalty=alpha)
        full = model.beam_search(src, early_stopping=False, **kw)
        early = model.beam_search(src, **kw)
        for f, e in zip(full, early):
            assert e[0].tokens == f[0].tokens
            assert e[0].score == pytest.approx(f[0].score, abs=1e-6)
            assert {tuple(h.tokens) for h in e} <= {tuple(h.tokens) for h in f}
        if alpha == 0.0:  # a tight bound (log-probs only fall): the search ends before max_len
            assert sum(map(len, early)) < sum(map(len, full))


def test_cached_decoding_matches_rereading_the_prefix():
    model = _model(2, tgt_vocab_size=9, layers=2)
    src = minilm.tensor(_sources(2, rows=2))
    tgt = np.array([[BOS, 5, 3, 8, 4], [BOS, 2, 7, 7, 6]])
    with minilm.no_grad():
        memory, mask = model.encode(src)
        full = model.decode(minilm.tensor(tgt), memory, mask).numpy()
        caches = model.new_caches()
        steps = [model.decode(minilm.tensor(tgt[:, t : t + 1]), memory, mask, caches).numpy()
                 for t in range(tgt.shape[1])]  # fmt: skip
    assert caches[0].length == tgt.shape[1]
    np.testing.assert_allclose(np.concatenate(steps, axis=1), full, rtol=1e-5, atol=1e-5)


def test_beam_search_leaves_training_mode_and_rejects_bad_arguments():
    model = _model().train()
    src = minilm.tensor(_sources(0, rows=1))
    model.beam_search(src, beam_size=2, max_len=4)
    assert model.training
    for bad in (0, -3, 1.5):
        with pytest.raises(ValueError, match=f"beam_size must be a whole number >= 1, got {bad}"):
            model.beam_search(src, beam_size=bad)
    with pytest.raises(ValueError, match="beam_size must be"):
        model.beam_decode([3, 4], beam_size=0)
    with pytest.raises(ValueError, match="max_len must be >= 2"):
        model.beam_search(src, beam_size=2, max_len=1)
