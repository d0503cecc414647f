"""Pruning (minilm.prune): magnitude masks prune exactly the smallest weights, masks
stay applied through training, and removing a head or neuron equals zeroing what it
writes, with the parameter count dropping by exactly its weights."""

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import minilm
from minilm import optim
from minilm.data.lm_corpus import CharCorpus
from minilm.models.gpt import GPT, GPTConfig
from minilm.prune import (
    MaskedOptimizer,
    finetune,
    global_magnitude_mask,
    head_importance,
    iterative_prune,
    layer_magnitude_mask,
    magnitude_prune,
    neuron_importance,
    nonzero_parameters,
    plot_sparsity_curve,
    prunable,
    prune_heads,
    prune_neurons,
    sparsity,
    sparsity_curve,
)
from minilm.train import fit

# small integers make many ties, so the tie rule is tested too
values = st.one_of(st.integers(-4, 4).map(float), st.floats(-10, 10, width=32))
array_lists = st.lists(
    arrays(np.float32, st.tuples(st.integers(1, 5), st.integers(1, 5)), elements=values),
    min_size=1,
    max_size=4,
)
fractions = st.floats(0, 1)


def reference_pruned(flat_abs, n):
    """The positions the rule prunes, by Python's stable sort on (|w|, position)."""
    return set(sorted(range(len(flat_abs)), key=lambda i: flat_abs[i])[:n])


@settings(max_examples=100, deadline=None)
@given(array_lists, fractions)
def test_the_global_mask_prunes_exactly_the_smallest(ws, s):
    masks = global_magnitude_mask(ws, s)
    assert [m.shape for m in masks] == [w.shape for w in ws]
    assert all(m.dtype == bool for m in masks)
    flat = np.concatenate([np.abs(w).ravel() for w in ws])
    keep = np.concatenate([m.ravel() for m in masks])
    n = round(s * flat.size)
    assert int((~keep).sum()) == n
    if 0 < n < flat.size:
        assert flat[~keep].max() <= flat[keep].min()
    assert set(np.flatnonzero(~keep)) == reference_pruned(flat.tolist(), n)


@settings(max_examples=60, deadline=None)
@given(array_lists, fractions)
def test_the_layer_mask_prunes_each_array_on_its_own(ws, s):
    for w, m in zip(ws, layer_magnitude_mask(ws, s)):
        n = round(s * w.size)
        a = np.abs(w).ravel()
        assert int((~m).sum()) == n
        assert set(np.flatnonzero(~m.ravel())) == reference_pruned(a.tolist(), n)


def test_the_two_scopes_differ_where_layers_differ_in_scale():
    small, large = np.full(4, 0.01, np.float32), np.arange(1, 5, dtype=np.float32)
    g = global_magnitude_mask([small, large], 0.5)
    layer = layer_magnitude_mask([small, large], 0.5)
    assert g[0].tolist() == [False] * 4 and g[1].all()  # global takes the small layer whole
    assert [int(m.sum()) for m in layer] == [2, 2]
    assert global_magnitude_mask([small], 0.0)[0].all()
    assert not global_magnitude_mask([small], 1.0)[0].any()


@pytest.mark.parametrize("bad", [-0.1, 1.5, "0.5", True, float("nan")])
def test_a_bad_sparsity_is_refused_by_name(bad):
    for rule in (global_magnitude_mask, layer_magnitude_mask):
        with pytest.raises(ValueError, match="sparsity"):
            rule([np.ones(3, np.float32)], bad)


def test_bad_weights_and_scopes_are_refused():
    with pytest.raises(ValueError, match="NaN"):
        global_magnitude_mask([np.array([1.0, np.nan])], 0.5)
    with pytest.raises(TypeError, match="float"):
        global_magnitude_mask([np.array([1, 2])], 0.5)
    with pytest.raises(ValueError, match="scope"):
        magnitude_prune(tiny_gpt(), 0.5, scope="row")


def tiny_gpt(seed=0, vocab_size=11):
    minilm.manual_seed(seed)
    return GPT(GPTConfig(vocab_size=vocab_size, block_size=8, n_layer=2, n_head=4, n_embd=16))


def random_batch(gen, vocab=11, B=4, T=8):
    x = gen.integers(0, vocab, (B, T))
    return minilm.tensor(x), minilm.tensor(np.roll(x, -1, axis=1))


