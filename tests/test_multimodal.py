"""The shapes dataset, the multimodal models, the GPT's prefix and the bench."""

import itertools
import math

import numpy as np
import pytest

import minilm
from minilm.bench import multimodal as bench
from minilm.data import shapes
from minilm.data.shapes import Obj
from minilm.models.gpt import GPT, GPTConfig
from minilm.models.multimodal import (
    DualEncoder,
    EarlyFusionQA,
    ImageConv,
    LateFusionQA,
    MultimodalConfig,
    PrefixCaptioner,
    caption_scores,
    chance_recall_at_k,
    info_nce,
    recall_at_k,
)


def all_scenes():
    """Every scene the generator can make, two-object ones in both list orders."""
    objs = list(itertools.product(shapes.COLOURS, shapes.SHAPES))
    for (c, s), p in itertools.product(objs, shapes.POSITIONS):
        yield [Obj(c, s, p)]
    for (c1, s1), (c2, s2) in itertools.product(objs, objs):
        for p1, p2 in (("top", "bottom"), ("left", "right")):
            yield [Obj(c1, s1, p1), Obj(c2, s2, p2)]
            yield [Obj(c2, s2, p2), Obj(c1, s1, p1)]


# ---- the dataset ----


def test_same_seed_same_data_and_another_seed_other_data():
    a, b, c = (shapes.make_dataset(40, seed=s) for s in (3, 3, 4))
    for field in ("images", "caption_ids", "question_ids", "answer_ids"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field
    assert (a.scenes, a.captions, a.questions, a.answers) == (b.scenes, b.captions, b.questions,
                                                              b.answers)  # fmt: skip
    assert not np.allclose(a.images, c.images)
    assert a.captions != c.captions and a.questions != c.questions
    train, val = shapes.make_split("train", 40, seed=1), shapes.make_split("val", 40, seed=1)
    assert not np.allclose(train.images, val.images)
    assert a.images.dtype == np.float32 and a.images.shape == (40, 3, 24, 24)
    assert 0.0 <= a.images.min() and a.images.max() <= 1.0


def test_caption_parse_round_trip_over_every_scene():
    seen = set()
    for scene in all_scenes():
        text = shapes.caption(scene)
        seen.add(text)
        order = {"top": 0, "left": 0, "bottom": 1, "right": 1}
        first = sorted(scene, key=lambda o: order[o.position])  # top or left first
        want = [(o.colour, o.shape, o.position) for o in first]
        assert shapes.parse_caption(text) == want, text
        ids = shapes.encode(text, shapes.CAPTION_LEN, bos=True, eos=True)
        assert shapes.decode(ids) == text
    assert len(seen) == 336  # 48 one-object scenes and 288 two-object ones, as documented
    for bad in ("", "a red circle", "a red circle on the middle", "a red circle above a blue",
                "a red circle left a blue square", "a pink circle on the left"):  # fmt: skip
        assert shapes.parse_caption(bad) == [], bad


def test_answers_follow_from_the_scene():
    d = shapes.make_dataset(300, seed=7)
    kinds = set()
    for scene, q, a in zip(d.scenes, d.questions, d.answers):
        w, kind = q.split(), shapes.question_kind(q)
        kinds.add(kind)
        if kind == "colour":
            assert [o.colour for o in scene if o.shape == w[4]] == [a]
        elif kind == "shape":
            assert [o.shape for o in scene if o.position == w[5]] == [a]
        else:
            has = any((o.colour, o.shape) == (w[3], w[4]) for o in scene)
            assert a == ("yes" if has else "no")
    assert kinds == set(shapes.QUESTION_KINDS)
    assert [shapes.ANSWERS[i] for i in d.answer_ids] == d.answers


def _near(img, rgb, tol=0.3):
    """(S, S) True where every channel is within ``tol`` of ``rgb``."""
    return (np.abs(img - np.asarray(rgb, dtype=np.float32)[:, None, None]) < tol).all(axis=0)


def test_the_image_has_the_named_colour_in_the_named_region():
    d = shapes.make_dataset(80, seed=11)
    S = d.images.shape[-1]
    half = S // 2
    every = slice(None)
    region = {"left": (every, slice(0, half)), "right": (every, slice(half, S)),
              "top": (slice(0, half), every), "bottom": (slice(half, S), every)}  # fmt: skip
    for img, scene in zip(d.images, d.scenes):
        lit = img.max(axis=0) > 0.5  # (S, S): pixels of some object
        covered = np.zeros_like(lit)
        for o in scene:
            near = _near(img, shapes.COLOURS[o.colour])
            inside = np.zeros_like(lit)
            inside[region[o.position]] = True
            assert near[inside].sum() >= 20, (o, near[inside].sum())  # an object's worth
            covered |= near & inside
        assert not (lit & ~covered).any(), scene  # nothing lit anywhere else


def test_shapes_differ_in_area_and_the_triangle_points_up():
    area = {}
    for s in shapes.SHAPES:
        img = shapes.draw([Obj("green", s, "left")], noise=0.0)
        mask = img[1] > 0.5
        area[s] = int(mask.sum())
        if s == "triangle":
            rows = np.nonzero(mask.any(axis=1))[0]
            assert mask[rows[0]].sum() < mask[rows[-1]].sum()  # narrow top, wide base
    assert area["circle"] > area["square"] > area["triangle"] > 0
    with pytest.raises(ValueError, match="two at top and bottom"):
        shapes.caption([Obj("red", "circle", "left"), Obj("red", "circle", "top")])


# ---- the contrastive loss and retrieval ----


def numpy_info_nce(u, v, scale):
    logits = scale * (u.astype(np.float64) @ v.T.astype(np.float64))  # (B, B)

    def rows_ce(z):
        m = z.max(axis=1, keepdims=True)
        log_p = z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))
        return -np.mean(np.diag(log_p))

    return (rows_ce(logits) + rows_ce(logits.T)) / 2


