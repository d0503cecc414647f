"""BERT: the masking rule's frequencies, special tokens never touched,
bidirectional attention, padding irrelevant, and MLM pretraining learns."""

import pytest

import minilm
import minilm.optim as optim
from minilm.backend import np
from minilm.models.bert import BERT, IGNORE, BERTClassifier, BERTConfig, mask_tokens

CFG = BERTConfig(vocab_size=30, max_len=16, n_layer=2, n_head=2, d_model=16, dropout=0.0)


def test_masking_rule_frequencies():
    gen = np.random.default_rng(0)
    ids = gen.integers(4, 30, size=(400, 100))
    ids[:, -10:] = 0  # padding
    ids[:, 0] = 1  # [CLS]
    inputs, targets = mask_tokens(ids, vocab_size=30, mask_id=3, num_special=4, rng=1)
    real = ids >= 4
    picked = targets != IGNORE
    assert not picked[~real].any()  # specials and padding are never picked
    assert (inputs[~real] == ids[~real]).all()
    np.testing.assert_array_equal(targets[picked], ids[picked])
    assert abs(picked.sum() / real.sum() - 0.15) < 0.005
    n = picked.sum()
    masked = (inputs == 3) & picked
    changed = (inputs != ids) & (inputs != 3) & picked
    assert abs(masked.sum() / n - 0.8) < 0.01
    # a random replacement equals the original 1/26 of the time, so 10% * 25/26 change
    assert abs(changed.sum() / n - 0.1 * 25 / 26) < 0.01
    kept = (inputs == ids) & picked
    assert abs(kept.sum() / n - (0.1 + 0.1 / 26)) < 0.01
    assert inputs[changed].min() >= 4 and inputs[changed].max() < 30
    assert (inputs[~picked] == ids[~picked]).all()  # nothing else is touched


def test_masking_is_reproducible_from_a_seed_and_checks_its_arguments():
    ids = np.arange(4, 24).reshape(2, 10)
    a = mask_tokens(ids, 30, 3, 4, rng=7)
    b = mask_tokens(ids, 30, 3, 4, rng=7)
    assert all((x == y).all() for x, y in zip(a, b))
    with pytest.raises(ValueError, match="mask_prob"):
        mask_tokens(ids, 30, 3, 4, mask_prob=1.5)


def test_encoder_is_bidirectional_and_ignores_padding():
    minilm.manual_seed(0)
    bert = BERT(CFG).eval()
    ids = np.array([[1, 5, 6, 7, 8, 2, 0, 0]])
    h = bert(minilm.tensor(ids)).numpy()
    later = ids.copy()
    later[0, 4] = 9
    h2 = bert(minilm.tensor(later)).numpy()
    assert not np.allclose(h[0, 1], h2[0, 1])  # position 1 sees position 4: no causal mask
    pad = ids.copy()
    pad[0, 6:] = [12, 13]  # garbage where the mask says padding
    mask = minilm.tensor(ids != 0)
    h3 = bert(minilm.tensor(pad), mask).numpy()
    np.testing.assert_allclose(h[0, :6], h3[0, :6], rtol=1e-5, atol=1e-6)


def test_mean_pooling_ignores_padding():
    minilm.manual_seed(0)
    clf = BERTClassifier(BERT(CFG), num_classes=3).eval()
    a = clf(minilm.tensor([[1, 5, 6, 2]])).numpy()
    b = clf(minilm.tensor([[1, 5, 6, 2, 0, 0, 0]])).numpy()
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="pooling"):
        BERTClassifier(BERT(CFG), 2, pooling="max")


def test_mlm_pretraining_learns_a_deterministic_pattern():
    """Sequences count up by one from a random start (14 choices): a masked token
    is its neighbour plus one. A model that ignored the context could at best
    know the position, a loss of ln 14 = 2.64; going well below that means the
    encoder reads the unmasked neighbours."""
    minilm.manual_seed(0)
    bert = BERT(BERTConfig(vocab_size=30, max_len=12, n_layer=1, n_head=2, d_model=32,
                           dropout=0.0))  # fmt: skip
    opt = optim.AdamW(bert.parameters(), lr=3e-3)
    gen = np.random.default_rng(0)
    losses = []
    for _ in range(150):
        start = gen.integers(4, 18, size=(32, 1))
        ids = minilm.tensor(start + np.arange(12))
        loss = bert.mlm_loss(ids, rng=gen)
        loss.backward()
        opt.step()
        opt.zero_grad()
        losses.append(loss.item())
    assert np.mean(losses[:10]) > 3.0 and np.mean(losses[-10:]) < 1.6
