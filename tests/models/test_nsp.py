"""Next-sentence prediction: the 50/50 pair rule (checked against an enumeration),
packing and segment ids by hand, where the NSP gradient goes, a tiny NSP task
learned, the pair documents of the recipe, and old MLM-only encoders still loading."""

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minilm
import minilm.optim as optim
import minilm.recipes.finetune as ft
from minilm.backend import np
from minilm.data import pad_batch
from minilm.models.bert import BERT, BERTConfig, next_sentence_pairs, pack_pair

CFG = dict(vocab_size=30, max_len=16, n_layer=1, n_head=2, d_model=16, dropout=0.0)


@pytest.fixture(scope="module")
def task():
    return ft.TextTask.load()


# --- the pair rule ------------------------------------------------------------


def test_pairs_are_half_true_and_the_true_ones_are_consecutive():
    lengths = [5, 1, 0, 3, 7]  # a one-sentence and an empty document give no first sentence
    docs = [[(d, i) for i in range(m)] for d, m in enumerate(lengths)]
    flat = [s for doc in docs for s in doc]
    n = 40_000
    first, second, is_next = next_sentence_pairs(docs, n, rng=0)
    assert abs(is_next.mean() - 0.5) < 0.01  # 4 standard errors (0.0025)
    for f, s, y in zip(first[:2000], second[:2000], is_next[:2000]):
        (d, i), (d2, j) = flat[f], flat[s]
        assert i + 1 < lengths[d]  # never the last sentence of its document
        if y:
            assert (d2, j) == (d, i + 1)  # really the next sentence
        else:
            assert (d2, j) not in ((d, i), (d, i + 1))  # neither A nor its successor

    # the expected frequencies, by enumeration: A uniform over the sentences with a
    # successor; a random B uniform over the other len(flat) - 2 sentences
    firsts = [k for k, (d, i) in enumerate(flat) if i + 1 < lengths[d]]
    want_first = np.zeros(len(flat))
    want_random = np.zeros(len(flat))
    for a in firsts:
        want_first[a] += 1 / len(firsts)
        for b in range(len(flat)):
            if b not in (a, a + 1):
                want_random[b] += 1 / len(firsts) / (len(flat) - 2)
    got_first = np.bincount(first, minlength=len(flat)) / n
    neg = is_next == 0
    got_random = np.bincount(second[neg], minlength=len(flat)) / neg.sum()
    np.testing.assert_allclose(got_first, want_first, atol=0.01)
    np.testing.assert_allclose(got_random, want_random, atol=0.01)


def test_pairs_are_reproducible_from_a_seed_and_check_their_documents():
    docs = [list("abcd"), list("efg")]
    a = next_sentence_pairs(docs, 50, rng=3)
    b = next_sentence_pairs(docs, 50, rng=np.random.default_rng(3))
    assert all((x == y).all() for x, y in zip(a, b))
    with pytest.raises(ValueError, match="two sentences or more"):
        next_sentence_pairs([["a"], ["b"], ["c"]], 4)
    with pytest.raises(ValueError, match="three sentences in all"):
        next_sentence_pairs([["a", "b"]], 4)  # no sentence to be a random B


# --- packing and segment ids ------------------------------------------------------


def test_pack_pair_by_hand():
    assert pack_pair([5, 6, 7], [8, 9], max_len=10) == (
        [1, 5, 6, 7, 2, 8, 9, 2],
        [0, 0, 0, 0, 0, 1, 1, 1],
    )
    # 6 + 2 + 3 = 11 > 8: the longer, a, loses its last three tokens
    assert pack_pair([4, 5, 6, 7, 8, 9], [10, 11], max_len=8) == (
        [1, 4, 5, 6, 2, 10, 11, 2],
        [0, 0, 0, 0, 0, 1, 1, 1],
    )
    with pytest.raises(ValueError, match="max_len"):
        pack_pair([5], [6], max_len=4)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(4, 29), max_size=20),
    st.lists(st.integers(4, 29), max_size=20),
    st.integers(5, 30),
)
def test_segment_ids_mark_a_and_b_exactly(a, b, max_len):
    ids, seg = pack_pair(a, b, max_len)
    assert len(ids) == len(seg) <= max_len
    sep = [k for k, t in enumerate(ids) if t == 2]
    assert ids[0] == 1 and len(sep) == 2 and sep[1] == len(ids) - 1
    kept_a, kept_b = ids[1 : sep[0]], ids[sep[0] + 1 : sep[1]]
    assert kept_a == a[: len(kept_a)] and kept_b == b[: len(kept_b)]  # prefixes
    assert seg == [0] * (sep[0] + 1) + [1] * (len(ids) - sep[0] - 1)
    if len(a) + len(b) + 3 <= max_len:
        assert (kept_a, kept_b) == (a, b)
    else:  # cut to fit, and the shorter one only when the two were level
        assert len(ids) == max_len and abs(len(kept_a) - len(kept_b)) <= 1


