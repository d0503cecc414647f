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