def test_prunable_is_the_linear_weights_and_magnitude_prune_zeroes_them():
    model = tiny_gpt()
    names = [n for n, _ in prunable(model)]
    assert len(names) == 2 * 4 and all(n.endswith(".weight") and "blocks." in n for n in names)
    with_emb = [n for n, _ in prunable(model, include_embeddings=True)]
    assert set(with_emb) - set(names) == {"wte.weight", "wpe.embedding.weight"}
    wte = model.wte.weight.data.copy()
    nonzero = nonzero_parameters(model)
    masks = magnitude_prune(model, 0.6)
    total = sum(p.size for _, p in prunable(model))
    assert sparsity(model) == round(0.6 * total) / total
    for name, p in prunable(model):
        assert (p.data[~masks[name]] == 0).all() and (p.data[masks[name]] != 0).all()
    assert np.array_equal(model.wte.weight.data, wte)  # embeddings left alone by default
    assert nonzero_parameters(model) == nonzero - round(0.6 * total)  # GPT's biases start at 0


def test_pruning_again_keeps_the_earlier_mask():
    model = tiny_gpt()
    first = magnitude_prune(model, 0.5, scope="layer")
    second = magnitude_prune(model, 0.8, scope="layer")
    assert all((second[k] <= first[k]).all() for k in first)  # pruned stays pruned


def test_masks_stay_applied_through_fit_and_its_checkpoints(tmp_path):
    model = tiny_gpt()
    masks = magnitude_prune(model, 0.7)
    before = {n: p.data.copy() for n, p in prunable(model)}
    inner = optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.1)
    opt = MaskedOptimizer(inner, model, masks)
    sched = optim.WarmupCosineLR(opt, 2, 6)
    gen = np.random.default_rng(0)
    path = tmp_path / "ckpt.safetensors"
    fit(model, opt, lambda: random_batch(gen), 3, scheduler=sched, progress=False,
        checkpoint_path=path)  # fmt: skip
    fit(model, opt, lambda: random_batch(gen), 6, scheduler=sched, progress=False,
        checkpoint_path=path, resume="must")  # fmt: skip
    assert opt.param_groups[0]["lr"] == sched.get_last_lr()[0]
    for name, p in prunable(model):
        assert (p.data[~masks[name]] == 0).all()
        assert np.abs(p.data[masks[name]] - before[name][masks[name]]).max() > 0
    assert opt.state_dict()["state"]  # the inner optimizer's state, seen through the wrapper


def test_fit_clips_the_gradients_the_kept_weights_get():
    """The pruned entries' gradients are dropped before the norm is clipped: with
    them in the norm, the kept weights' update would be scaled down for nothing."""
    layer = minilm.nn.Linear(3, 2, bias=False)
    layer.weight.data[...] = np.array([[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]])  # (in, out)
    mask = np.array([[True, False], [False, False], [False, True]])
    x = np.array([[1.0, 10.0, 100.0]])
    opt = MaskedOptimizer(optim.SGD(layer.parameters(), lr=1.0), layer, {"weight": mask})
    fit(layer, opt, [x], 1, loss_fn=lambda model, batch: (model(minilm.tensor(batch)) ** 2).sum(),
        clip_grad_norm=1.0, progress=False)  # fmt: skip
    # by hand: W after masking is [[1, 0], [0, 0], [0, 6]], so y = x W = [1, 600]
    # and dL/dW = x^T 2y; the kept entries' gradients are 2 * 1 * 1 = 2 and
    # 2 * 600 * 100 = 120000, norm sqrt(2^2 + 120000^2); SGD at lr 1 moves them by
    # the gradient clipped to norm 1
    g = np.array([2.0, 120000.0])
    step = g / np.sqrt((g**2).sum())
    want = np.array([[1.0 - step[0], 0], [0, 0], [0, 6.0 - step[1]]])
    np.testing.assert_allclose(layer.weight.data, want, rtol=1e-6)


def test_an_overflow_in_pruned_gradients_alone_is_no_overflow():
    """fp16 with a fixed loss scale: the pruned weight's gradient, 2 * 60000, is inf
    in float16, but no weight uses it; the masks apply before the overflow check."""
    layer = minilm.nn.Linear(2, 1, bias=False)
    layer.weight.data[...] = np.array([[1.0], [0.5]])
    x = np.array([[1.0, 60000.0]], dtype=np.float32)
    opt = MaskedOptimizer(optim.SGD(layer.parameters(), lr=0.1), layer,
                          {"weight": np.array([[True], [False]])})  # fmt: skip

    def loss_fn(model, batch):
        return (model(minilm.tensor(batch)) ** 2).sum()

    h = fit(layer, opt, [x], 1, loss_fn=loss_fn, precision="fp16", loss_scale=1.0, progress=False)
    # y = 1 * 1 (the pruned 0.5 is zeroed), dL/dw0 = 2 y x0 = 2: SGD moves w0 to 0.8
    np.testing.assert_allclose(layer.weight.data.ravel(), [0.8, 0.0], rtol=1e-3)
    assert h.skipped == [] and h.overflows == []