def test_info_nce_matches_numpy_and_is_symmetric():
    rng = np.random.default_rng(0)
    u, v = rng.normal(size=(6, 5)).astype(np.float32), rng.normal(size=(6, 5)).astype(np.float32)
    for log_scale in (0.0, 1.3):
        got = info_nce(minilm.tensor(u), minilm.tensor(v), log_scale).item()
        assert got == pytest.approx(numpy_info_nce(u, v, math.exp(log_scale)), rel=1e-5)
        swapped = info_nce(minilm.tensor(v), minilm.tensor(u), log_scale).item()
        assert swapped == pytest.approx(got, rel=1e-6)
    # a learned scale gets the gradient of the numpy loss
    t = minilm.tensor(0.5, requires_grad=True)
    info_nce(minilm.tensor(u), minilm.tensor(v), t).backward()
    eps = 1e-4
    fd = numpy_info_nce(u, v, math.exp(0.5 + eps)) - numpy_info_nce(u, v, math.exp(0.5 - eps))
    assert t.grad.item() == pytest.approx(fd / (2 * eps), rel=1e-3)


def test_info_nce_of_aligned_pairs_is_near_zero_and_of_shuffled_pairs_is_not():
    e = np.eye(8, dtype=np.float32)[:, :8]
    aligned = info_nce(minilm.tensor(e), minilm.tensor(e), math.log(100.0)).item()
    assert 0.0 <= aligned < 1e-6
    shuffled = info_nce(minilm.tensor(e), minilm.tensor(e[::-1].copy()), math.log(100.0)).item()
    assert shuffled > 50
    # uniform logits: the loss is log B either way
    flat = np.ones((4, 3), dtype=np.float32)
    assert info_nce(minilm.tensor(flat), minilm.tensor(flat)).item() == pytest.approx(math.log(4))


def test_recall_at_k_on_hand_built_similarities():
    keys = ["a", "b", "c"]
    assert recall_at_k(np.eye(3), keys, keys, 1) == 1.0
    assert recall_at_k(-np.eye(3), keys, keys, 1) == 0.0
    assert recall_at_k(-np.eye(3), keys, keys, 2) == 0.0
    assert recall_at_k(-np.eye(3), keys, keys, 3) == 1.0
    sim = np.array([[0.9, 0.1, 0.0],  # a: right at 1
                    [0.8, 0.7, 0.0],  # b: second
                    [0.1, 0.5, 0.2]])  # c: second  # fmt: skip
    assert recall_at_k(sim, keys, keys, 1) == pytest.approx(1 / 3)
    assert recall_at_k(sim, keys, keys, 2) == 1.0
    # equal keys count as a match: row "x" hits column 1, whose key is also "x"
    assert recall_at_k(np.array([[0.0, 1.0]]), ["x"], ["x", "x"], 1) == 1.0
    assert recall_at_k(np.array([[0.0, 1.0]]), ["x"], ["x", "y"], 1) == 0.0
    with pytest.raises(ValueError, match="k must be"):
        recall_at_k(np.eye(3), keys, keys, 4)


def test_chance_recall_is_the_mean_over_every_ranking():
    keys = ["a", "a", "b", "c", "c", "c"]
    M = len(keys)
    for k in (1, 2, 4):
        hits = []
        for perm in itertools.permutations(range(M)):
            sim = np.tile(-np.asarray(perm, dtype=float), (M, 1))  # every row ranks as perm
            hits.append(recall_at_k(sim, keys, keys, k))
        assert chance_recall_at_k(keys, keys, k) == pytest.approx(np.mean(hits))


