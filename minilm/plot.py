"""Plots (matplotlib): loss curves and learning-rate schedules, and the plots the
models' lessons draw (GAN samples and losses, word vectors).

matplotlib is imported only when a function is called (so ``import minilm``
stays fast), and without a display it draws with the Agg backend, so these work
in CI and over SSH; save the figure with ``ax.figure.savefig(path)``.

>>> from minilm.train import History
>>> ax = plot_history(History(step=[1, 2, 3], loss=[2.0, 1.5, 1.2], lr=[0.1] * 3))
>>> ax.get_xlabel()
'step'
"""

from __future__ import annotations

import math
import os
import sys

from .backend import np


def pyplot():
    """``matplotlib.pyplot``, on the Agg backend when there is no display (CI, SSH)."""
    import matplotlib

    interactive = "inline" in matplotlib.get_backend().lower() or "ipykernel" in sys.modules
    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY") and not interactive:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def axes_or_new(ax=None):
    """``ax``, or the Axes of a new 6x4 figure when it is None."""
    if ax is None:
        _, ax = pyplot().subplots(figsize=(6, 4))
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
    ax = axes_or_new(ax)
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
    ax = axes_or_new(ax)
    lrs = getattr(lrs_or_history, "lr", lrs_or_history)
    ax.plot(range(1, len(lrs) + 1), lrs, label=label)
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    if label:
        ax.legend()
    ax.grid(alpha=0.3)
    return ax


# ---- models' plots ----


def plot_gan_samples(samples, dist, ax=None, title: str = ""):
    """Generated samples against the true distribution (a
    :class:`minilm.data.gan_toy.ToyDistribution`): a scatter over the mode
    centres in 2-D, a histogram over the true density in 1-D. Returns the Axes."""
    if ax is None:
        _, ax = pyplot().subplots(figsize=(4, 4))
    x = np.asarray(samples)
    if dist.dim == 1:
        lo, hi = dist.means.min() - 4 * dist.std - 1, dist.means.max() + 4 * dist.std + 1
        grid = np.linspace(lo, hi, 400)
        dens = sum(
            w * np.exp(-0.5 * ((grid - m[0]) / dist.std) ** 2) / (dist.std * math.sqrt(2 * math.pi))
            for m, w in zip(dist.means, dist.weights)
        )
        ax.hist(x[:, 0], bins=120, range=(lo, hi), density=True, alpha=0.6, label="generated")
        ax.plot(grid, dens, "k", lw=1, label="true density")
    else:
        ax.scatter(x[:, 0], x[:, 1], s=2, alpha=0.4, label="generated")
        ax.scatter(dist.means[:, 0], dist.means[:, 1], marker="x", c="red", s=40, label="modes")
        r = np.abs(dist.means).max() + 1
        ax.set_xlim(-r, r)
        ax.set_ylim(-r, r)
        ax.set_aspect("equal")
    ax.set_title(title)
    return ax


def plot_gan_snapshots(history, dist, title: str = "", max_panels: int = 6):
    """One panel per snapshot of a :class:`~minilm.models.gan.GANHistory`
    (at most ``max_panels``, evenly spread), each labelled with its step and
    modes covered. Returns the Figure."""
    snaps = history.snapshots
    if len(snaps) > max_panels:
        snaps = [snaps[int(i)] for i in np.linspace(0, len(snaps) - 1, max_panels)]
    fig, axes = pyplot().subplots(1, len(snaps), figsize=(2.6 * len(snaps), 2.8), squeeze=False)
    for ax, (step, x) in zip(axes[0], snaps):
        from .data.gan_toy import mode_coverage

        cov = mode_coverage(x, dist)
        plot_gan_samples(x, dist, ax, f"step {step}: {cov.covered}/{cov.total}")
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_gan_losses(history, ax=None, title: str = ""):
    """Discriminator and generator losses per generator step. Returns the Axes."""
    ax = axes_or_new(ax)
    ax.plot(history.step, smooth(history.d_loss, 0.95), label="discriminator / critic")
    ax.plot(history.step, smooth(history.g_loss, 0.95), label="generator")
    ax.set_xlabel("generator step")
    ax.set_ylabel("loss (smoothed)")
    ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    return ax


def plot_word_vectors(model, words, ax=None):
    """The vectors of ``words`` in a trained :class:`minilm.models.Word2Vec`, projected
    on their first two principal components, each point labelled. Returns the Axes."""
    ax = axes_or_new(ax)
    X = model.vectors()[[model.word_id(w) for w in words]]
    X = X - X.mean(axis=0)
    _, _, Vt = np.linalg.svd(X, full_matrices=False)
    P = X @ Vt[:2].T  # (n, 2): coordinates on the top two components
    ax.scatter(P[:, 0], P[:, 1], s=12)
    for (x, y), w in zip(P, words):
        ax.annotate(w, (x, y), fontsize=9, xytext=(3, 3), textcoords="offset points")
    ax.set_xlabel("PC 1")
    ax.set_ylabel("PC 2")
    return ax
