"""The fit loop: it learns (XOR, two spirals), and each feature does what it says."""

import pytest

import minilm
import minilm.nn as nn
import minilm.optim as optim
import minilm.train as train_mod
from minilm import backend
from minilm.backend import np
from minilm.train import History, evaluate_loss, fit


def accuracy(model, X, y):
    with minilm.no_grad():
        return float((model(X).argmax(axis=-1).numpy() == y.numpy()).mean())


def two_spirals(n=100, seed=0):
    """Two interleaved spirals, n points each: a classic that a linear model can't split."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0.25, 1, n) * 3 * np.pi  # angle: one and a half turns
    r = t / (3 * np.pi)
    pts = [np.stack([r * np.cos(t + c * np.pi), r * np.sin(t + c * np.pi)], 1) for c in (0, 1)]
    X = np.concatenate(pts) + rng.normal(0, 0.02, (2 * n, 2))
    return minilm.tensor(X.astype(np.float32)), minilm.tensor(np.repeat([0, 1], n))


def mlp(hidden=32, dropout=0.0):
    return nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Dropout(dropout),
                         nn.Linear(hidden, hidden), nn.Tanh(), nn.Linear(hidden, 2))  # fmt: skip


def sampler(X, y, batch_size):
    """A batch drawn with minilm's generator, so seeds and checkpoints fix it."""

    def get():
        i = backend.rng("cpu").integers(0, len(y), batch_size)
        return X[i], y[i]

    return get


def test_xor_reaches_100_percent():
    X = minilm.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = minilm.tensor([0, 1, 1, 0])
    minilm.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
    hist = fit(model, optim.Adam(model.parameters(), lr=0.05), [(X, y)], steps=150, progress=False)
    assert accuracy(model, X, y) == 1.0
    assert hist.loss[-1] < hist.loss[0]


def test_two_spirals_reach_97_percent():
    X, y = two_spirals()
    minilm.manual_seed(0)
    model = mlp()
    opt = optim.Adam(model.parameters(), lr=0.02)
    hist = fit(model, opt, [(X, y)], steps=500, eval_fn=lambda m: {"acc": accuracy(m, X, y)},
               eval_every=100, progress=False)  # fmt: skip
    assert accuracy(model, X, y) >= 0.97
    steps, accs = hist.eval_metric("acc")
    assert steps == [100, 200, 300, 400, 500] and accs[-1] >= 0.97


def test_history_records_every_step_and_each_evaluation():
    X, y = two_spirals(20)
    model = mlp(8)
    opt = optim.SGD(model.parameters(), lr=0.1)
    sched = optim.StepLR(opt, step_size=5, gamma=0.5)
    hist = fit(model, opt, [(X, y)], steps=12, scheduler=sched, progress=False,
               eval_fn=lambda m: evaluate_loss(m, [(X, y)]), eval_every=5)  # fmt: skip
    assert hist.step == list(range(1, 13)) and len(hist.loss) == 12
    assert hist.lr == [0.1] * 5 + [0.05] * 5 + [0.025] * 2  # the lr each step used
    assert [e["step"] for e in hist.eval] == [5, 10, 12]
    assert all("loss" in e for e in hist.eval) and hist.best_step is not None
    assert model.training  # evaluation ran in eval mode and switched back


def test_gradient_accumulation_equals_one_big_batch():
    X = minilm.randn(8, 2).double()
    y = minilm.tensor([0, 1, 2, 0, 1, 2, 0, 1])

    def run(data, accumulate):
        minilm.manual_seed(0)
        model = nn.Linear(2, 3, dtype=np.float64)
        fit(model, optim.SGD(model.parameters(), lr=0.5), data, steps=3, accumulate=accumulate,
            progress=False)  # fmt: skip
        return model.weight.numpy()

    halves = [(X[:4], y[:4]), (X[4:], y[4:])]
    np.testing.assert_allclose(run(halves, 2), run([(X, y)], 1), rtol=1e-12)


def test_gradient_clipping_limits_each_update():
    X, y = two_spirals(20)
    model = nn.Linear(2, 2)
    before = model.weight.numpy().copy()
    fit(model, optim.SGD(model.parameters(), lr=1.0), [(X, y)], steps=1, clip_grad_norm=1e-3,
        progress=False)  # fmt: skip
    assert np.sqrt(((model.weight.numpy() - before) ** 2).sum()) <= 1e-3 * (1 + 1e-4)