def test_dual_encoder_clamps_its_scale_at_100():
    minilm.manual_seed(0)
    model = DualEncoder(MultimodalConfig(d=8, hidden=16))
    d = shapes.make_dataset(6, seed=0)
    x, c = minilm.tensor(d.images), minilm.tensor(d.caption_ids)
    model.logit_scale.data[...] = 10.0
    with minilm.no_grad():
        want = info_nce(model.embed_images(x), model.embed_texts(c), math.log(100.0)).item()
        assert model.loss(x, c).item() == pytest.approx(want, rel=1e-5)


def test_caption_scores_count_attributes_per_object():
    top, bottom = Obj("red", "circle", "top"), Obj("blue", "square", "bottom")
    s = caption_scores(["a red circle above a blue square", "a red circle on the left"],
                       [[bottom, top], [Obj("red", "square", "left")]])  # fmt: skip
    assert s["exact"] == 0.5 and s["parsed"] == 1.0 and s["count"] == 1.0
    assert (s["colour"], s["shape"], s["position"]) == (1.0, pytest.approx(2 / 3), 1.0)
    s = caption_scores(["a red circle"], [[top]])
    assert s["parsed"] == 0.0 and s["colour"] == 0.0


# ---- the GPT's prefix ----


def tiny_gpt(tie=True):
    minilm.manual_seed(1)
    gpt = GPT(GPTConfig(vocab_size=11, block_size=12, n_layer=2, n_head=2, n_embd=16,
                        tie_weights=tie))  # fmt: skip
    gpt.eval()
    return gpt


def logits(gpt, ids, **kw):
    with minilm.no_grad():
        return gpt(minilm.tensor(ids), **kw).numpy()


def test_without_a_prefix_the_gpt_is_the_plain_gpt():
    gpt = tiny_gpt(tie=False)
    ids = np.random.default_rng(0).integers(11, size=(2, 7))
    with minilm.no_grad():  # the standard GPT forward, written out
        x = gpt.wte.weight[ids] + gpt.wpe.embedding.weight[:7]
        for block in gpt.blocks:
            x = block(x, causal=True)
        want = gpt.lm_head(gpt.ln_f(x)).numpy()
    assert np.array_equal(logits(gpt, ids), want)
    assert np.array_equal(logits(gpt, ids, prefix=None), want)
    caches = gpt.new_caches()
    parts = [logits(gpt, ids[:, :3], caches=caches), logits(gpt, ids[:, 3:], caches=caches)]
    np.testing.assert_allclose(np.concatenate(parts, axis=1), want, atol=1e-5)


def test_a_prefix_is_p_embedded_tokens():
    gpt = tiny_gpt()
    rng = np.random.default_rng(1)
    pre, ids = rng.integers(11, size=(3, 4)), rng.integers(11, size=(3, 5))
    with minilm.no_grad():
        prefix = gpt.wte(minilm.tensor(pre))  # (3, 4, 16): the prefix tokens' embeddings
    got = logits(gpt, ids, prefix=prefix)
    want = logits(gpt, np.concatenate([pre, ids], axis=1))[:, 4:]
    assert got.shape == (3, 5, 11)
    np.testing.assert_allclose(got, want, atol=1e-5)
    np.testing.assert_allclose(logits(gpt, ids, prefix=prefix.numpy()), want, atol=1e-5)


def test_prefix_attention_is_causal():
    gpt = tiny_gpt()
    rng = np.random.default_rng(2)
    prefix = rng.normal(size=(2, 3, 16)).astype(np.float32)
    ids = rng.integers(11, size=(2, 6))
    base = logits(gpt, ids, prefix=minilm.tensor(prefix))
    later = ids.copy()
    later[:, 4] = (later[:, 4] + 1) % 11  # a later token changes: earlier logits do not
    changed = logits(gpt, later, prefix=minilm.tensor(prefix))
    np.testing.assert_allclose(changed[:, :4], base[:, :4], atol=1e-6)
    assert not np.allclose(changed[:, 4:], base[:, 4:], atol=1e-4)
    other = prefix.copy()
    other[:, 0] += rng.normal(size=(2, 16))  # the first prefix vector changes (not by a constant:
    # layer norm would undo that): every token's logits do
    moved = logits(gpt, ids, prefix=minilm.tensor(other))
    assert (np.abs(moved - base).max(axis=-1) > 1e-4).all()


