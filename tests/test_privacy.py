"""DP-SGD: per-example gradients against a loop, clipping and noise, Poisson sampling,
and ``fit(privacy=...)``."""

import numpy as np
import pytest

import minilm
from minilm import functional as F
from minilm import nn, optim
from minilm.models.mlp_lm import MLPLM, MLPLMConfig
from minilm.privacy import DPSGD, clip_and_noise, per_example_grads, poisson_sample, rdp_epsilon
from minilm.train import fit


class SeqModel(nn.Module):
    """Embedding -> LayerNorm -> Linear applied at every position (B, T, C), and one
    Linear used twice: the cases a per-layer rule must get right."""

    def __init__(self, V=7, d=5):
        super().__init__()
        self.embed = nn.Embedding(V, d)
        self.norm = nn.LayerNorm(d)
        self.mix = nn.Linear(d, d)
        self.head = nn.Linear(d, V)

    def forward(self, ids):
        h = self.norm(self.embed(ids))
        h = self.mix(self.mix(h).tanh())  # the same layer twice
        return self.head(h)  # (B, T, V)


def seq_losses(model, batch):
    ids, targets = batch
    logits = model(ids)
    B, T, V = logits.shape
    losses = F.cross_entropy(logits.reshape(B * T, V), targets.reshape(B * T), reduction="none")
    return losses.reshape(B, T).mean(axis=1)


def mlp_losses(model, batch):
    ctx, targets = batch
    return F.cross_entropy(model(ctx), targets, reduction="none")


def looped(model, loss_fn, batch):
    """The definition: one backward pass per example."""
    out = {n: [] for n, _ in model.named_parameters()}
    for b in range(len(batch[0])):
        model.zero_grad()
        one = tuple(minilm.tensor(a.numpy()[b : b + 1]) for a in batch)
        loss_fn(model, one).sum().backward()
        for n, p in model.named_parameters():
            out[n].append(np.zeros(p.shape) if p.grad is None else p.grad.numpy().copy())
    return {n: np.stack(v) for n, v in out.items()}


def seq_batch(rng, B=6, T=4, V=7):
    return minilm.tensor(rng.integers(0, V, (B, T))), minilm.tensor(rng.integers(0, V, (B, T)))


def test_per_example_grads_match_a_loop_through_every_supported_layer():
    rng = np.random.default_rng(0)
    minilm.manual_seed(0)
    model = SeqModel()
    model.norm.weight.data[:] = rng.normal(1.0, 0.3, 5)  # away from the identity init
    batch = seq_batch(rng)
    fast = per_example_grads(model, seq_losses, batch)
    slow = looped(model, seq_losses, batch)
    assert fast.keys() == slow.keys()
    for name in fast:
        assert fast[name].shape == (6, *dict(model.named_parameters())[name].shape)
        np.testing.assert_allclose(fast[name], slow[name], rtol=1e-4, atol=1e-6, err_msg=name)
    # and nothing stays patched on the model
    assert all("forward" not in vars(m) for _, m in model.named_modules())