def test_early_stopping_restores_the_best_weights():
    X, y = two_spirals(20)
    model = mlp(8)
    scores, snapshots = iter([1.0, 0.5, 0.7, 0.8, 0.9, 0.95]), []

    def eval_fn(m):
        snapshots.append(m[0].weight.numpy().copy())
        return next(scores)

    hist = fit(model, optim.Adam(model.parameters(), lr=0.01), [(X, y)], steps=100,
               eval_fn=eval_fn, eval_every=1, patience=2, progress=False)  # fmt: skip
    assert hist.stopped_early and hist.best_step == 2 and hist.step[-1] == 4
    np.testing.assert_array_equal(model[0].weight.numpy(), snapshots[1])


def test_checkpoints_every_n_steps_and_at_the_end(tmp_path, monkeypatch):
    saved = []
    monkeypatch.setattr(train_mod, "save_checkpoint", lambda path, step, **kw: saved.append(step))
    X, y = two_spirals(10)
    model = mlp(4)
    fit(model, optim.SGD(model.parameters(), lr=0.1), [(X, y)], steps=7, progress=False,
        checkpoint_path=tmp_path / "c.npz", checkpoint_every=3)  # fmt: skip
    assert saved == [3, 6, 7]


def run_spirals(tmp_path, steps, data=None, resume=False, seed=None):
    X, y = two_spirals(30)
    minilm.manual_seed(0)
    model = mlp(8, dropout=0.1)
    opt = optim.AdamW(model.parameters(), lr=0.01)
    sched = optim.WarmupCosineLR(opt, warmup_steps=2, total_steps=10)
    hist = fit(model, opt, data or sampler(X, y, 16), steps=steps, scheduler=sched,
               checkpoint_path=tmp_path / "ckpt.npz", resume=resume, seed=seed,
               progress=False, config={"hidden": 8})  # fmt: skip
    return model, hist


def test_ctrl_c_saves_a_checkpoint_and_resume_is_exact(tmp_path):
    straight, straight_hist = run_spirals(tmp_path / "a", 10, seed=1)

    X, y = two_spirals(30)
    get, calls = sampler(X, y, 16), []

    def interrupted():
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return get()

    _, hist = run_spirals(tmp_path / "b", 10, data=interrupted, seed=1)
    assert hist.interrupted and hist.step[-1] == 4
    assert minilm.load(tmp_path / "b" / "ckpt.npz")["step"] == 4
    resumed, resumed_hist = run_spirals(tmp_path / "b", 10, resume=True, seed=1)
    assert resumed_hist.step == list(range(1, 11)) and not resumed_hist.interrupted
    assert resumed_hist.loss == straight_hist.loss
    for p, q in zip(straight.parameters(), resumed.parameters()):
        assert np.array_equal(p.numpy(), q.numpy())


def test_resume_from_an_iterable_skips_used_batches(tmp_path):
    X, y = two_spirals(12)
    batches = [(X[i::3], y[i::3]) for i in range(3)]

    def run(steps, path, resume=False):
        minilm.manual_seed(0)
        model = mlp(4)
        fit(model, optim.SGD(model.parameters(), lr=0.1, momentum=0.9), batches, steps=steps,
            checkpoint_path=path, resume=resume, progress=False)  # fmt: skip
        return model

    a = run(7, tmp_path / "a.npz")
    run(4, tmp_path / "b.npz")
    b = run(7, tmp_path / "b.npz", resume=True)
    for p, q in zip(a.parameters(), b.parameters()):
        assert np.array_equal(p.numpy(), q.numpy())


def test_same_seed_same_run(tmp_path):
    _, h1 = run_spirals(tmp_path / "1", 5, seed=7)
    _, h2 = run_spirals(tmp_path / "2", 5, seed=7)
    _, h3 = run_spirals(tmp_path / "3", 5, seed=8)
    assert h1.loss == h2.loss and h1.loss != h3.loss


def test_progress_bar_shows_loss_lr_and_tokens_per_second(capsys):
    X, y = two_spirals(10)
    model = mlp(4)
    fit(model, optim.SGD(model.parameters(), lr=0.1), [(X, y)], steps=3, progress=True,
        eval_fn=lambda m: 1.0)  # fmt: skip
    err = capsys.readouterr().err
    assert "loss=" in err and "lr=1.00e-01" in err and "tok/s=" in err and "3/3" in err