def test_recipe_batches_pair_true_next_sentences_with_exact_segments(task):
    docs = ft._document_ids(task, "train")
    flat = [s for doc in docs for s in doc]
    gen = np.random.default_rng(0)
    ids, seg, is_next, same_doc = ft._pair_batch(docs, 400, gen, 40, "cpu")
    first, second, y = next_sentence_pairs(docs, 400, np.random.default_rng(0))
    np.testing.assert_array_equal(is_next.numpy(), y)
    assert same_doc[y == 1].all()
    ids, seg = ids.numpy(), seg.numpy()
    for row, s_row, f, s in zip(ids, seg, first, second):
        real = row[row != 0]
        sep = np.flatnonzero(real == 2)
        a, b = real[1 : sep[0]].tolist(), real[sep[0] + 1 : sep[1]].tolist()
        assert a == flat[f][: len(a)] and b == flat[s][: len(b)]
        assert (s_row[: sep[0] + 1] == 0).all() and (s_row[sep[0] + 1 : len(real)] == 1).all()
        assert (s_row[len(real) :] == 0).all()  # padding


# --- the model ----------------------------------------------------------------


def test_options_add_parameters_and_leave_the_shared_init_alone():
    states = {}
    for extra in ({}, {"n_segments": 2}, {"n_segments": 2, "nsp": True}):
        minilm.manual_seed(5)
        states[len(extra)] = BERT(BERTConfig(**CFG, **extra)).state_dict()
    base = states[0]
    assert not any(k.startswith(("seg.", "nsp_")) for k in base)
    assert set(states[1]) - set(base) == {"seg.weight"}
    assert set(states[2]) - set(base) == {"seg.weight", "nsp_pool.weight", "nsp_pool.bias",
                                          "nsp_head.weight", "nsp_head.bias"}  # fmt: skip
    for other in (states[1], states[2]):
        for k, v in base.items():
            np.testing.assert_array_equal(v.numpy(), other[k].numpy(), err_msg=k)
    np.testing.assert_array_equal(states[1]["seg.weight"].numpy(), states[2]["seg.weight"].numpy())


def test_segment_ids_change_the_states_and_default_to_segment_zero():
    minilm.manual_seed(0)
    bert = BERT(BERTConfig(**CFG, n_segments=2)).eval()
    ids = minilm.tensor([[1, 5, 6, 2, 7, 8, 2]])
    zeros = minilm.tensor(np.zeros((1, 7), dtype=np.int64))
    pair = minilm.tensor([[0, 0, 0, 0, 1, 1, 1]])
    np.testing.assert_array_equal(bert(ids).numpy(), bert(ids, segment_ids=zeros).numpy())
    assert not np.allclose(bert(ids).numpy(), bert(ids, segment_ids=pair).numpy())
    plain = BERT(BERTConfig(**CFG))
    with pytest.raises(ValueError, match="n_segments=2"):
        plain(ids, segment_ids=pair)
    with pytest.raises(ValueError, match="nsp=True"):
        plain.nsp_logits(plain(ids))


def test_the_nsp_head_is_a_tanh_pooler_then_a_linear_layer_on_cls():
    minilm.manual_seed(0)
    bert = BERT(BERTConfig(**CFG, n_segments=2, nsp=True))
    h = minilm.randn(3, 5, 16)
    Wp, bp = bert.nsp_pool.weight.numpy(), bert.nsp_pool.bias.numpy()
    Wo, bo = bert.nsp_head.weight.numpy(), bert.nsp_head.bias.numpy()
    pooled = np.tanh(h.numpy()[:, 0] @ Wp + bp)  # minilm's Linear weight is (in, out): x @ W + b
    np.testing.assert_allclose(bert.nsp_logits(h).numpy(), pooled @ Wo + bo, rtol=1e-5,
                               atol=1e-6)  # fmt: skip


