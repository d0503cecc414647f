"""The training run that tests/test_train_resume.py interrupts and resumes, and a worker
process that runs it until a real SIGINT stops it.

The run has everything that can make a resumed run drift: dropout, a warmup-cosine
schedule, gradient accumulation, evaluations that draw from the random generator,
early-stopping state (best weights), periodic checkpoints, and a callable or a list
data source.

Worker protocol (``python tests/fit_resume_worker.py``): for each stdin line
``SOURCE STEPS PATH``, print ``started``, run :func:`run` with SIGINT at its default
handler, and print ``interrupted STEP`` or ``finished STEP``. SIGINT is ignored
between runs, so a late signal is harmless.
"""

import signal
import sys

import minilm
import minilm.nn as nn
import minilm.optim as optim
from minilm import backend
from minilm.backend import np
from minilm.train import evaluate_loss, fit

ACCUMULATE, EVAL_EVERY, CHECKPOINT_EVERY = 2, 3, 4


def _points(n=24):
    rng = np.random.default_rng(1)
    X = rng.normal(0, 1, (n, 2)).astype(np.float32)
    return minilm.tensor(X), minilm.tensor((X[:, 0] * X[:, 1] > 0).astype(np.int64))


def setup(source, steps):
    """A fresh model, optimizer, scheduler, data source and eval_fn (seeded)."""
    X, y = _points()
    minilm.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Dropout(0.3), nn.Linear(8, 2))
    opt = optim.AdamW(model.parameters(), lr=0.05)
    sched = optim.WarmupCosineLR(opt, warmup_steps=3, total_steps=steps)

    def draw():  # a batch from minilm's generator, fetched at each call
        i = backend.rng("cpu").integers(0, len(y), 6)
        return X[i], y[i]

    # 5 batches: epochs and accumulation windows do not line up
    data = draw if source == "callable" else [(X[i::5], y[i::5]) for i in range(5)]

    def eval_fn(m):  # draws too, so the generator's state after an evaluation matters
        return evaluate_loss(m, [draw()])

    return model, opt, sched, data, eval_fn


def run(source, steps, path, resume=False, parts=None):
    """Train (or resume) the standard run; ``parts`` (model, opt, sched, data, eval_fn),
    if given, is what :func:`setup` returned, possibly instrumented by the caller."""
    model, opt, sched, data, eval_fn = parts or setup(source, steps)
    hist = fit(model, opt, data, steps, scheduler=sched, accumulate=ACCUMULATE,
               eval_fn=eval_fn, eval_every=EVAL_EVERY, patience=1000,
               checkpoint_path=path, checkpoint_every=CHECKPOINT_EVERY, resume=resume,
               seed=None if resume else 3, progress=False)  # fmt: skip
    return model, opt, sched, hist


def state(model, opt, sched, hist) -> dict:
    """Everything a finished run is: compared bit for bit."""
    h = hist.as_dict()
    h.pop("interrupted")
    opt_state = [
        {k: np.array(v.numpy() if hasattr(v, "numpy") else v) for k, v in s.items()}
        for _, s in sorted(opt.state_dict()["state"].items())
    ]
    return {"params": [p.numpy().copy() for p in model.parameters()], "opt": opt_state,
            "groups": opt.state_dict()["param_groups"], "sched": sched.state_dict(),
            "history": h, "rng": backend.get_rng_state()}  # fmt: skip


def assert_same(a: dict, b: dict) -> None:
    for key in ("history", "sched", "groups", "rng"):
        assert a[key] == b[key], f"{key} differs"
    for i, (p, q) in enumerate(zip(a["params"], b["params"], strict=True)):
        np.testing.assert_array_equal(p, q, strict=True, err_msg=f"parameter {i} differs")
    for s, t in zip(a["opt"], b["opt"], strict=True):
        assert s.keys() == t.keys()
        for k in s:
            np.testing.assert_array_equal(s[k], t[k], strict=True, err_msg=f"optimizer {k}")


def main():
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for line in sys.stdin:
        source, steps, path = line.split()
        print("started", flush=True)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            *_, hist = run(source, int(steps), path)
        except KeyboardInterrupt:  # outside fit's own handling (at its very end): say so
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            print("late -1", flush=True)
            continue
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        print("interrupted" if hist.interrupted else "finished", len(hist.step), flush=True)


if __name__ == "__main__":
    main()