def test_without_the_wrapper_pruned_weights_grow_back():
    """The control for the test above: plain AdamW moves the zeroed weights."""
    model = tiny_gpt()
    masks = magnitude_prune(model, 0.7)
    gen = np.random.default_rng(0)
    fit(model, optim.AdamW(model.parameters(), lr=1e-2), lambda: random_batch(gen), 3,
        progress=False)  # fmt: skip
    assert any((p.data[~masks[n]] != 0).any() for n, p in prunable(model))


def test_bad_masks_are_refused():
    model = tiny_gpt()
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(KeyError, match="no parameter"):
        MaskedOptimizer(opt, model, {"blocks.9.weight": np.ones((2, 2), bool)})
    with pytest.raises(ValueError, match="shape"):
        MaskedOptimizer(opt, model, {"blocks.0.ff.fc.weight": np.ones((2, 2), bool)})


# ---- GPT on a corpus ----


@pytest.fixture(scope="module")
def corpus():
    return CharCorpus.load("tinyshakespeare", max_chars=3000)


def corpus_gpt(corpus, seed=0):
    minilm.manual_seed(seed)
    c = GPTConfig(vocab_size=corpus.vocab_size, block_size=16, n_layer=1, n_head=2, n_embd=16)
    return GPT(c)


def test_finetune_keeps_the_masks(corpus):
    model = corpus_gpt(corpus)
    masks = magnitude_prune(model, 0.5)
    before = {n: p.data.copy() for n, p in prunable(model)}
    history = finetune(model, corpus, masks, steps=4, lr=1e-2, batch_size=4)
    assert len(history.step) == 4
    for name, p in prunable(model):
        assert (p.data[~masks[name]] == 0).all()
        assert (p.data[masks[name]] != before[name][masks[name]]).any()


def test_iterative_prune_and_the_sparsity_curve(corpus, tmp_path):
    model = corpus_gpt(corpus)
    rows = iterative_prune(model, corpus, targets=(0.5, 0.8), finetune_steps=2, lr=1e-2,
                           max_chars=500, batch_size=4)  # fmt: skip
    total = sum(p.size for _, p in prunable(model))
    assert [r["sparsity"] for r in rows] == [round(t * total) / total for t in (0.5, 0.8)]
    assert all(np.isfinite([r["val_before"], r["val_after"]]).all() for r in rows)
    curve = sparsity_curve(lambda: corpus_gpt(corpus), corpus, (0.0, 0.9), finetune_steps=1,
                           scope="layer", max_chars=500, batch_size=4)  # fmt: skip
    assert [r["sparsity"] for r in curve] == [0.0, 0.9]
    assert all(r["val_after"] != r["val_before"] for r in curve)  # fine-tuning ran
    path = tmp_path / "curve.png"
    ax = plot_sparsity_curve(curve + [{**r, "scope": "iterative"} for r in rows], path)
    assert path.stat().st_size > 0 and len(ax.lines) == 4
    with pytest.raises(ValueError, match="increase"):
        iterative_prune(model, corpus, targets=(0.8, 0.5))


# ---- structured ----


def logits(model, x):
    with minilm.no_grad():
        return model(x).numpy()


HEADS = {0: [1], 1: [0, 3]}


def test_removing_heads_equals_zeroing_what_they_write():
    model = tiny_gpt()
    x = minilm.tensor(np.random.default_rng(1).integers(0, 11, (3, 8)))
    zeroed = copy.deepcopy(model)
    hd = 16 // 4
    for b, heads in HEADS.items():
        for h in heads:
            zeroed.blocks[b].attn.out_proj.weight.data[h * hd : (h + 1) * hd] = 0
    n = model.num_parameters()
    removed = prune_heads(model, HEADS)
    assert removed == [[1], [0, 3]]
    np.testing.assert_allclose(logits(model, x), logits(zeroed, x), rtol=1e-5, atol=1e-6)
    d, gone = 16, 3  # each head: q, k, v columns (weights and biases) and out_proj rows
    assert model.num_parameters() == n - gone * (3 * hd * (d + 1) + hd * d)
    assert [b.attn.num_heads for b in model.blocks] == [3, 2]
    assert model.blocks[1].attn.qkv_proj.weight.shape == (16, 3 * 2 * hd)
    assert model.config.n_head == 4  # the config is not rewritten


