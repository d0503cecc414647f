"""Exact resume: a run stopped by Ctrl-C anywhere and resumed equals, bit for bit, the
run that was never stopped (weights, optimizer and scheduler state, history, random
generator), with dropout, a schedule, accumulation, evaluations, and a callable or a
list as the data. Two ways: a SIGINT raised at each dangerous point (those windows last
microseconds, so random signals rarely hit them), and real SIGINTs at seeded random
moments sent to a worker process (tests/fit_resume_worker.py)."""

import os
import random
import signal
import subprocess
import sys
import time

import fit_resume_worker as W
import pytest

import minilm
import minilm.nn as nn
import minilm.optim as optim
from minilm import backend
from minilm.backend import np
from minilm.tensor import Tensor
from minilm.train import fit

STEPS = 12  # evaluations after steps 3, 6, 9, 12; checkpoints after 4 and 8


@pytest.fixture(autouse=True)
def python_sigint_handler():
    """Python's own SIGINT handler, as in a terminal: a process started in the
    background (``nohup cmd &``) inherits SIGINT ignored, and Ctrl-C could not be tested."""
    saved = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, saved)


def sigint():
    """What Ctrl-C does, right here: the handler fit installed (or Python's) runs now."""
    signal.raise_signal(signal.SIGINT)


class AtCall:
    """Calling it sends SIGINT on the n-th call."""

    def __init__(self, n):
        self.n, self.calls = n, 0

    def __call__(self):
        self.calls += 1
        if self.calls == self.n:
            sigint()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The uninterrupted run's final state (and how long it took), per source and length."""
    cache = {}

    def get(source, steps=STEPS):
        if (source, steps) not in cache:
            path = tmp_path_factory.mktemp("reference") / "ckpt.npz"
            t = time.perf_counter()
            final = W.state(*W.run(source, steps, path))
            cache[source, steps] = final, time.perf_counter() - t
        return cache[source, steps]

    return get


def instrument(point, n, parts, monkeypatch):
    """Send SIGINT at the n-th pass through ``point`` of the run made of ``parts``."""
    model, opt, sched, data, eval_fn = parts
    hit = AtCall(n)
    if point == "loss":  # mid-forward: this micro-batch's dropout mask is drawn
        drop, forward = model[2], model[2].forward
        monkeypatch.setattr(drop, "forward", lambda x: (forward(x), drop.training and hit())[0])
    elif point == "backward":
        backward = Tensor.backward
        monkeypatch.setattr(Tensor, "backward", lambda t, *a, **k: (backward(t, *a, **k), hit()))
    elif point == "optimizer":  # between two parameters' updates
        update = opt.update
        monkeypatch.setattr(opt, "update", lambda *a: (update(*a), hit()))
    elif point == "after_step":  # the weights are updated, the step not yet counted
        step = opt.step
        monkeypatch.setattr(opt, "step", lambda: (step(), hit())[0])
    elif point == "scheduler":  # last_epoch moved on, the new lr not yet set
        lr_at = sched.lr_at
        monkeypatch.setattr(sched, "lr_at", lambda *a: (lr_at(*a), hit())[0])
    elif point == "eval":  # the evaluation has drawn its batch
        parts = (*parts[:4], lambda m: (eval_fn(m), hit())[0])
    elif point == "checkpoint":  # a periodic checkpoint is being written
        replace = os.replace
        monkeypatch.setattr(os, "replace", lambda a, b: (hit(), replace(a, b)))
    return parts


# (point, n-th pass, steps completed when the interrupt lands); 2 micro-batches and
# 4 parameters per step
CASES = [("loss", 3, 1), ("loss", 8, 3), ("backward", 2, 0), ("backward", 9, 4),
         ("optimizer", 2, 1), ("optimizer", 19, 5), ("after_step", 1, 1), ("after_step", 7, 7),
         ("scheduler", 4, 4), ("scheduler", 12, 12), ("eval", 1, 3), ("eval", 4, 12),
         ("checkpoint", 1, 4), ("checkpoint", 2, 8)]  # fmt: skip


def interrupted_run(source, path, point, n, monkeypatch):
    parts = instrument(point, n, W.setup(source, STEPS), monkeypatch)
    try:
        *_, hist = W.run(source, STEPS, path, parts=parts)
    except KeyboardInterrupt:  # pragma: no cover - a failure, not a crash of the test session
        pytest.fail(f"KeyboardInterrupt escaped fit (at {point} #{n})")
    finally:
        monkeypatch.undo()
    return hist


@pytest.mark.parametrize("source", ["callable", "list"])
@pytest.mark.parametrize(("point", "n", "done"), CASES, ids=[f"{p}{n}" for p, n, _ in CASES])
def test_interrupt_at_each_dangerous_point_then_resume_is_exact(
    tmp_path, monkeypatch, reference, source, point, n, done
):
    path = tmp_path / "ckpt.npz"
    hist = interrupted_run(source, path, point, n, monkeypatch)
    assert hist.interrupted
    saved = minilm.load(path)["step"]
    W.assert_same(W.state(*W.run(source, STEPS, path, resume=True)), reference(source)[0])
    assert saved == len(hist.step) == done  # the last step completed, as a whole


