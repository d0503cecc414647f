"""The RNN encoder-decoder: attention is over real source tokens only, padding
and teacher forcing behave, beam 1 is greedy, and it learns to reverse and to
autoencode."""

import pytest

import minilm
import minilm.functional as F
import minilm.optim as optim
from minilm.backend import np
from minilm.models.seq2seq import Seq2Seq, Seq2SeqConfig, SequenceAutoencoder


def _model(**kw):
    minilm.manual_seed(0)
    cfg = dict(src_vocab_size=12, tgt_vocab_size=12, embed_dim=16, hidden_size=32, dropout=0.0)
    return Seq2Seq(Seq2SeqConfig(**{**cfg, **kw})).eval()


def _reverse_batch(gen, B=32, n=4):
    seq = gen.integers(3, 12, size=(B, n))
    tgt = np.concatenate([np.ones((B, 1), int), seq[:, ::-1], np.full((B, 1), 2)], axis=1)
    return seq, tgt


@pytest.mark.parametrize("attention", ["additive", "dot", "general"])
def test_source_padding_is_irrelevant(attention):
    model = _model(attention=attention)
    src = np.array([[3, 4, 5, 0, 0], [6, 7, 8, 9, 10]])
    tgt = minilm.tensor([[1, 4, 5], [1, 8, 9]])
    a = model(minilm.tensor(src), tgt).numpy()
    noisy = src.copy()
    noisy[0, 3:] = [9, 11]
    b = model(minilm.tensor(noisy), tgt, src_mask=minilm.tensor(src != 0)).numpy()
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    hyps, attn = model.greedy_decode(minilm.tensor(src), max_len=4, return_attention=True)
    w = attn[0]
    np.testing.assert_allclose(w.sum(-1), 1.0, rtol=1e-5)
    assert (w[:, 3:] == 0).all()


def test_decoder_output_at_t_depends_only_on_earlier_targets():
    model = _model()
    src = minilm.tensor([[3, 4, 5]])
    a = model(src, minilm.tensor([[1, 4, 5, 6]])).numpy()
    b = model(src, minilm.tensor([[1, 4, 9, 9]])).numpy()
    np.testing.assert_array_equal(a[:, :2], b[:, :2])
    assert not np.allclose(a[:, 2], b[:, 2])


def test_unknown_attention_is_named():
    with pytest.raises(ValueError, match="additive"):
        _model(attention="cosine")


def test_learns_to_reverse_and_beam_one_is_greedy():
    model = _model(hidden_size=64).train()
    gen = np.random.default_rng(0)
    opt = optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(100):
        seq, tgt = _reverse_batch(gen)
        logits = model(minilm.tensor(seq), minilm.tensor(tgt[:, :-1]))
        loss = F.cross_entropy(logits, minilm.tensor(tgt[:, 1:]))
        loss.backward()
        opt.step()
        opt.zero_grad()
    seq, _ = _reverse_batch(gen, B=20)
    out = model.greedy_decode(minilm.tensor(seq), max_len=6)
    exact = np.mean([o == s[::-1].tolist() for o, s in zip(out, seq)])
    assert exact >= 0.8, (exact, loss.item())
    for s, o in zip(seq[:3], out[:3]):
        assert model.beam_decode(s.tolist(), beam_size=1, max_len=6) == o
    assert model.beam_decode(seq[0].tolist(), beam_size=4, max_len=6) == seq[0][::-1].tolist()


def test_sequence_autoencoder_reconstructs_through_its_bottleneck():
    minilm.manual_seed(0)
    ae = SequenceAutoencoder(vocab_size=8, embed_dim=16, hidden_size=64)
    opt = optim.Adam(ae.parameters(), lr=1e-2)
    gen = np.random.default_rng(0)

    def batch(B):
        ids = np.concatenate([gen.integers(3, 8, size=(B, 4)), np.full((B, 1), 2)], axis=1)
        return minilm.tensor(ids)

    for _ in range(150):
        ids = batch(32)
        loss = F.cross_entropy(ae(ids), ids)
        loss.backward()
        opt.step()
        opt.zero_grad()
    ids = batch(20)
    out = ae.reconstruct(ids)
    exact = np.mean([o == r[:-1] for o, r in zip(out, ids.numpy().tolist())])
    assert exact >= 0.8, (exact, loss.item())
    assert ae.seq2seq.attention is None  # the code vector is the only path


def test_decoding_never_emits_padding_or_bos():
    """An undertrained model may rank <pad> (0) or <bos> (1) first; neither is
    ever a target, so greedy and beam decoding skip them and take the next best."""
    model = _model()
    bias = model.out.bias.data
    bias[0], bias[1], bias[5] = 50.0, 40.0, 30.0  # preference: pad > bos > 5 > the rest
    src = minilm.tensor([[3, 4, 5], [6, 7, 0]])
    assert model.greedy_decode(src, max_len=3) == [[5, 5, 5], [5, 5, 5]]
    assert model.beam_decode([3, 4, 5], beam_size=2, max_len=3) == [5, 5, 5]


def test_an_eos_that_shares_the_padding_id_can_still_end_a_sentence():
    from types import SimpleNamespace

    from minilm.models.seq2seq import emittable

    logits = np.zeros((2, 5))
    logits[:, 0] = 9.0
    out = emittable(logits, SimpleNamespace(pad_id=0, bos_id=1, eos_id=0))
    assert out.argmax(-1).tolist() == [0, 0] and out[0, 1] == -np.inf
