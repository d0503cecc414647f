"""The MLP and recurrent character LMs: causal, state carried exactly, padding
that leaks nothing, generation that matches the forward pass, and training that
learns (a pattern to near-zero loss, names below the unigram)."""

import math

import pytest

import minilm
import minilm.functional as F
from minilm.backend import np
from minilm.data.lm_corpus import CharCorpus, padded_batch
from minilm.generate import generate
from minilm.models.mlp_lm import MLPLM, MLPLMConfig
from minilm.models.rnn_lm import RNNLM, RNNLMConfig, detach_state
from minilm.recipes.mlp_lm import MLPTrainConfig, evaluate_mlp_lm, train_mlp_lm
from minilm.recipes.rnn_lm import RNNTrainConfig, evaluate_rnn_lm, train_rnn_lm
from minilm.text import CharTokenizer

CELLS = ["rnn", "lstm", "gru"]


def toy_corpus(stream: bool) -> CharCorpus:
    """A deterministic language: 'abcd' repeated (a stream), or names 'abcd' and 'dcb'."""
    tok = CharTokenizer.from_text(".abcd\n")
    if stream:
        ids = np.array(tok.encode("abcd" * 200), dtype=np.int64)
        return CharCorpus("toy", tok, {s: [ids] for s in ("train", "val", "test")}, True, 0)
    seqs = [np.array(tok.encode(f".{w}."), dtype=np.int64) for w in ["abcd", "dcb"] * 40]
    return CharCorpus("toy", tok, {s: seqs for s in ("train", "val", "test")}, False, 1)


@pytest.mark.parametrize("cell", CELLS)
def test_rnn_lm_is_causal(cell):
    minilm.manual_seed(0)
    model = RNNLM(RNNLMConfig(7, cell=cell, embed_dim=4, hidden_size=8, num_layers=2))
    a = np.array([[1, 2, 3, 4, 5, 6]])
    b = a.copy()
    b[0, 4:] = 0  # change the future
    la, _ = model(minilm.tensor(a))
    lb, _ = model(minilm.tensor(b))
    np.testing.assert_array_equal(la.numpy()[:, :4], lb.numpy()[:, :4])
    assert not np.allclose(la.numpy()[:, 4:], lb.numpy()[:, 4:])


@pytest.mark.parametrize("cell", CELLS)
def test_rnn_lm_carried_state_and_next_logits(cell):
    minilm.manual_seed(0)
    model = RNNLM(RNNLMConfig(7, cell=cell, embed_dim=4, hidden_size=8))
    ids = minilm.tensor([[1, 2, 3, 4, 5, 6]])
    full, _ = model(ids)
    first, s = model(ids[:, :2])
    second, _ = model(ids[:, 2:], detach_state(s))
    np.testing.assert_allclose(second.numpy(), full.numpy()[:, 2:], rtol=1e-5, atol=1e-6)
    # next_logits: the prompt, then one token at a time with the state carried
    logits, state = model.next_logits([1, 2, 3], None)
    np.testing.assert_allclose(logits, full.numpy()[0, 2], rtol=1e-5, atol=1e-6)
    logits, state = model.next_logits([4], state)
    np.testing.assert_allclose(logits, full.numpy()[0, 3], rtol=1e-5, atol=1e-6)


def test_detach_state_cuts_the_graph():
    minilm.manual_seed(0)
    model = RNNLM(RNNLMConfig(5, cell="lstm", embed_dim=3, hidden_size=4))
    _, state = model(minilm.tensor([[1, 2]]))
    assert all(s.requires_grad for s in state)
    assert all(s.is_leaf and not s.requires_grad for s in detach_state(state))


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_padding_leaks_nothing(cell):
    """Scoring names in padded batches gives what scoring each alone gives."""
    minilm.manual_seed(0)
    corpus = toy_corpus(stream=False)
    model = RNNLM(RNNLMConfig(corpus.vocab_size, cell=cell, embed_dim=4, hidden_size=8))
    seqs = corpus.split("test")[:6]
    total = 0.0
    for s in seqs:
        x, y = padded_batch([s])
        total += F.cross_entropy(model(x)[0], y, reduction="sum").item()
    alone = total / sum(len(s) - 1 for s in seqs)
    corpus.splits["test"] = seqs
    assert evaluate_rnn_lm(model, corpus, "test", batch_size=4) == pytest.approx(alone, rel=1e-5)


def test_mlp_lm_context_and_next_logits():
    minilm.manual_seed(0)
    model = MLPLM(MLPLMConfig(7, context=3, embed_dim=2, hidden=8, pad_id=0))
    logits = model(minilm.tensor([[0, 0, 5]])).numpy()[0]
    got, state = model.next_logits([5], None)
    np.testing.assert_allclose(got, logits, rtol=1e-6)
    got, state = model.next_logits([6, 1, 2], state)
    np.testing.assert_allclose(got, model(minilm.tensor([[6, 1, 2]])).numpy()[0], rtol=1e-6)
    assert state == (6, 1, 2)
    with pytest.raises(ValueError, match="contexts of 3 tokens"):
        model(minilm.tensor([[1, 2]]))


def test_mlp_lm_learns_a_deterministic_language():
    corpus = toy_corpus(stream=True)
    minilm.manual_seed(0)
    model = MLPLM(MLPLMConfig(corpus.vocab_size, context=2, embed_dim=4, hidden=32))
    train_mlp_lm(model, corpus, MLPTrainConfig(steps=150, batch_size=64, lr=1e-2), progress=False)
    assert evaluate_mlp_lm(model, corpus, "test") < 0.05


@pytest.mark.parametrize("cell", CELLS)
def test_rnn_lm_learns_names_and_a_stream_with_tbptt(cell):
    minilm.manual_seed(0)
    names = toy_corpus(stream=False)
    model = RNNLM(RNNLMConfig(names.vocab_size, cell=cell, embed_dim=8, hidden_size=16))
    train_rnn_lm(model, names, RNNTrainConfig(steps=120, batch_size=16, lr=2e-2), progress=False)
    # 'abcd' and 'dcb' equally often: only the first letter is uncertain (log 2 per name)
    floor = math.log(2) * 80 / names.num_predictions("test")
    assert evaluate_rnn_lm(model, names, "test") < floor + 0.05
    stream = toy_corpus(stream=True)
    model = RNNLM(RNNLMConfig(stream.vocab_size, cell=cell, embed_dim=8, hidden_size=16))
    train_rnn_lm(model, stream, RNNTrainConfig(steps=60, batch_size=4, bptt=8, lr=2e-2),
                 progress=False)  # fmt: skip
    assert evaluate_rnn_lm(model, stream, "test") < 0.05
    assert "".join(stream.decode(generate(model, [1], 8, greedy=True))) in "abcd" * 4


def test_real_names_beat_the_unigram_quickly():
    corpus = CharCorpus.load("names")
    minilm.manual_seed(0)
    model = RNNLM(RNNLMConfig(corpus.vocab_size, cell="gru", embed_dim=16, hidden_size=32))
    train_rnn_lm(model, corpus, RNNTrainConfig(steps=100, batch_size=32, lr=1e-2), progress=False)
    corpus.splits["val"] = corpus.split("val")[:500]
    assert evaluate_rnn_lm(model, corpus, "val") < 2.75  # the add-1 unigram scores 2.81