def test_two_interrupts_then_resume_is_exact(tmp_path, monkeypatch, reference):
    path = tmp_path / "ckpt.npz"
    assert interrupted_run("list", path, "optimizer", 10, monkeypatch).interrupted  # step 3
    parts = instrument("loss", 5, W.setup("list", STEPS), monkeypatch)  # steps 4 to 6
    _, _, _, hist = W.run("list", STEPS, path, resume=True, parts=parts)
    monkeypatch.undo()
    assert hist.interrupted and hist.step[-1] == 5
    W.assert_same(W.state(*W.run("list", STEPS, path, resume=True)), reference("list")[0])


def test_sigint_at_random_moments_in_a_worker_process(tmp_path, reference):
    steps, rnd, outcomes = 150, random.Random(15), []
    worker = subprocess.Popen([sys.executable, W.__file__], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        for source in ("callable", "list"):
            final, seconds = reference(source, steps)
            for trial in range(4):
                path = tmp_path / f"{source}{trial}.npz"
                worker.stdin.write(f"{source} {steps} {path}\n")
                worker.stdin.flush()
                assert worker.stdout.readline().split() == ["started"]
                time.sleep(rnd.uniform(0.05, 0.7) * seconds)
                worker.send_signal(signal.SIGINT)
                outcome, done = worker.stdout.readline().split()
                outcomes.append((source, outcome, int(done)))
                resumed = W.state(*W.run(source, steps, path, resume=True))
                try:
                    W.assert_same(resumed, final)
                except AssertionError as e:
                    raise AssertionError(f"resumed after {outcomes[-1]}: {e}") from None
    finally:
        worker.stdin.close()
        worker.wait(timeout=30)
    print(outcomes)
    assert sum(o == "interrupted" for _, o, _ in outcomes) >= 3, outcomes


def test_a_data_function_with_its_own_generator_resumes_exactly(tmp_path):
    X, y = W._points()

    def run(path, resume=False, interrupt_at=None):
        minilm.manual_seed(0)
        gen, calls = np.random.default_rng(5), AtCall(interrupt_at or 0)
        model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Dropout(0.3), nn.Linear(8, 2))
        opt = optim.Adam(model.parameters(), lr=0.05)

        def draw():
            i = gen.integers(0, len(y), 6)
            calls()
            return X[i], y[i]

        hist = fit(model, opt, draw, 8, generators=[gen], checkpoint_path=path, resume=resume,
                   progress=False)  # fmt: skip
        return [p.numpy() for p in model.parameters()], hist

    straight, straight_hist = run(tmp_path / "a.npz")
    assert run(tmp_path / "b.npz", interrupt_at=4)[1].interrupted
    resumed, resumed_hist = run(tmp_path / "b.npz", resume=True)
    assert resumed_hist.loss == straight_hist.loss
    for p, q in zip(straight, resumed):
        np.testing.assert_array_equal(p, q)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Dropout(0.3), nn.Linear(8, 2))
    with pytest.raises(ValueError, match="state of 1 generators, but fit got 0"):
        fit(model, optim.Adam(model.parameters()), lambda: None, 9,
            checkpoint_path=tmp_path / "b.npz", resume=True, progress=False)  # fmt: skip


def test_early_stopping_survives_resume(tmp_path):
    X, y = W._points()
    scores = [None, 1.0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.97, 0.98] + [0.99] * 20

    def run(path, resume=False, interrupt_at=None):
        minilm.manual_seed(0)
        model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
        opt = optim.SGD(model.parameters(), lr=0.1)
        sched = optim.StepLR(opt, step_size=1000)  # its last_epoch is the step just done
        calls = AtCall(interrupt_at or 0)

        def draw():
            calls()
            i = backend.rng("cpu").integers(0, len(y), 6)
            return X[i], y[i]

        def eval_fn(m):
            return scores[sched.last_epoch]

        hist = fit(model, opt, draw, 20, scheduler=sched, eval_fn=eval_fn, eval_every=1, patience=3,
                   checkpoint_path=path, resume=resume, progress=False)  # fmt: skip
        return [p.numpy().copy() for p in model.parameters()], hist

    straight, straight_hist = run(tmp_path / "a.npz")
    assert straight_hist.stopped_early and straight_hist.step[-1] == 5
    assert straight_hist.best_step == 2
    # interrupted drawing step 4's batch: one evaluation without progress so far
    assert run(tmp_path / "b.npz", interrupt_at=4)[1].step[-1] == 3
    resumed, resumed_hist = run(tmp_path / "b.npz", resume=True)
    assert resumed_hist.step == straight_hist.step and resumed_hist.eval == straight_hist.eval
    assert resumed_hist.stopped_early and resumed_hist.best_step == 2
    for p, q in zip(straight, resumed):
        np.testing.assert_array_equal(p, q)  # the best weights (after step 2), restored
    again, again_hist = run(tmp_path / "b.npz", resume=True)  # a stopped run stays stopped
    assert again_hist.step == straight_hist.step
    for p, q in zip(straight, again):
        np.testing.assert_array_equal(p, q)
