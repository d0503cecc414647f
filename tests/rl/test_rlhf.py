"""RL fine-tuning: the KL-penalized reward by hand, sampling and teacher-forced
log-probabilities agree, the KL estimate is zero for the reference itself, the
reward model ignores padding, and a short fine-tuning run leaves the reference alone."""

import numpy
import pytest

import minilm
import minilm.functional as F
from minilm.models.rnn_lm import RNNLM, RNNLMConfig
from minilm.rl.rlhf import (
    NameScorer,
    RLHFConfig,
    decode,
    encode,
    kl_penalized_reward,
    look_alikes,
    rl_finetune,
    sample_names,
    sequence_kl,
    token_logprobs,
)


def _lm(seed=0, hidden=16):
    minilm.manual_seed(seed)
    return RNNLM(RNNLMConfig(vocab_size=27, cell="gru", embed_dim=8, hidden_size=hidden))


def test_kl_penalized_reward_by_hand():
    scores = numpy.array([2.0, -1.0])
    logp = numpy.array([[-1.0, -2.0, -0.5], [-0.1, -3.0, 0.0]])
    ref = numpy.array([[-1.5, -1.0, -0.5], [-0.2, -1.0, -9.0]])
    mask = numpy.array([[1, 1, 1], [1, 1, 0]])
    R = kl_penalized_reward(scores, logp, ref, mask, beta=0.5)
    assert R.tolist() == pytest.approx([2.0 - 0.5 * (0.5 - 1.0), -1.0 - 0.5 * (0.1 - 2.0)])
    assert kl_penalized_reward(scores, logp, ref, mask, beta=0.0).tolist() == [2.0, -1.0]


def test_encode_decode_round_trip():
    ids, mask = encode(["emma", "al", "x"], max_len=12)
    assert ids.shape == (3, 5) and mask.sum(1).tolist() == [5, 3, 2]
    assert decode(ids, mask) == ["emma", "al", "x"]


def test_sampling_agrees_with_teacher_forced_log_probabilities():
    lm = _lm()
    minilm.manual_seed(1)
    ids, mask = sample_names(lm, 64, max_len=6)
    assert ids.shape[1] <= 6
    for row, m in zip(ids, mask):
        n = int(m.sum())
        assert n == 6 or row[n - 1] == 0  # each name ends with "." or at max_len
        assert (row[: n - 1] != 0).all()
    # the sampled tokens' frequencies at step 0 follow the model's first distribution
    logp = token_logprobs(lm, ids).numpy()
    first = numpy.exp(logp[0, 0])
    assert numpy.allclose(logp[:, 0], logp[0, 0], atol=1e-5)  # same prefix "." for all
    minilm.manual_seed(2)
    big, _ = sample_names(lm, 4000, max_len=1)
    freq = numpy.bincount(big[:, 0], minlength=27) / 4000
    assert numpy.abs(freq - first).max() < 4 * numpy.sqrt(first.max() / 4000)
    # log-probabilities of a step agree with running the LM one token at a time
    logits, state = lm(minilm.tensor(numpy.zeros((1, 1), dtype=numpy.int64)))
    logits, _ = lm(minilm.tensor(ids[:1, :1]), state)
    step2 = F.log_softmax(logits[0, 0], axis=-1).numpy()
    assert numpy.allclose(step2, logp[0, 1], atol=1e-5)


def test_samples_are_reproducible():
    lm = _lm()
    minilm.manual_seed(5)
    a = sample_names(lm, 8)
    minilm.manual_seed(5)
    b = sample_names(lm, 8)
    assert numpy.array_equal(a[0], b[0])


def test_sequence_kl_is_zero_for_the_reference_and_positive_otherwise():
    lm, other = _lm(0), _lm(1)
    ids, mask = sample_names(lm, 16, max_len=6)
    with minilm.no_grad():
        a, b = token_logprobs(lm, ids), token_logprobs(other, ids)
    assert numpy.allclose(sequence_kl(a, a, mask), 0.0, atol=1e-6)
    assert (sequence_kl(a, b, mask) > 0).all()


def test_reward_model_ignores_padding():
    minilm.manual_seed(0)
    scorer = NameScorer(hidden=8)
    alone = scorer.score(["ava"])
    together = scorer.score(["ava", "christopher"])
    assert alone[0] == pytest.approx(together[0], abs=1e-5)


def test_look_alikes_are_letters_and_mostly_not_names():
    names = ["emma", "olivia", "ava", "isabella", "sophia", "mia"] * 20
    fakes = look_alikes(names, 200)
    assert len(fakes) > 150
    assert all(f and set(f) <= set("abcdefghijklmnopqrstuvwxyz") for f in fakes)
    assert numpy.mean([f in set(names) for f in fakes]) < 0.5


def test_fine_tuning_moves_a_copy_and_leaves_the_reference_alone():
    lm = _lm()
    before = [p.numpy().copy() for p in lm.parameters()]
    scorer = NameScorer(hidden=8)
    policy, hist = rl_finetune(lm, scorer, steps=3, config=RLHFConfig(batch_size=8, max_len=6),
                               progress=False, sample_every=1)  # fmt: skip
    assert all(numpy.array_equal(a, p.numpy()) for a, p in zip(before, lm.parameters()))
    assert any(not numpy.array_equal(a, p.numpy()) for a, p in zip(before, policy.parameters()))
    assert len(hist.kl) == 3 and hist.kl[0] == pytest.approx(0.0, abs=1e-6)  # starts at pi_ref
    assert len(hist.samples) == 3 and len(hist.samples[0][1]) == 8


def test_fine_tuning_raises_the_reward():
    # a reward for short names: the policy learns to end early
    lm = _lm(hidden=32)
    scorer = NameScorer(hidden=4)
    scorer.score = lambda names: -numpy.array([len(n) for n in names], dtype=float)
    _, hist = rl_finetune(lm, scorer, steps=20, config=RLHFConfig(beta=0.0, lr=2e-2,
                                                                  batch_size=24, max_len=8),
                          progress=False)  # fmt: skip
    assert numpy.mean(hist.score[-5:]) > numpy.mean(hist.score[:5]) + 1.5
