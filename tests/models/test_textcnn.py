"""Kim's CNN (minilm.models.textcnn) and its recipe (minilm.recipes.textcnn)."""

import pytest

import minilm
from minilm.backend import np
from minilm.models.textcnn import TextCNN, TextCNNConfig

WIDTHS = (2, 3, 5)


def small_model(dtype="float64"):
    minilm.manual_seed(0)
    model = TextCNN(TextCNNConfig(vocab_size=30, embed_dim=6, widths=WIDTHS, num_filters=4))
    with minilm.no_grad():
        for p in model.parameters():
            p.data = p.data.astype(dtype)
    return model.eval()


SENTENCES = [[1, 7, 8, 9, 10, 11, 12, 13], [1, 5], [1, 20, 21, 22], [1], [1, 3, 4, 5, 6]]


def padded(seqs, T):
    out = np.zeros((len(seqs), T), dtype=np.int64)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = s
    return out


def test_padding_a_batch_changes_no_sentence_logits():
    """Alone (no padding at all), in a batch padded to the longest, and in a batch
    padded much further: the same logits. Two sentences are shorter than every
    width but the smallest, one shorter than all of them."""
    model = small_model()
    alone = np.concatenate([model(np.array([s])).numpy() for s in SENTENCES])
    for T in (8, 12, 40):
        np.testing.assert_allclose(model(padded(SENTENCES, T)).numpy(), alone, rtol=1e-12,
                                   atol=1e-12)  # fmt: skip
    short = SENTENCES[1:4]  # a batch of 4 steps, shorter than the widest filter
    np.testing.assert_allclose(model(padded(short, 4)).numpy(), alone[1:4], rtol=1e-12, atol=1e-12)


def np_features(model, sentence):
    """What Kim's paper computes for one sentence, with loops: each width k slides
    over the sentence (padded with zero vectors to k words when shorter), ReLU, max."""
    E = model.embed.weight.numpy()[sentence]  # (n, d)
    out = []
    for k, conv in zip(WIDTHS, model.convs):
        X = np.concatenate([E, np.zeros((max(k - len(sentence), 0), E.shape[1]))])
        W, b = conv.weight.numpy(), conv.bias.numpy()  # (F, d, k), (F,)
        c = [[(W[f] * X[t : t + k].T).sum() + b[f] for t in range(len(X) - k + 1)]
             for f in range(len(b))]  # fmt: skip
        out.append(np.maximum(np.array(c), 0).max(axis=1))
    return np.concatenate(out)


def test_features_are_kims_max_over_time():
    model = small_model()
    got = model.features(padded(SENTENCES, 10)).numpy()
    want = np.stack([np_features(model, s) for s in SENTENCES])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    logits = model(padded(SENTENCES, 10)).numpy()
    W, b = model.head.weight.numpy(), model.head.bias.numpy()
    np.testing.assert_allclose(logits, want @ W + b, rtol=1e-12, atol=1e-12)


def test_padding_gets_no_gradient_and_the_rest_does():
    model = small_model().train()
    ids = padded(SENTENCES, 12)
    minilm.functional.cross_entropy(model(ids), minilm.tensor([0, 1, 1, 0, 1])).backward()
    g = model.embed.weight.grad.numpy()
    assert not g[0].any()  # the [PAD] row
    assert np.abs(g[7]).sum() > 0 and all(np.abs(c.weight.grad.numpy()).sum() > 0
                                          for c in model.convs)  # fmt: skip


def test_dropout_only_in_training():
    model = small_model()
    ids = padded(SENTENCES, 9)
    np.testing.assert_array_equal(model(ids).numpy(), model(ids).numpy())
    model.train()
    assert not np.allclose(model(ids).numpy(), model(ids).numpy())


def test_float32_and_shapes():
    model = TextCNN(TextCNNConfig(vocab_size=30, num_classes=3, embed_dim=8, num_filters=5))
    y = model(minilm.tensor(padded(SENTENCES, 9)))
    assert y.shape == (5, 3) and y.dtype == np.float32
    assert model.features(padded(SENTENCES, 9)).shape == (5, 15)
    w = model.embed.weight.numpy()  # Kim's U[-0.25, 0.25], not N(0, 1)
    assert np.abs(w).max() <= 0.25 and np.abs(w).max() > 0.2


def test_bad_configs_and_inputs_are_named():
    with pytest.raises(ValueError, match=r"widths must be ints >= 1, got \(3, 0\)"):
        TextCNNConfig(vocab_size=10, widths=(3, 0))
    with pytest.raises(ValueError, match="widths must be ints >= 1"):
        TextCNNConfig(vocab_size=10, widths=())
    with pytest.raises(ValueError, match=r"need token ids \(B, T\), got shape \(4,\)"):
        small_model()(np.array([1, 2, 3, 4]))


def test_recipe_trains_and_scores_on_the_task():
    """A few steps on the real splits: the rows are complete and consistent."""
    from minilm.recipes.finetune import CompareConfig, TextTask
    from minilm.recipes.textcnn import TextCNNRecipe, compare, format_table

    task = TextTask.load()
    r = TextCNNRecipe(steps=4, embed_dim=8, num_filters=4, eval_every=2)
    rows = compare(r, task, progress=False, baselines=CompareConfig(bow_steps=4, eval_every=2))
    assert [row["model"] for row in rows] == ["TextCNN (3,4,5 x 4)", "bag of words + logreg"]
    for row in rows:
        cm = np.array(row["confusion"])
        assert cm.sum() == len(task.sentiment["test"]) == 300
        assert row["accuracy"] == pytest.approx(np.trace(cm) / 300)
        assert 0 <= row["val_accuracy"] <= 1
    V = task.tokenizer.vocab_size
    assert rows[0]["parameters"] == V * 8 + sum(4 * 8 * k + 4 for k in (3, 4, 5)) + 12 * 2 + 2
    assert "TextCNN (3,4,5 x 4)" in format_table(rows)