def _pair_inputs():
    ids = minilm.tensor([[1, 5, 6, 2, 7, 8, 2], [1, 9, 2, 10, 11, 12, 2]])
    seg = minilm.tensor([[0, 0, 0, 0, 1, 1, 1], [0, 0, 0, 1, 1, 1, 1]])
    return ids, seg, minilm.tensor([1, 0])


def test_the_nsp_gradient_reaches_the_cls_path_and_the_encoder():
    minilm.manual_seed(0)
    bert = BERT(BERTConfig(**CFG, n_segments=2, nsp=True))
    ids, seg, is_next = _pair_inputs()
    _, nsp = bert.mlm_nsp_loss(ids, seg, is_next, rng=0)
    nsp.backward()
    named = dict(bert.named_parameters())
    for name in ("nsp_head.weight", "nsp_pool.weight", "seg.weight", "tok.weight"):
        assert named[name].grad is not None and np.abs(named[name].grad.numpy()).max() > 0, name
    for name in ("mlm_bias", "mlm_dense.weight"):  # the MLM head plays no part in NSP
        g = named[name].grad
        assert g is None or not np.abs(g.numpy()).any(), name
    before = named["nsp_pool.weight"].numpy().copy()
    optim.AdamW(bert.parameters(), lr=1e-2).step()
    assert not np.array_equal(before, named["nsp_pool.weight"].numpy())


def test_mlm_nsp_loss_is_the_mlm_loss_plus_the_nsp_cross_entropy():
    minilm.manual_seed(0)
    bert = BERT(BERTConfig(**CFG, n_segments=2, nsp=True))
    ids, seg, is_next = _pair_inputs()
    mlm, nsp = bert.mlm_nsp_loss(ids, seg, is_next, rng=4, mask_prob=0.5)
    assert mlm.item() == pytest.approx(
        bert.mlm_loss(ids, rng=4, mask_prob=0.5, segment_ids=seg).item(), rel=1e-6
    )
    # the NSP cross-entropy by hand, on the same masked input (the draws of rng=4)
    from minilm.models.bert import mask_tokens

    inputs, _ = mask_tokens(ids, 30, 3, 4, rng=4, mask_prob=0.5)
    z = bert.nsp_logits(bert(minilm.tensor(inputs), segment_ids=seg)).numpy().astype(np.float64)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    assert nsp.item() == pytest.approx(-np.mean(logp[[0, 1], [1, 0]]), rel=1e-5)


def test_mlm_only_pair_pretraining_leaves_the_nsp_head_untouched(task):
    c = ft.CompareConfig(d_model=16, n_layer=1, n_head=2, nsp=True)
    bert = ft._fresh_bert(task, c)
    before = {k: v.numpy().copy() for k, v in bert.state_dict().items()}
    ft.pretrain_mlm(bert, task, 3, batch_size=8, pairs=True, progress=False)
    after = bert.state_dict()
    for k, v in before.items():
        changed = not np.array_equal(v, after[k].numpy())
        assert changed != k.startswith("nsp_"), k  # the head alone stays as it was
    ft.pretrain_mlm(bert, task, 3, batch_size=8, nsp=True, progress=False)
    assert not np.array_equal(before["nsp_head.weight"], bert.nsp_head.weight.numpy())


def test_pretraining_asks_for_the_parts_it_needs(task):
    plain = ft._fresh_bert(task, ft.CompareConfig(d_model=16, n_layer=1, n_head=2))
    with pytest.raises(ValueError, match="n_segments=2"):
        ft.pretrain_mlm(plain, task, 1, pairs=True, progress=False)
    segs = ft._fresh_bert(task, ft.CompareConfig(d_model=16, n_layer=1, n_head=2,
                                                 pretrain_pairs=True))  # fmt: skip
    with pytest.raises(ValueError, match="nsp=True"):
        ft.pretrain_mlm(segs, task, 1, nsp=True, progress=False)


