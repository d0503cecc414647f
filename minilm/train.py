"""The training loop every chapter uses: :func:`fit`.

One call trains a model for a number of optimizer steps and returns a
:class:`History`. Around the three lines at its heart (``loss.backward()``,
``optimizer.step()``, ``optimizer.zero_grad()``) it adds what real training
needs: gradient accumulation and clipping, a learning-rate schedule, periodic
evaluation, early stopping, a progress bar (loss, lr, tokens/s), checkpoints
every N steps and on Ctrl-C, exact resumption, and a seed.

>>> import minilm, minilm.nn as nn, minilm.optim as optim
>>> from minilm.train import fit
>>> X = minilm.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
>>> y = minilm.tensor([0, 1, 1, 0])
>>> minilm.manual_seed(0)
>>> model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
>>> hist = fit(model, optim.Adam(model.parameters(), lr=0.05), [(X, y)], steps=200,
...            progress=False)
>>> hist.loss[-1] < 0.05
True
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import asdict, dataclass, field

from . import functional as F
from .io import load_checkpoint, save_checkpoint
from .optim.clip import clip_grad_norm_
from .progress import progress_bar
from .tensor import Tensor, manual_seed, no_grad


@dataclass
class History:
    """What happened during training: one entry per optimizer step in ``step``,
    ``loss`` and ``lr``; one dict per evaluation in ``eval`` (with its ``step``)."""

    step: list = field(default_factory=list)
    loss: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    eval: list = field(default_factory=list)
    best_step: int | None = None
    stopped_early: bool = False
    interrupted: bool = False

    def eval_metric(self, name: str = "loss") -> tuple[list, list]:
        """(steps, values) of one evaluation metric, ready to plot."""
        rows = [e for e in self.eval if name in e]
        return [e["step"] for e in rows], [e[name] for e in rows]

    def as_dict(self) -> dict:
        return asdict(self)


def cross_entropy_loss(model, batch) -> Tensor:
    """The default loss: ``batch = (x, y)``, ``cross_entropy(model(x), y)``."""
    x, y = batch
    return F.cross_entropy(model(x), y)


def _batches(data):
    """An endless stream of batches: call ``data()`` each time, or loop over an
    iterable (a list, a data loader) epoch after epoch."""
    if callable(data):
        while True:
            yield data()
    while True:
        empty = True
        for batch in data:
            empty = False
            yield batch
        if empty:
            raise ValueError("fit: the training data yielded no batches")


def _count_tokens(batch) -> int:
    """Targets counted as 'tokens': (B, T) targets are B*T tokens, (B,) labels B."""
    last = batch[-1] if isinstance(batch, (tuple, list)) else batch
    return last.size if isinstance(last, Tensor) else 0


def _evaluate(model, eval_fn) -> dict:
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            result = eval_fn(model)
    finally:
        model.train(was_training)
    result = result if isinstance(result, dict) else {"loss": result}
    return {k: float(v.item() if isinstance(v, Tensor) else v) for k, v in result.items()}


def _train_step(model, optimizer, stream, loss_fn, accumulate, clip_grad_norm):
    """One optimizer step over ``accumulate`` micro-batches; returns (mean loss, tokens)."""
    loss_sum, tokens = 0.0, 0
    for _ in range(accumulate):
        batch = next(stream)
        loss = loss_fn(model, batch)
        (loss * (1.0 / accumulate) if accumulate > 1 else loss).backward()
        loss_sum += float(loss.item())
        tokens += _count_tokens(batch)
    if clip_grad_norm is not None:
        clip_grad_norm_(model.parameters(), clip_grad_norm)
    optimizer.step()
    optimizer.zero_grad()
    return loss_sum / accumulate, tokens


def fit(model, optimizer, data, steps: int, *, loss_fn=cross_entropy_loss, scheduler=None,
        eval_fn=None, eval_every: int | None = None, clip_grad_norm: float | None = None,
        accumulate: int = 1, patience: int | None = None, monitor: str = "loss",
        restore_best: bool = True, checkpoint_path=None, checkpoint_every: int | None = None,
        resume: bool = False, config=None, seed: int | None = None,
        progress: bool = True) -> History:  # fmt: skip
    """Train ``model`` for ``steps`` optimizer steps; return a :class:`History`.

    - ``data``: a function returning a batch, or an iterable of batches (looped over).
    - ``loss_fn(model, batch) -> scalar Tensor``; by default cross-entropy of
      ``model(x)`` against ``y`` for ``batch = (x, y)``.
    - ``accumulate``: micro-batches per step (their gradients add up, each loss
      scaled by 1/accumulate); ``clip_grad_norm``: clip the total gradient norm.
    - ``scheduler``: stepped after every optimizer step.
    - ``eval_fn(model) -> float or dict``: run (in eval mode, without gradients)
      every ``eval_every`` steps and at the end. ``patience``: stop after that many
      evaluations without a new lowest ``monitor``; ``restore_best`` then reloads
      the best weights.
    - ``checkpoint_path``: saved every ``checkpoint_every`` steps, at the end and
      on Ctrl-C (which stops training and returns the history so far);
      ``resume=True`` continues from it, exactly: the same batches, dropout masks
      and updates as an uninterrupted run.
    - ``seed``: calls ``minilm.manual_seed(seed)`` first.
    """
    if steps < 0 or accumulate < 1:
        raise ValueError(f"fit: need steps >= 0 and accumulate >= 1, got {steps}, {accumulate}")
    if patience is not None and eval_fn is None:
        raise ValueError("fit: early stopping (patience) needs an eval_fn")
    if seed is not None:
        manual_seed(seed)
    history, start = History(), 0
    if resume and checkpoint_path is not None and os.path.exists(checkpoint_path):
        ckpt = load_checkpoint(checkpoint_path, model=model, optimizer=optimizer,
                               scheduler=scheduler)  # fmt: skip
        start, history = ckpt["step"], History(**ckpt.get("history", {}))
        history.interrupted = False
    stream = _batches(data)
    if not callable(data):  # an iterable replays from the start: skip what was used
        for _ in range(start * accumulate):
            next(stream)

    def checkpoint(step):
        if checkpoint_path is not None:
            save_checkpoint(checkpoint_path, model=model, optimizer=optimizer,
                            scheduler=scheduler, step=step, config=config,
                            history=history.as_dict())  # fmt: skip

    best, best_state, bad_evals = math.inf, None, 0
    if history.eval and history.best_step is not None:
        best = min(e[monitor] for e in history.eval if monitor in e)
    model.train()
    optimizer.zero_grad()
    bar = progress_bar(total=steps, initial=start, enabled=progress, desc="fit")
    t0, tokens, done = time.perf_counter(), 0, start
    try:
        for step in range(start, steps):
            lr = optimizer.param_groups[0]["lr"]
            loss, n_tokens = _train_step(model, optimizer, stream, loss_fn, accumulate,
                                         clip_grad_norm)  # fmt: skip
            if scheduler is not None:
                scheduler.step()
            done, tokens = step + 1, tokens + n_tokens
            history.step.append(done)
            history.loss.append(loss)
            history.lr.append(lr)
            rate = tokens / max(time.perf_counter() - t0, 1e-9)
            bar.set_postfix({"loss": f"{history.loss[-1]:.4f}", "lr": f"{lr:.2e}",
                             "tok/s": f"{rate:,.0f}"}, refresh=False)  # fmt: skip
            bar.update(1)
            if eval_fn is not None and (done == steps or (eval_every and done % eval_every == 0)):
                metrics = _evaluate(model, eval_fn)
                history.eval.append({"step": done, **metrics})
                if progress:
                    elapsed = time.perf_counter() - t0
                    bar.write(f"step {done} ({elapsed:.0f} s): "
                              + ", ".join(f"{k} {v:.4f}" for k, v in metrics.items()))  # fmt: skip
                if metrics.get(monitor, math.inf) < best:
                    best, bad_evals, history.best_step = metrics[monitor], 0, done
                    if patience is not None and restore_best:
                        best_state = {k: v.data.copy() for k, v in model.state_dict().items()}
                elif patience is not None:
                    bad_evals += 1
                    if bad_evals >= patience:
                        history.stopped_early = True
                        break
            if checkpoint_every and done % checkpoint_every == 0 and done != steps:
                checkpoint(done)
    except KeyboardInterrupt:
        history.interrupted = True
        optimizer.zero_grad()
        if progress:
            saved = f"; checkpoint saved to {checkpoint_path}" if checkpoint_path else ""
            bar.write(f"interrupted after step {done}{saved}")
    finally:
        bar.close()
    if history.stopped_early and best_state is not None:
        model.load_state_dict(best_state)
    checkpoint(done)
    return history


def evaluate_loss(model, batches, loss_fn=cross_entropy_loss) -> float:
    """Mean loss over ``batches`` without gradients (a ready-made ``eval_fn`` body).

    >>> import minilm, minilm.nn as nn
    >>> model = nn.Linear(2, 3)
    >>> loss = evaluate_loss(model, [(minilm.randn(4, 2), minilm.tensor([0, 1, 2, 0]))])
    >>> loss > 0
    True
    """
    with no_grad():
        losses = [float(loss_fn(model, b).item()) for b in batches]
    return sum(losses) / max(len(losses), 1)


__all__ = ["fit", "History", "cross_entropy_loss", "evaluate_loss"]