def test_removing_neurons_equals_zeroing_what_they_write():
    model = tiny_gpt()
    x = minilm.tensor(np.random.default_rng(2).integers(0, 11, (3, 8)))
    gone = {0: [0, 5, 63], 1: list(range(10, 42))}
    zeroed = copy.deepcopy(model)
    for b, js in gone.items():
        zeroed.blocks[b].ff.proj.weight.data[js] = 0
    n = model.num_parameters()
    rng = minilm.backend.get_rng_state()
    prune_neurons(model, gone)
    assert str(minilm.backend.get_rng_state()) == str(rng)  # copies weights, draws nothing
    assert model.blocks[0].ff.fc.weight.dtype == np.float32
    np.testing.assert_allclose(logits(model, x), logits(zeroed, x), rtol=1e-5, atol=1e-6)
    count = sum(len(js) for js in gone.values())
    assert model.num_parameters() == n - count * (16 + 1 + 16)  # fc column + bias, proj row
    assert [b.ff.fc.out_features for b in model.blocks] == [61, 32]


def test_a_pruned_model_generates_with_its_cache_and_trains():
    model = tiny_gpt()
    prune_heads(model, 0.5)
    prune_neurons(model, 0.5)
    ids = np.random.default_rng(3).integers(0, 11, 8).tolist()
    full = logits(model, minilm.tensor([ids]))[0]  # (T, V)
    caches = model.new_caches()
    with minilm.no_grad():
        stepwise = [model(minilm.tensor([[t]]), caches=caches).numpy()[0, -1] for t in ids]
    np.testing.assert_allclose(np.stack(stepwise), full, rtol=1e-4, atol=1e-5)
    assert model.generate([1, 2], 6, greedy=True) == model.generate([1, 2], 6, greedy=True,
                                                                     use_cache=False)  # fmt: skip
    gen = np.random.default_rng(0)
    before = model.blocks[0].attn.qkv_proj.weight.data.copy()
    h = fit(model, optim.AdamW(model.parameters(), lr=1e-2), lambda: random_batch(gen), 3,
            progress=False)  # fmt: skip
    assert np.isfinite(h.loss).all()
    assert (model.blocks[0].attn.qkv_proj.weight.data != before).any()


@pytest.mark.parametrize("method", ["weight", "taylor"])
def test_a_silent_unit_scores_zero_and_goes_first(method):
    model = tiny_gpt()
    hd = 4
    model.blocks[0].attn.out_proj.weight.data[2 * hd : 3 * hd] = 0  # head 2 writes nothing
    model.blocks[1].ff.proj.weight.data[7] = 0  # neuron 7 writes nothing
    batches = [random_batch(np.random.default_rng(0))] if method == "taylor" else None
    heads = head_importance(model, method, batches)
    neurons = neuron_importance(model, method, batches)
    assert [h.shape for h in heads] == [(4,), (4,)] and [n.shape for n in neurons] == [(64,)] * 2
    assert heads[0][2] == 0 and (np.delete(heads[0], 2) > 0).all()
    assert neurons[1][7] == 0 and (np.delete(neurons[1], 7) > 0).all()
    assert prune_heads(copy.deepcopy(model), [1, 0], heads) == [[2], []]
    assert prune_neurons(model, [0, 1], neurons) == [[], [7]]
    assert all(p.grad is None for p in model.parameters())  # the scores leave no gradients


def test_structured_pruning_refuses_what_it_cannot_do():
    model = tiny_gpt()
    with pytest.raises(ValueError, match="at least one"):
        prune_heads(model, [4, 0])
    with pytest.raises(ValueError, match="keep none"):
        prune_heads(model, {0: [0, 1, 2, 3]})
    with pytest.raises(ValueError, match="0..3"):
        prune_heads(model, {0: [4]})
    with pytest.raises(ValueError, match="fraction"):
        prune_neurons(model, 1.0)
    with pytest.raises(ValueError, match="2 counts"):
        prune_neurons(model, [1])
    with pytest.raises(ValueError, match="taylor"):
        head_importance(model, "taylor")
    with pytest.raises(TypeError, match="blocks"):
        prune_heads(minilm.nn.Linear(2, 2), 0.5)