def test_bad_arguments():
    model = nn.Linear(2, 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="steps >= 0"):
        fit(model, opt, [], steps=-1)
    with pytest.raises(ValueError, match="needs an eval_fn"):
        fit(model, opt, [], steps=1, patience=3)
    with pytest.raises(ValueError, match="no batches"):
        fit(model, opt, [], steps=1, progress=False)
    assert History().eval_metric("loss") == ([], [])


def nan_at(call, loss_fn=train_mod.cross_entropy_loss):
    """A loss that is NaN at its ``call``-th call (counting from 1)."""
    calls = []

    def loss(model, batch):
        calls.append(1)
        value = loss_fn(model, batch)
        return value * float("nan") if len(calls) == call else value

    return loss


def test_a_nan_loss_stops_fit_at_its_step_before_any_update(tmp_path):
    X, y = two_spirals(10)
    path = tmp_path / "c.npz"

    def run(steps, **kw):
        minilm.manual_seed(0)
        model = mlp(4)
        fit(model, optim.SGD(model.parameters(), lr=0.1), [(X, y)], steps=steps, progress=False,
            checkpoint_path=path, checkpoint_every=2, **kw)  # fmt: skip
        return model

    four = [p.numpy().copy() for p in run(4).parameters()]
    minilm.manual_seed(0)
    model = mlp(4)
    with pytest.raises(FloatingPointError, match=r"the loss is nan at step 5; no update") as e:
        fit(model, optim.SGD(model.parameters(), lr=0.1), [(X, y)], steps=10, progress=False,
            loss_fn=nan_at(5), checkpoint_path=path, checkpoint_every=2)  # fmt: skip
    assert isinstance(e.value, train_mod.NonFiniteError) and e.value.step == 5
    assert e.value.history.step == [1, 2, 3, 4]
    for p, q in zip(model.parameters(), four):  # the weights after step 4, not NaN
        np.testing.assert_array_equal(p.numpy(), q)
    ckpt = minilm.load(path)
    assert ckpt["step"] == 4 and all(np.isfinite(v.numpy()).all() for v in ckpt["model"].values())


def test_a_nan_in_one_micro_batch_is_never_backpropagated():
    X, y = two_spirals(10)
    model = mlp(4)
    with pytest.raises(FloatingPointError, match=r"nan \(micro-batch 2 of 3\) at step 2"):
        fit(model, optim.SGD(model.parameters(), lr=0.1), [(X, y)], steps=4, accumulate=3,
            loss_fn=nan_at(5), progress=False)  # fmt: skip


def test_a_non_finite_gradient_norm_stops_fit_before_the_update():
    model = nn.Linear(2, 2)
    before = [p.numpy().copy() for p in model.parameters()]
    X, y = two_spirals(5)

    def loss(m, batch):  # finite (0), but d sqrt(w) / dw is infinite at w = 0
        return train_mod.cross_entropy_loss(m, batch) * 0.0 + ((m.weight * 0.0) ** 0.5).sum()

    for clip in (None, 1.0):
        with (
            np.errstate(divide="ignore", invalid="ignore"),
            pytest.raises(FloatingPointError, match="the gradient norm is (inf|nan) at step 1"),
        ):
            fit(model, optim.SGD(model.parameters(), lr=0.1), [(X, y)], steps=2, loss_fn=loss,
                clip_grad_norm=clip, progress=False)  # fmt: skip
        for p, q in zip(model.parameters(), before):
            np.testing.assert_array_equal(p.numpy(), q)


