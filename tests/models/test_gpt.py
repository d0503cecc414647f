"""GPT: causal (the future never leaks), the KV cache changes nothing but cost,
weights are tied, it matches a PyTorch GPT with the same weights, and it learns."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minilm
import minilm.functional as F
import minilm.optim as optim
from minilm.backend import np
from minilm.models import GPT, GPTConfig
from minilm.train import fit

TINY = GPTConfig(vocab_size=11, block_size=12, n_layer=2, n_head=2, n_embd=16)


def _model(seed=0, **kw):
    minilm.manual_seed(seed)
    cfg = GPTConfig(**{**TINY.to_dict(), **kw})
    return GPT(cfg).eval()


@settings(max_examples=15)
@given(T=st.integers(2, 12), t=st.integers(0, 10), seed=st.integers(0, 1000))
def test_causal_mask_leaks_nothing(T, t, seed):
    """Changing token t+1 never changes the logits at positions <= t."""
    t = min(t, T - 2)
    model = _model()
    gen = np.random.default_rng(seed)
    ids = gen.integers(0, 11, size=(2, T))
    other = ids.copy()
    other[:, t + 1 :] = gen.integers(0, 11, size=(2, T - t - 1))
    other[:, t + 1] = (ids[:, t + 1] + 1) % 11  # token t+1 surely differs
    a = model(minilm.tensor(ids)).numpy()
    b = model(minilm.tensor(other)).numpy()
    np.testing.assert_array_equal(a[:, : t + 1], b[:, : t + 1])
    assert not np.allclose(a[:, t + 1], b[:, t + 1])  # ... and it does change t+1


def test_kv_cache_gives_the_logits_of_the_full_prefix_at_every_position():
    model = _model()
    ids = np.random.default_rng(0).integers(0, 11, size=(3, 12))
    full = model(minilm.tensor(ids)).numpy()  # (B, T, V)
    caches = model.new_caches()
    with minilm.no_grad():
        first = model(minilm.tensor(ids[:, :4]), caches=caches).numpy()
        steps = [model(minilm.tensor(ids[:, t : t + 1]), caches=caches).numpy()
                 for t in range(4, 12)]  # fmt: skip
    got = np.concatenate([first, *steps], axis=1)
    np.testing.assert_allclose(got, full, rtol=1e-4, atol=1e-5)
    assert all(c.length == 12 for c in caches)


def test_cached_generation_equals_uncached_generation_past_the_block_size():
    model = _model()
    prompt = [1, 2, 3]
    for kw in ({"seed": 5}, {"seed": 6, "top_k": 3}, {"greedy": True}):
        a = model.generate(prompt, max_new_tokens=20, use_cache=True, **kw)
        b = model.generate(prompt, max_new_tokens=20, use_cache=False, **kw)
        assert a == b and len(a) == 20


def test_next_logits_never_changes_its_state_so_beam_search_can_branch():
    from minilm.generate import beam_search

    model = _model()
    logits, state = model.next_logits([1, 2, 3])
    k_before = [c.k.numpy().copy() for c in state[1]]
    a, _ = model.next_logits([4], state)
    b, _ = model.next_logits([4], state)  # the same state, reused
    np.testing.assert_array_equal(a, b)
    assert all((c.k.numpy() == k).all() for c, k in zip(state[1], k_before))
    assert state[0] == [1, 2, 3]
    full = model(minilm.tensor([[1, 2, 3, 4]])).numpy()[0, -1]
    np.testing.assert_allclose(a, full, rtol=1e-4, atol=1e-5)
    best = beam_search(model, [1, 2], 4, beam_size=3)[0]
    assert len(best.tokens) == 4


def test_weights_are_tied_and_counted_once():
    model = _model()
    names = [n for n, _ in model.named_parameters()]
    assert "lm_head.weight" not in " ".join(names)
    loss = F.cross_entropy(model.train()(minilm.tensor([[1, 2, 3]])), minilm.tensor([[2, 3, 4]]))
    loss.backward()
    g_embed_only = model.wte.weight.grad.numpy()
    assert np.abs(g_embed_only[5:]).sum() > 0  # output-layer use reaches unseen tokens' rows
    untied = _model(tie_weights=False)
    V, C = 11, 16
    assert untied.num_parameters() - model.num_parameters() == V * C


def test_block_size_is_enforced_with_a_clear_message():
    with pytest.raises(ValueError, match="block_size"):
        _model()(minilm.zeros(1, 13, dtype="int64"))


def test_matches_a_pytorch_gpt_with_the_same_weights():
    torch = pytest.importorskip("torch")
    model = _model()
    ids = np.random.default_rng(0).integers(0, 11, size=(2, 9))
    from minilm.bench.torch_gpt import copy_weights, torch_gpt

    ref = torch_gpt(model.config)
    copy_weights(model, ref)
    want = ref(torch.tensor(ids)).detach().numpy()
    np.testing.assert_allclose(model(minilm.tensor(ids)).numpy(), want, rtol=1e-4, atol=1e-5)


def test_learns_a_repeating_sequence_and_generates_it():
    model = _model(vocab_size=5, block_size=8, n_layer=1, n_embd=32).train()
    stream = np.array([0, 1, 2, 3, 4] * 40)
    from minilm.data import lm_batch

    gen = np.random.default_rng(0)
    hist = fit(model, optim.AdamW(model.parameters(), lr=1e-2),
               lambda: lm_batch(stream, 16, 8, rng=gen), steps=150, progress=False)  # fmt: skip
    assert hist.loss[-1] < 0.05
    assert model.generate([2], max_new_tokens=9, greedy=True) == [3, 4, 0, 1, 2, 3, 4, 0, 1]


def test_gpt_rung_joins_the_tour_and_scores_names_like_the_rnn_rungs():
    from minilm import tour
    from minilm.data.lm_corpus import CharCorpus
    from minilm.recipes.gpt import evaluate_gpt

    assert "gpt" in [r.name for r in tour.RUNGS]
    corpus = CharCorpus.load("names")
    corpus.splits = {k: v[:50] for k, v in corpus.splits.items()}
    (rung,) = [r for r in tour.RUNGS if r.name == "gpt"]
    result = rung.run(corpus, tour.Settings(steps=3, progress=False, samples=1))
    assert result.model.startswith("GPT") and 2.5 < result.test_nats < 4.0
    model = _model(vocab_size=corpus.vocab_size, block_size=32)
    total = count = 0
    for s in corpus.split("test"):  # one name at a time, from its start
        logits = model(minilm.tensor(s[None, :-1]))
        total += F.cross_entropy(logits, minilm.tensor(s[None, 1:]), reduction="sum").item()
        count += len(s) - 1
    assert abs(evaluate_gpt(model, corpus, "test") - total / count) < 1e-5


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 10), min_size=1, max_size=5), st.integers(0, 2**16))
def test_next_logits_many_decodes_each_row_at_its_own_position(prompt_lengths, seed):
    """Rows at different lengths advanced together (padded caches, a key mask,
    each row's own position) give each row the logits of its whole prefix
    recomputed alone; and past block_size too (those rows go one by one)."""
    model = _model(seed % 7, block_size=12)
    for p in model.parameters():
        p.data = p.data.astype(np.float64)
    rng = np.random.default_rng(seed)
    seqs = [list(rng.integers(0, 10, size=n)) for n in prompt_lengths]
    tokens, states = [list(s) for s in seqs], [None] * len(seqs)
    for _ in range(6):  # the longest row runs past block_size = 12
        logits, states = model.next_logits_many(tokens, states)
        assert logits.shape == (len(seqs), TINY.vocab_size)
        for i, s in enumerate(seqs):
            with minilm.no_grad():
                alone = model(minilm.tensor([s[-12:]])).numpy()[0, -1]
            np.testing.assert_allclose(logits[i], alone, rtol=0, atol=1e-10)
        nxt = [int(t) for t in rng.integers(0, 10, size=len(seqs))]
        for s, t in zip(seqs, nxt):
            s.append(t)
        tokens = [[t] for t in nxt]


def test_next_logits_many_leaves_the_states_it_was_given_as_they_were():
    model = _model(0)
    _, states = model.next_logits_many([[1, 2, 3], [4]], [None, None])
    ks = [[c.k.numpy().copy() for c in s[1]] for s in states]
    model.next_logits_many([[5], [6]], states)
    for s, before in zip(states, ks):
        assert all(np.array_equal(c.k.numpy(), k) for c, k in zip(s[1], before))
    with pytest.raises(ValueError, match="2 token lists but 1 states"):
        model.next_logits_many([[1], [2]], [None])