def test_per_example_grads_of_the_names_model_and_their_sum_is_the_batch_gradient():
    rng = np.random.default_rng(1)
    minilm.manual_seed(1)
    model = MLPLM(MLPLMConfig(vocab_size=11, context=3, embed_dim=4, hidden=8))
    batch = (minilm.tensor(rng.integers(0, 11, (9, 3))), minilm.tensor(rng.integers(0, 11, 9)))
    fast = per_example_grads(model, mlp_losses, batch)
    slow = looped(model, mlp_losses, batch)
    model.zero_grad()
    mlp_losses(model, batch).sum().backward()
    for name, p in model.named_parameters():
        np.testing.assert_allclose(fast[name], slow[name], rtol=1e-4, atol=1e-6, err_msg=name)
        np.testing.assert_allclose(fast[name].sum(0), p.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_frozen_parameters_are_skipped_and_unsupported_layers_are_refused():
    model = MLPLM(MLPLMConfig(vocab_size=5, context=2, embed_dim=3, hidden=4))
    model.embed.weight.requires_grad = False
    batch = (minilm.tensor([[1, 2], [3, 4]]), minilm.tensor([0, 1]))
    assert "embed.weight" not in per_example_grads(model, mlp_losses, batch)

    class Scale(nn.Module):
        def __init__(self):
            super().__init__()
            self.s = nn.Parameter(np.ones(3, dtype=np.float32))

        def forward(self, x):
            return x * self.s

    with pytest.raises(TypeError, match="Scale holds trainable parameters"):
        ones = (minilm.tensor(np.ones((2, 3))),)
        per_example_grads(Scale(), lambda m, b: m(b[0]).sum(axis=1), ones)
    with pytest.raises(ValueError, match="one loss per example"):
        per_example_grads(model, lambda m, b: mlp_losses(m, b).sum(), batch)


def test_clipping_bounds_each_example_and_keeps_small_ones_whole():
    rng = np.random.default_rng(2)
    per_ex = {"a": rng.normal(0, 1, (5, 3, 2)), "b": rng.normal(0, 1, (5, 4))}
    per_ex["a"][0] *= 1e-3  # example 0 is already inside the ball
    per_ex["b"][0] *= 1e-3
    C = 0.5
    out = clip_and_noise(per_ex, C, 0.0, 1.0, rng)
    norms = np.sqrt(sum((g.reshape(5, -1) ** 2).sum(1) for g in per_ex.values()))
    factor = np.minimum(1.0, C / (norms + 1e-6))
    assert factor[0] == 1.0 and (factor[1:] < 1).all()
    for name, g in per_ex.items():
        np.testing.assert_allclose(out[name], np.tensordot(factor, g, axes=(0, 0)), rtol=1e-6)
    # one example alone: its clipped gradient has norm exactly min(C, norm) (across both arrays)
    for b in range(5):
        one = clip_and_noise({k: v[b : b + 1] for k, v in per_ex.items()}, C, 0.0, 1.0, rng)
        norm = np.sqrt(sum((v**2).sum() for v in one.values()))
        assert norm == pytest.approx(min(C, norms[b]), rel=1e-5)


def test_noise_has_the_stated_scale_and_the_sum_is_divided_by_the_expected_batch():
    rng = np.random.default_rng(3)
    per_ex = {"w": np.zeros((4, 200, 100))}
    sigma, C, expected = 1.3, 0.7, 8.0
    noise = clip_and_noise(per_ex, C, sigma, expected, rng)["w"] * expected
    assert abs(noise.mean()) < 0.02 * sigma * C
    assert noise.std() == pytest.approx(sigma * C, rel=0.02)  # 20000 draws: ~0.5% sd


def test_poisson_sampling_draws_each_example_independently():
    rng = np.random.default_rng(4)
    n, q, trials = 500, 0.05, 400
    counts, sizes = np.zeros(n), []
    for _ in range(trials):
        idx = poisson_sample(n, q, rng)
        assert len(set(idx.tolist())) == len(idx)
        counts[idx] += 1
        sizes.append(len(idx))
    assert np.mean(sizes) == pytest.approx(n * q, rel=0.03)
    assert np.var(sizes) == pytest.approx(n * q * (1 - q), rel=0.2)  # Binomial, not fixed
    assert counts.mean() / trials == pytest.approx(q, rel=0.03)


def names_data(n=600, context=3, seed=0):
    """Contexts and next characters of a few real names."""
    from minilm.data.lm_corpus import CharCorpus, context_windows

    corpus = CharCorpus.load("names")
    X, Y = context_windows(corpus.split("train"), context, corpus.pad_id)
    rng = np.random.default_rng(seed)
    keep = rng.choice(len(X), n, replace=False)
    return corpus, X[keep], Y[keep]


def private_fit(tmp_path, steps, sigma=0.5, resume=False, data=None, seed=0, q=0.1, **kw):
    corpus, X, Y = names_data()
    minilm.manual_seed(0)
    model = MLPLM(MLPLMConfig(vocab_size=corpus.vocab_size, context=3, embed_dim=8, hidden=32))
    opt = optim.SGD(model.parameters(), lr=0.5)
    dp = DPSGD(data=(X, Y), per_example_loss=mlp_losses, noise_multiplier=sigma,
               max_grad_norm=1.0, sample_rate=q, seed=seed, **kw)  # fmt: skip
    hist = fit(model, opt, data, steps, privacy=dp, progress=False,
               checkpoint_path=tmp_path / "dp.npz", resume=resume)  # fmt: skip
    return model, hist


def test_fit_with_privacy_learns_and_reports_the_accountants_epsilon(tmp_path):
    model, hist = private_fit(tmp_path, 60)
    assert np.mean(hist.loss[-10:]) < np.mean(hist.loss[:10]) - 0.3
    assert hist.noise_multiplier == 0.5
    assert hist.epsilon == pytest.approx(rdp_epsilon(0.5, 0.1, 60, 1e-5), rel=1e-9)


def test_fit_with_a_target_epsilon_stays_within_it(tmp_path):
    _, hist = private_fit(tmp_path, 30, sigma=None, target_epsilon=4.0, q=0.05)
    assert 3.9 < hist.epsilon <= 4.0  # within the target, and not far inside it
    assert hist.epsilon == pytest.approx(rdp_epsilon(hist.noise_multiplier, 0.05, 30, 1e-5))


def test_private_fit_resumes_exactly(tmp_path):
    straight, _ = private_fit(tmp_path / "a", 12)
    private_fit(tmp_path / "b", 5)
    resumed, hist = private_fit(tmp_path / "b", 12, resume=True)
    assert hist.step[-1] == 12
    for p, q in zip(straight.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


def test_private_fit_refuses_what_would_break_the_guarantee(tmp_path):
    with pytest.raises(ValueError, match="pass data=None"):
        private_fit(tmp_path, 2, data=lambda: None)
    corpus, X, Y = names_data(50)
    model = MLPLM(MLPLMConfig(vocab_size=corpus.vocab_size, context=3))
    dp = DPSGD(data=(X, Y), per_example_loss=mlp_losses, noise_multiplier=1.0)
    for bad in ({"accumulate": 2}, {"clip_grad_norm": 1.0}):
        with pytest.raises(ValueError, match="does not support"):
            fit(model, optim.SGD(model.parameters(), lr=0.1), None, 2, privacy=dp,
                progress=False, **bad)  # fmt: skip
    with pytest.raises(ValueError, match="exactly one of"):
        DPSGD(data=(X, Y), per_example_loss=mlp_losses)
    with pytest.raises(ValueError, match="indexable by example"):
        DPSGD(data=(np.float64(1.0),), per_example_loss=mlp_losses, noise_multiplier=1.0)
    with pytest.raises(ValueError, match="same nonzero number"):
        DPSGD(data=(X, Y[:3]), per_example_loss=mlp_losses, noise_multiplier=1.0)
    with pytest.raises(ValueError, match="sample_rate"):
        DPSGD(data=(X, Y), per_example_loss=mlp_losses, noise_multiplier=1.0, sample_rate=0)


def test_membership_auc_is_the_share_of_pairs_the_threshold_orders_right():
    from minilm.privacy.attack import membership_auc

    rng = np.random.default_rng(5)
    members = rng.integers(0, 6, 40).astype(float)  # many ties on purpose
    others = rng.integers(1, 8, 30).astype(float)
    pairs = [(1.0 if a < b else 0.5 if a == b else 0.0) for a in members for b in others]
    result = membership_auc(members, others, resamples=200)
    assert result["auc"] == pytest.approx(np.mean(pairs), abs=1e-12)
    assert result["low"] <= result["auc"] <= result["high"]
    assert membership_auc([0.1, 0.2], [0.3, 0.4], resamples=0)["auc"] == 1.0
    assert membership_auc([0.3, 0.4], [0.1, 0.2], resamples=0)["auc"] == 0.0
    with pytest.raises(ValueError, match="at least one member"):
        membership_auc([], [1.0])


def test_the_dp_bound_on_an_attack():
    from minilm.privacy.attack import dp_tpr_bound

    fpr = np.linspace(0, 1, 101)
    np.testing.assert_allclose(dp_tpr_bound(0.0, 0.0, fpr), fpr, atol=1e-12)  # no attack at all
    tight, loose = dp_tpr_bound(1.0, 1e-5, fpr), dp_tpr_bound(4.0, 1e-5, fpr)
    assert (tight <= loose + 1e-12).all() and (np.diff(tight) >= 0).all() and tight[-1] == 1.0
    assert tight[10] == pytest.approx(np.e * 0.1 + 1e-5)  # the first line binds at low FPR,
    assert tight[50] == pytest.approx(1 - (0.5 - 1e-5) / np.e, rel=1e-9)  # the second above
    assert (dp_tpr_bound(np.inf, 0.0, fpr) == 1.0).all()  # no guarantee, no bound


def test_a_parameter_used_outside_its_layers_forward_is_refused():
    class Tied(nn.Module):  # the output head reads the embedding's table directly
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(7, 4)

        def forward(self, ids):
            return self.embed(ids) @ self.embed.weight.T

    batch = seq_batch(np.random.default_rng(6), B=3, T=2)
    with pytest.raises(ValueError, match="embed.weight is used outside its layer's forward"):
        per_example_grads(Tied(), seq_losses, batch)


def test_an_empty_poisson_batch_is_a_step_of_noise_only(tmp_path):
    corpus, X, Y = names_data(50)
    minilm.manual_seed(0)
    model = MLPLM(MLPLMConfig(vocab_size=corpus.vocab_size, context=3, embed_dim=4, hidden=8))
    before = [p.numpy().copy() for p in model.parameters()]
    # q N = 0.005: the batches are empty (a seeded draw, so surely)
    dp = DPSGD(data=(X, Y), per_example_loss=mlp_losses, noise_multiplier=1.0,
               sample_rate=1e-4, seed=0)  # fmt: skip
    hist = fit(model, optim.SGD(model.parameters(), lr=0.1), None, 3, privacy=dp,
               progress=False)  # fmt: skip
    assert hist.step == [1, 2, 3] and all(np.isnan(x) for x in hist.loss)
    assert all(not np.array_equal(a, p.numpy()) for a, p in zip(before, model.parameters()))


def test_resuming_with_other_privacy_settings_is_refused(tmp_path):
    private_fit(tmp_path, 4, sigma=None, target_epsilon=2.0, q=0.05)
    with pytest.raises(ValueError, match="other privacy settings"):  # steps change sigma
        private_fit(tmp_path, 40, sigma=None, target_epsilon=2.0, q=0.05, resume=True)


def test_without_a_seed_the_noise_is_not_repeatable():
    corpus, X, Y = names_data(50)

    def run():
        minilm.manual_seed(0)
        model = MLPLM(MLPLMConfig(vocab_size=corpus.vocab_size, context=3, embed_dim=4,
                                  hidden=8))  # fmt: skip
        dp = DPSGD(data=(X, Y), per_example_loss=mlp_losses, noise_multiplier=1.0,
                   sample_rate=0.2)  # fmt: skip
        fit(model, optim.SGD(model.parameters(), lr=0.1), None, 2, privacy=dp, seed=0,
            progress=False)  # fmt: skip
        return model.out.weight.numpy().copy()

    assert not np.array_equal(run(), run())  # fit's seed does not seed the noise


def test_the_privacy_bench_runs_and_refuses_too_many_names(tmp_path, capsys):
    from minilm.bench import privacy as bench

    out = tmp_path / "privacy.png"
    assert bench.main(["--names", "40", "--steps", "4", "--plot", str(out)]) == 0
    text = capsys.readouterr().out
    for model in ("dp", "plain", "overfit", "control"):
        assert f"\n{model} " in text
    assert out.stat().st_size > 10_000
    with pytest.raises(SystemExit):
        bench.main(["--names", "10000000"])
    assert "n_names must be in 1.." in capsys.readouterr().err