def test_weights_that_overflow_are_never_checkpointed(tmp_path):
    X, y = two_spirals(5)
    model = nn.Linear(2, 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    path, step, calls = tmp_path / "c.npz", opt.step, []

    def overflowing_step():  # step 3's loss and gradients are finite, its update is not
        step()
        calls.append(1)
        if len(calls) == 3:
            model.weight.data[0, 0] = np.inf

    opt.step = overflowing_step
    with pytest.raises(FloatingPointError, match="weight is not finite after step 3.*not overwr"):
        fit(model, opt, [(X, y)], steps=5, checkpoint_path=path, checkpoint_every=1,
            progress=False)  # fmt: skip
    ckpt = minilm.load(path)
    assert ckpt["step"] == 2 and all(np.isfinite(v.numpy()).all() for v in ckpt["model"].values())


def test_on_nonfinite_skip_drops_the_step_and_records_it(tmp_path):
    X, y = two_spirals(10)
    good, bad = (X[::2], y[::2]), (X[1::2] * float("nan"), y[1::2])
    weights = []

    def loss(m, batch):
        weights.append(m[0].weight.numpy().copy())
        return train_mod.cross_entropy_loss(m, batch)

    model = mlp(4)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = optim.StepLR(opt, step_size=1, gamma=0.5)
    hist = fit(model, opt, [good, good, good, bad, good, good], steps=3, accumulate=2,
               loss_fn=loss, scheduler=sched, on_nonfinite="skip", progress=False,
               checkpoint_path=tmp_path / "c.npz")  # fmt: skip
    assert hist.skipped == [2] and hist.step == [1, 2, 3] and np.isnan(hist.loss[1])
    assert len(weights) == 6
    np.testing.assert_array_equal(weights[2], weights[4])  # step 2 changed nothing...
    assert hist.lr == [0.1, 0.05, 0.025]  # ...but counted as a step
    assert all(np.isfinite(p.numpy()).all() for p in model.parameters())
    assert minilm.load(tmp_path / "c.npz")["history"]["skipped"] == [2]
    with pytest.raises(ValueError, match="on_nonfinite must be 'raise' or 'skip'"):
        fit(model, opt, [good], steps=1, on_nonfinite="ignore")


def test_resume_without_a_checkpoint_says_so(tmp_path):
    X, y = two_spirals(5)
    model = nn.Linear(2, 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    missing = tmp_path / "typo.npz"
    with pytest.warns(UserWarning, match=r"no checkpoint at '.*typo\.npz'.*starts from step 0"):
        hist = fit(model, opt, [(X, y)], steps=2, checkpoint_path=missing, resume=True,
                   progress=False)  # fmt: skip
    assert hist.step == [1, 2]


def test_resume_must_refuses_a_missing_checkpoint(tmp_path):
    X, y = two_spirals(5)
    model = nn.Linear(2, 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(FileNotFoundError, match=r"no checkpoint.*other\.npz") as e:
        fit(model, opt, [(X, y)], steps=2, checkpoint_path=tmp_path / "other.npz",
            resume="must", progress=False)  # fmt: skip
    assert e.value.filename == str(tmp_path / "other.npz")
    assert not (tmp_path / "other.npz").exists()
    with pytest.raises(ValueError, match="resume='must' needs a checkpoint_path"):
        fit(model, opt, [(X, y)], steps=2, resume="must", progress=False)
    path = tmp_path / "there.npz"
    fit(model, opt, [(X, y)], steps=2, checkpoint_path=path, progress=False)
    hist = fit(model, opt, [(X, y)], steps=3, checkpoint_path=path, resume="must",
               progress=False)  # fmt: skip
    assert hist.step == [1, 2, 3]  # resumed from step 2
    with pytest.raises(ValueError, match="resume must be False, True or 'must'"):
        fit(model, opt, [(X, y)], steps=1, checkpoint_path=path, resume="yes")


def test_a_one_shot_generator_that_runs_out_says_after_how_many_batches():
    X, y = two_spirals(5)
    model = nn.Linear(2, 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"ran out after 3 batches \(step 4 needed more\)"):
        fit(model, opt, ((X, y) for _ in range(3)), steps=5, progress=False)
    with pytest.raises(ValueError, match=r"ran out after 3 batches \(step 2 needed more\)"):
        fit(model, opt, ((X, y) for _ in range(3)), steps=5, accumulate=2, progress=False)
    with pytest.raises(ValueError, match="yielded no batches"):
        fit(model, opt, (b for b in []), steps=5, progress=False)


def test_a_buffer_that_holds_minus_infinity_on_purpose_is_checkpointed(tmp_path):
    """Only the parameters the optimizer updates must be finite: an additive mask
    buffer of -inf is normal."""
    import minilm.nn as nn

    class Masked(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 2)
            self.register_buffer("mask", minilm.tensor([0.0, -float("inf")]))

        def forward(self, x):
            return self.lin(x)

    model = Masked()
    opt = minilm.optim.SGD(model.parameters(), lr=0.1)
    batch = (minilm.randn(4, 2), minilm.tensor([0, 1, 0, 1]))
    hist = fit(model, opt, lambda: batch, steps=3, checkpoint_path=tmp_path / "c.safetensors",
               progress=False)  # fmt: skip
    assert hist.step[-1] == 3 and (tmp_path / "c.safetensors").exists()