def test_kv_cache_with_a_prefix_gives_the_recomputed_logits():
    gpt = tiny_gpt()
    rng = np.random.default_rng(3)
    prefix = minilm.tensor(rng.normal(size=(2, 2, 16)).astype(np.float32))
    ids = rng.integers(11, size=(2, 8))
    full = logits(gpt, ids, prefix=prefix)
    caches = gpt.new_caches()
    steps = [logits(gpt, ids[:, :2], caches=caches, prefix=prefix)]
    assert caches[0].length == 4  # P + T
    steps += [logits(gpt, ids[:, t : t + 1], caches=caches) for t in range(2, 8)]
    np.testing.assert_allclose(np.concatenate(steps, axis=1), full, atol=1e-5)
    with pytest.raises(ValueError, match="empty caches"):
        logits(gpt, ids[:, :1], caches=caches, prefix=prefix)
    with pytest.raises(ValueError, match="prefix must be"):
        logits(gpt, ids, prefix=minilm.zeros(2, 2, 8))
    with pytest.raises(ValueError, match="exceed block_size"):
        logits(gpt, ids, prefix=minilm.zeros(2, 5, 16))


def test_the_prefix_gets_gradients():
    gpt = tiny_gpt()
    prefix = minilm.tensor(np.zeros((1, 2, 16), dtype=np.float32), requires_grad=True)
    out = gpt(minilm.tensor([[1, 2, 3]]), prefix=prefix)
    minilm.functional.cross_entropy(out.reshape(3, 11), minilm.tensor([2, 3, 4])).backward()
    assert np.abs(prefix.grad.numpy()).sum(axis=-1).min() > 0  # both vectors, every width


# ---- the models ----


def test_captioner_decodes_greedily_with_its_cache():
    minilm.manual_seed(2)
    model = PrefixCaptioner(MultimodalConfig(d=16, hidden=32, n_embd=16, n_layer=1))
    d = shapes.make_dataset(128, seed=0)
    bench.train(model, d, 60, bench._pair_loss, seed=0, lr=1e-2, progress=False)  # varied captions
    x = minilm.tensor(d.images[:6])
    got = model.caption(x)
    bos, eos = shapes.VOCAB.index(shapes.BOS), shapes.VOCAB.index(shapes.EOS)
    ids = np.full((6, 1), bos)
    with minilm.no_grad():  # greedy, recomputing everything each step
        for _ in range(shapes.CAPTION_LEN - 1):
            nxt = model(x, minilm.tensor(ids)).numpy()[:, -1].argmax(axis=-1)
            ids = np.concatenate([ids, nxt[:, None]], axis=1)
    assert got == [shapes.decode(row[1:]) for row in ids]
    assert len(set(got)) > 1 and (ids[:, 1:] == eos).any()


def test_captioner_loss_skips_padding():
    minilm.manual_seed(3)
    model = PrefixCaptioner(MultimodalConfig(d=16, hidden=32, n_embd=16, n_layer=1))
    d = shapes.make_dataset(4, seed=1)
    x, ids = minilm.tensor(d.images), d.caption_ids
    with minilm.no_grad():
        out = model(x, minilm.tensor(ids[:, :-1])).numpy()  # (B, T - 1, V)
        loss = model.loss(x, ids).item()
    z = out - out.max(axis=-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    targets = ids[:, 1:]
    real = targets != 0
    picked = np.take_along_axis(log_p, targets[..., None], axis=-1)[..., 0]
    assert loss == pytest.approx(-picked[real].mean(), rel=1e-5)


def test_late_fusion_qa_learns():
    minilm.manual_seed(0)
    data = shapes.make_dataset(256, seed=5)
    model = LateFusionQA(MultimodalConfig(d=32, hidden=64))
    batch = (minilm.tensor(data.images[:128]), minilm.tensor(data.question_ids[:128]),
             minilm.tensor(data.answer_ids[:128]), None)  # fmt: skip
    with minilm.no_grad():
        before = bench._qa_loss(model, batch).item()
    history = bench.train(model, data, 80, bench._qa_loss, seed=0, lr=3e-3, progress=False)
    with minilm.no_grad():
        after = bench._qa_loss(model, batch).item()
    assert after < 0.6 * before, (before, after)
    assert np.mean(history.loss[-10:]) < np.mean(history.loss[:10])


def test_qa_models_take_images_and_questions():
    d = shapes.make_dataset(3, seed=0)
    x, q = minilm.tensor(d.images), minilm.tensor(d.question_ids)
    cfg = MultimodalConfig(d=8, hidden=16)
    for cls in (EarlyFusionQA, LateFusionQA):
        assert cls(cfg)(x, q).shape == (3, len(shapes.ANSWERS))


def test_conv_encoder_gives_one_vector_per_image():
    enc = ImageConv(24, 8, channels=4)
    assert enc(minilm.tensor(shapes.make_dataset(2, seed=0).images)).shape == (2, 8)


def test_bench_runs_and_draws_its_figure(tmp_path, capsys):
    out = tmp_path / "mm.png"
    argv = ["--steps", "3", "--train", "64", "--test", "24", "--no-progress", "--out", str(out)]
    assert bench.main(argv) == 0
    text = capsys.readouterr().out
    for what in ("chance (uniform over the 9 answers)", "late fusion", "recall@5", "position"):
        assert what in text
    assert out.stat().st_size > 10_000
