"""The recurrent sentence classifier (minilm.models.rnn_classifier) and its recipe."""

import pytest

import minilm
from minilm.backend import np
from minilm.models.rnn_classifier import RNNClassifier, RNNClassifierConfig

SENTENCES = [[1, 7, 8, 9, 10, 11, 12, 13], [1, 5], [1, 20, 21, 22], [1], [1, 3, 4, 5, 6]]


def small_model(dtype="float64", **kw):
    minilm.manual_seed(0)
    model = RNNClassifier(RNNClassifierConfig(vocab_size=30, embed_dim=6, hidden_size=5, **kw))
    with minilm.no_grad():
        for p in model.parameters():
            p.data = p.data.astype(dtype)
    return model.eval()


def padded(seqs, T):
    out = np.zeros((len(seqs), T), dtype=np.int64)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = s
    return out


@pytest.mark.parametrize("kw", [dict(cell="gru"), dict(cell="lstm", pool="mean"),
                                dict(cell="gru", num_layers=2)])  # fmt: skip
def test_padding_a_batch_changes_no_sentence_logits(kw):
    """Alone (no padding), padded to the longest, and padded much further: the same logits."""
    model = small_model(**kw)
    alone = np.concatenate([model(np.array([s])).numpy() for s in SENTENCES])
    for T in (8, 12, 30):
        np.testing.assert_allclose(model(padded(SENTENCES, T)).numpy(), alone, rtol=1e-12,
                                   atol=1e-12)  # fmt: skip


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def np_features(model, sentence, pool):
    """The GRU of Cho et al. (PyTorch's variant) with a loop over one unpadded
    sentence, then max or mean over its steps."""
    E = model.embed.weight.numpy()[sentence]  # (n, d)
    cell = model.rnn.cells[0]
    Wi, Wh = cell.weight_ih.numpy(), cell.weight_hh.numpy()
    bi, bh = cell.bias_ih.numpy(), cell.bias_hh.numpy()
    H = Wh.shape[0]
    h, states = np.zeros(H), []
    for x in E:
        a, b = x @ Wi + bi, h @ Wh + bh
        r = sigmoid(a[:H] + b[:H])
        z = sigmoid(a[H : 2 * H] + b[H : 2 * H])
        n = np.tanh(a[2 * H :] + r * b[2 * H :])
        h = (1 - z) * n + z * h
        states.append(h)
    return np.max(states, axis=0) if pool == "max" else np.mean(states, axis=0)


@pytest.mark.parametrize("pool", ["max", "mean"])
def test_features_are_the_pooled_gru_states(pool):
    model = small_model(pool=pool)
    got = model.features(padded(SENTENCES, 10)).numpy()
    want = np.stack([np_features(model, s, pool) for s in SENTENCES])
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    W, b = model.head.weight.numpy(), model.head.bias.numpy()
    np.testing.assert_allclose(model(padded(SENTENCES, 10)).numpy(), want @ W + b, rtol=1e-10,
                               atol=1e-12)  # fmt: skip


def test_shapes_dtype_and_dropout_only_in_training():
    model = RNNClassifier(RNNClassifierConfig(vocab_size=30, num_classes=3, embed_dim=8,
                                              hidden_size=7, cell="lstm"))  # fmt: skip
    ids = padded(SENTENCES, 9)
    y = model(minilm.tensor(ids))
    assert y.shape == (5, 3) and y.dtype == np.float32
    assert model.features(ids).shape == (5, 7)
    assert not np.allclose(model(ids).numpy(), model(ids).numpy())  # training: dropout
    model.eval()
    np.testing.assert_array_equal(model(ids).numpy(), model(ids).numpy())
    w = model.embed.weight.numpy()  # U[-0.25, 0.25], as the CNN's
    assert np.abs(w).max() <= 0.25


def test_loss_falls_on_a_separable_task():
    """Class 1 iff token 3 appears somewhere (anywhere) in the sentence."""
    from minilm.recipes.finetune import classifier_loss, train_classifier

    gen = np.random.default_rng(0)
    seqs, labels = [], []
    for i in range(64):
        s = [1] + list(gen.integers(4, 12, size=gen.integers(2, 7)))
        if i % 2:
            s[gen.integers(1, len(s))] = 3
        seqs.append([int(t) for t in s])
        labels.append(i % 2)
    labels = np.array(labels)
    minilm.manual_seed(0)
    model = RNNClassifier(RNNClassifierConfig(vocab_size=12, embed_dim=8, hidden_size=8,
                                              dropout=0.0))  # fmt: skip
    before = classifier_loss(model, seqs, labels)
    train_classifier(model, seqs, labels, steps=200, batch_size=16, lr=1e-2, progress=False)
    after = classifier_loss(model, seqs, labels)
    assert before > 0.6 and after < 0.25 * before


def test_bad_configs_and_inputs_are_named():
    with pytest.raises(
        ValueError, match=r"cell must be one of \['gru', 'lstm', 'rnn'\], got 'cnn'"
    ):
        RNNClassifierConfig(vocab_size=10, cell="cnn")
    with pytest.raises(ValueError, match=r"pool must be one of \['max', 'mean'\], got 'last'"):
        RNNClassifierConfig(vocab_size=10, pool="last")
    with pytest.raises(ValueError, match="sizes must be >= 1"):
        RNNClassifierConfig(vocab_size=10, hidden_size=0)
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\), got 1.0"):
        RNNClassifierConfig(vocab_size=10, dropout=1.0)
    with pytest.raises(ValueError, match=r"need token ids \(B, T\), T >= 1, got shape \(4,\)"):
        small_model()(np.array([1, 2, 3, 4]))
    with pytest.raises(ValueError, match="a sentence is all padding"):
        small_model()(padded([[1, 2], []], 3))


def test_compare_gets_an_rnn_row():
    """A few steps on the real splits: the RNN's row comes after the CNN's."""
    from minilm.recipes.finetune import CompareConfig, TextTask
    from minilm.recipes.textcnn import RNNRecipe, TextCNNRecipe, compare, format_table

    task = TextTask.load()
    r = TextCNNRecipe(steps=2, embed_dim=4, num_filters=2, eval_every=2)
    rr = RNNRecipe(steps=2, embed_dim=4, hidden_size=3, eval_every=2)
    rows = compare(r, task, progress=False, baselines=CompareConfig(bow_steps=2, eval_every=2),
                   rnn=rr)  # fmt: skip
    names = [row["model"] for row in rows]
    assert names == ["TextCNN (3,4,5 x 2)", "RNN (GRU)", "bag of words + logreg"]
    cm = np.array(rows[1]["confusion"])
    assert cm.sum() == 300 and rows[1]["accuracy"] == pytest.approx(np.trace(cm) / 300)
    V = task.tokenizer.vocab_size  # embedding, GRU (3 gates), head
    assert rows[1]["parameters"] == V * 4 + 4 * 9 + 3 * 9 + 2 * 9 + 3 * 2 + 2
    assert "RNN (GRU)" in format_table(rows)
