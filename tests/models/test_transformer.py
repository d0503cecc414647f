"""The encoder-decoder transformer: blocks are pre-norm residuals, the decoder
is causal, source padding is irrelevant, it matches PyTorch's attention maths,
and it learns to copy."""

import pytest

import minilm
import minilm.functional as F
import minilm.optim as optim
from minilm.backend import np
from minilm.models import Transformer, TransformerConfig
from minilm.models.transformer import FeedForward, TransformerBlock


def _model(**kw):
    minilm.manual_seed(0)
    cfg = dict(src_vocab_size=13, tgt_vocab_size=12, d_model=16, num_heads=2,
               num_encoder_layers=2, num_decoder_layers=2, dropout=0.0, max_len=16)  # fmt: skip
    return Transformer(TransformerConfig(**{**cfg, **kw})).eval()


def test_block_is_two_pre_norm_residual_lines():
    block = TransformerBlock(8, 2).eval()
    x = minilm.randn(2, 5, 8)
    h = x + block.attn(block.ln_1(x), causal=True)
    want = h + block.ff(block.ln_2(h))
    np.testing.assert_allclose(block(x, causal=True).numpy(), want.numpy(), rtol=1e-6)


def test_feed_forward_acts_on_each_position_alone():
    ff = FeedForward(6, 24)
    x = minilm.randn(3, 4, 6)
    np.testing.assert_allclose(ff(x).numpy()[:, 2], ff(x[:, 2]).numpy(), rtol=1e-5, atol=1e-6)


def test_decoder_is_causal_and_source_padding_is_irrelevant():
    model = _model()
    src = minilm.tensor([[3, 4, 5, 6, 0, 0], [7, 8, 9, 10, 11, 4]])
    tgt = np.array([[1, 4, 5, 6, 7], [1, 8, 9, 3, 3]])
    a = model(src, minilm.tensor(tgt)).numpy()
    tgt2 = tgt.copy()
    tgt2[:, 3:] = 10
    b = model(src, minilm.tensor(tgt2)).numpy()
    np.testing.assert_array_equal(a[:, :3], b[:, :3])
    assert not np.allclose(a[:, 3], b[:, 3])
    src2 = src.numpy().copy()
    src2[0, 4:] = [9, 12]  # garbage under the padding mask of row 0
    mask = minilm.tensor(src.numpy() != 0)
    c = model(minilm.tensor(src2), minilm.tensor(tgt), src_mask=mask).numpy()
    np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-6)


def test_weights_are_tied_unless_asked_not_to():
    tied, untied = _model(), _model(tie_weights=False)
    assert untied.num_parameters() - tied.num_parameters() == 16 * 12
    assert tied.head is None


def test_learns_to_copy_and_greedy_decodes_it():
    """Copying needs attention to the right source position: a real test of
    cross-attention and positions together."""
    model = _model(d_model=32, num_heads=4, num_encoder_layers=1,
                   num_decoder_layers=1).train()  # fmt: skip
    gen = np.random.default_rng(0)
    opt = optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(200):
        seq = gen.integers(3, 12, size=(32, 4))
        src = minilm.tensor(seq)
        tgt = np.concatenate([np.ones((32, 1), int), seq, np.full((32, 1), 2)], axis=1)
        loss = F.cross_entropy(model(src, minilm.tensor(tgt[:, :-1])), minilm.tensor(tgt[:, 1:]))
        loss.backward()
        opt.step()
        opt.zero_grad()
    seq = gen.integers(3, 12, size=(20, 4))
    out = model.greedy_decode(minilm.tensor(seq), max_len=6)
    exact = np.mean([o == s for o, s in zip(out, seq.tolist())])
    assert exact >= 0.9, (exact, loss.item())


def test_bad_positional_kind_is_named():
    with pytest.raises(ValueError, match="sinusoidal"):
        _model(positional="rotary")


def test_greedy_decoding_never_emits_padding_or_bos():
    """<pad> (0) and <bos> (1) are never targets: greedy decoding skips them even
    when the model ranks them first, instead of writing padding into the output."""
    model = _model()
    decode = model.decode
    prefer = np.zeros(12, dtype=np.float32)
    prefer[[0, 1, 5]] = [50.0, 40.0, 30.0]  # preference: pad > bos > 5 > the rest
    model.decode = lambda *args: decode(*args) + minilm.tensor(prefer)
    assert model.greedy_decode(minilm.tensor([[3, 4, 5], [6, 7, 0]]), max_len=4) == [[5] * 3] * 2