def test_a_tiny_nsp_training_learns_a_separable_rule():
    """Pairs of random token runs where "B follows A" exactly when B's tokens are
    from the upper half of the vocabulary: chance is 1/2, and the [CLS] state must
    carry what the encoder read in B for the head to do better."""
    minilm.manual_seed(0)
    bert = BERT(BERTConfig(**CFG, n_segments=2, nsp=True))
    opt = optim.AdamW(bert.parameters(), lr=3e-3)
    gen = np.random.default_rng(0)

    def batch(n):
        y = (gen.random(n) < 0.5).astype(np.int64)
        pairs = []
        for label in y:
            a = gen.integers(4, 30, gen.integers(1, 5)).tolist()
            b = gen.integers(*((17, 30) if label else (4, 17)), gen.integers(1, 5)).tolist()
            pairs.append(pack_pair(a, b, max_len=11))
        ids, _ = pad_batch([p[0] for p in pairs])
        segments, _ = pad_batch([p[1] for p in pairs])
        return ids, segments, minilm.tensor(y)

    for _ in range(100):
        ids, seg, y = batch(32)
        _, nsp = bert.mlm_nsp_loss(ids, seg, y, rng=gen)
        nsp.backward()  # the NSP loss only
        opt.step()
        opt.zero_grad()
    ids, seg, y = batch(1000)
    bert.eval()
    with minilm.no_grad():
        pred = bert.nsp_logits(bert(ids, segment_ids=seg)).numpy().argmax(-1)
    assert (pred == y.numpy()).mean() > 0.8


# --- the recipe's documents and held-out pairs ------------------------------------


def test_pretraining_documents_keep_file_order_and_the_split(task):
    from minilm.data import load_sentiment, load_split
    from minilm.data.corpora import SENTIMENT_SOURCES

    per_split = {s: ft.pretraining_documents(s) for s in ("train", "val", "test")}
    for split, docs in per_split.items():
        rows = [s for s, _ in load_split("sentiment", split)]
        assert Counter(s for doc in docs for s in doc) == Counter(rows)
        # one document per source, as many sentences as the split has from that file
        # (within one: a sentence in two files is given to the first by the documents
        # and to the last by TextTask's labels)
        sizes = task.multilabel[split][:, 1:].sum(axis=0)
        assert np.abs(np.array([len(doc) for doc in docs]) - sizes).max() <= 1
    for k, src in enumerate(SENTIMENT_SOURCES):
        lines = [s for s, _ in load_sentiment(src)]
        for docs in per_split.values():  # each document is a subsequence of its file
            it = iter(lines)
            assert all(s in it for s in docs[k])
    assert {s for doc in per_split["train"] for s in doc} <= set(ft.pretraining_text())


def test_evaluate_pairs_reports_consistent_parts(task):
    c = ft.CompareConfig(d_model=16, n_layer=1, n_head=2, nsp=True)
    bert = ft._fresh_bert(task, c)
    out = ft.evaluate_pairs(bert, task, "val", n=300, seed=1)
    _, _, y, same = ft._pair_batch(ft._document_ids(task, "val"), 300,
                                   np.random.default_rng(1), 40, "cpu")  # fmt: skip
    y = y.numpy()
    weights = [(y == 1).sum(), ((y == 0) & same).sum(), ((y == 0) & ~same).sum()]
    parts = [out[f"nsp_accuracy_{k}"] for k in ("next", "random_same", "random_other")]
    assert out["nsp_accuracy"] == pytest.approx(np.dot(weights, parts) / 300)
    assert 0 < out["mlm_loss"] < 2 * np.log(task.tokenizer.vocab_size)  # untrained: about ln V
    assert "nsp_accuracy" not in ft.evaluate_pairs(
        ft._fresh_bert(task, ft.CompareConfig(d_model=16, n_layer=1, n_head=2,
                                              pretrain_pairs=True)), task, n=50)  # fmt: skip


# --- checkpoints ----------------------------------------------------------------


def test_an_mlm_only_checkpoint_still_loads(task):
    bert, info = ft.load_encoder()  # written before segments and NSP existed
    assert bert.seg is None and not bert.config.nsp
    assert not any(k.startswith(("seg.", "nsp_")) for k in bert.state_dict())
    feats = ft.pooled_features(bert, task.ids["test"][:4])
    assert np.isfinite(feats).all()


def test_an_nsp_encoder_is_written_and_read_back(task, tmp_path):
    from minilm.commands.finetune import main

    path = tmp_path / "nsp.safetensors"
    assert main(["--small", "--nsp", "--pretrain-steps", "2", "--no-progress",
                 "--save-encoder", str(path)]) == 0  # fmt: skip
    bert, info = ft.load_encoder(path, task)
    assert bert.config.nsp is True and bert.config.n_segments == 2
    assert 0.0 <= info["pairs"]["nsp_accuracy"] <= 1.0
    logits = bert.nsp_logits(bert(minilm.tensor([[1, 5, 2, 6, 2]])))
    assert logits.shape == (1, 2)
