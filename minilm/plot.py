"""Plots for training: loss curves and learning-rate schedules (matplotlib).

matplotlib is imported only when a function is called (it is an optional
dependency), and without a display it draws with the Agg backend, so these work
in CI and over SSH; save the figure with ``ax.figure.savefig(path)``.

>>> from minilm.train import History
>>> ax = plot_history(History(step=[1, 2, 3], loss=[2.0, 1.5, 1.2], lr=[0.1] * 3))
>>> ax.get_xlabel()
'step'
"""

from __future__ import annotations

import os
import sys


def _pyplot():
    import matplotlib

    interactive = "inline" in matplotlib.get_backend().lower() or "ipykernel" in sys.modules
    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY") and not interactive:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _axes(ax):
    if ax is None:
        _, ax = _pyplot().subplots(figsize=(6, 4))
    return ax


def smooth(values, weight: float = 0.9) -> list[float]:
    """Exponential moving average with bias correction (as TensorBoard smooths curves).

    >>> smooth([1.0, 1.0, 1.0], 0.5)
    [1.0, 1.0, 1.0]
    """
    out, avg = [], 0.0
    for t, v in enumerate(values, start=1):
        avg = weight * avg + (1 - weight) * v
        out.append(avg / (1 - weight**t))
    return out


def plot_history(history, metric: str = "loss", ax=None, smoothing: float = 0.0, log: bool = False):
    """Training loss per step (optionally smoothed) and the evaluation ``metric`` as
    points, from a :class:`minilm.train.History`. Returns the matplotlib Axes."""
    ax = _axes(ax)
    train = smooth(history.loss, smoothing) if smoothing else history.loss
    ax.plot(history.step, train, label="train loss", lw=1)
    steps, values = history.eval_metric(metric)
    if steps:
        ax.plot(steps, values, "o-", label=f"eval {metric}", ms=3)
    ax.set_xlabel("step")
    ax.set_ylabel(metric if metric != "loss" or not steps else "loss")
    if log:
        ax.set_yscale("log")
    ax.legend()
    ax.grid(alpha=0.3)
    return ax


def lr_curve(make_scheduler, steps: int, lr: float = 1.0) -> list[float]:
    """The learning rates a schedule gives over ``steps`` steps, found by running it
    on a throwaway optimizer: ``make_scheduler(optimizer) -> scheduler``.

    >>> from minilm.optim import StepLR
    >>> lr_curve(lambda opt: StepLR(opt, step_size=2, gamma=0.5), steps=4)
    [1.0, 1.0, 0.5, 0.5]
    """
    from .optim import SGD
    from .tensor import zeros

    opt = SGD([zeros(1, requires_grad=True)], lr=lr)
    sched = make_scheduler(opt)
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        sched.step()
    return lrs


def plot_lr(lrs_or_history, ax=None, label: str | None = None):
    """Plot a learning-rate schedule: a list of rates (e.g. from :func:`lr_curve`) or
    a History's ``lr``. Returns the Axes.

    >>> from minilm.optim import WarmupCosineLR
    >>> ax = plot_lr(lr_curve(lambda o: WarmupCosineLR(o, 10, 100), 100), label="warmup+cosine")
    >>> len(ax.lines)
    1
    """
    ax = _axes(ax)
    lrs = getattr(lrs_or_history, "lr", lrs_or_history)
    ax.plot(range(1, len(lrs) + 1), lrs, label=label)
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    if label:
        ax.legend()
    ax.grid(alpha=0.3)
    return ax
