"""Toy distributions for GANs, and how to score a generator on them.

Two mixtures of Gaussians with known modes: :func:`gaussian_mixture_1d` and
:func:`ring_of_gaussians` (eight modes on a circle, the classic test of mode
collapse). A generator is scored on them by

- :func:`mode_coverage`: how many modes it covers. **The rule:** each generated
  sample is assigned to its nearest mode; it is a *hit* when it lies within
  ``n_std`` (default 3) standard deviations of that mode's centre; a mode is
  *covered* when its hits are at least ``min_share`` (default a quarter) of its
  fair share, ``n * weight``. ``quality`` is the share of samples that are hits.
- :func:`energy_distance` between generated and real samples: zero exactly when
  the two distributions are equal; and :func:`sliced_wasserstein`, the
  Wasserstein-1 distance averaged over random 1-D projections (exact in 1-D).

Their plots are :func:`minilm.plot.plot_gan_samples`, :func:`minilm.plot.plot_gan_snapshots`
and :func:`minilm.plot.plot_gan_losses`.

>>> ring = ring_of_gaussians()
>>> x = ring.sample(800, rng=0)
>>> mode_coverage(x, ring).covered
8
>>> mode_coverage(x[:, :1] * 0 + ring.means[0], ring).covered    # total collapse
1
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..backend import np
from ..backend import rng as _minilm_rng

__all__ = [
    "ToyDistribution",
    "gaussian_mixture_1d",
    "ring_of_gaussians",
    "Coverage",
    "mode_coverage",
    "energy_distance",
    "sliced_wasserstein",
]


def _generator(rng):
    if rng is None:
        return _minilm_rng("cpu")  # follows minilm.manual_seed
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


@dataclass(frozen=True)
class ToyDistribution:
    """A mixture of isotropic Gaussians: centres ``means`` (K, d), one ``std``,
    mixture ``weights`` (K,) summing to 1."""

    means: np.ndarray
    std: float
    weights: np.ndarray
    name: str = "mixture"

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    def sample(self, n: int, rng=None) -> np.ndarray:
        """``n`` samples (n, d) as float32; ``rng`` is a seed or a NumPy Generator
        (default: minilm's generator, so ``minilm.manual_seed`` fixes them)."""
        g = _generator(rng)
        k = g.choice(len(self.weights), size=n, p=self.weights)
        x = self.means[k] + self.std * g.standard_normal((n, self.dim))
        return x.astype(np.float32)


def gaussian_mixture_1d(means=(-4.0, 0.0, 4.0), std: float = 0.3, weights=None):
    """A 1-D mixture of equal-width Gaussians (by default three, equally likely).

    >>> gaussian_mixture_1d().sample(4, rng=0).shape
    (4, 1)
    """
    means = np.asarray(means, dtype=float).reshape(-1, 1)
    w = np.full(len(means), 1 / len(means)) if weights is None else np.asarray(weights, float)
    if w.shape != (len(means),) or abs(w.sum() - 1) > 1e-9 or (w < 0).any():
        raise ValueError(f"weights must be {len(means)} non-negative numbers summing to 1")
    return ToyDistribution(means, float(std), w, "mixture-1d")


def ring_of_gaussians(k: int = 8, radius: float = 2.0, std: float = 0.05):
    """``k`` equally likely Gaussians with centres evenly spaced on a circle.

    >>> ring_of_gaussians().means.shape
    (8, 2)
    """
    angles = 2 * math.pi * np.arange(k) / k
    means = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return ToyDistribution(means, float(std), np.full(k, 1 / k), f"ring-{k}")


@dataclass(frozen=True)
class Coverage:
    """Modes covered (of ``total``), hits per mode, and the share of samples
    that are hits (``quality``)."""

    covered: int
    total: int
    counts: tuple
    quality: float


def mode_coverage(samples, dist: ToyDistribution, n_std: float = 3.0, min_share: float = 0.25):
    """Score ``samples`` (n, d) by the modes of ``dist`` (the rule is in the module docstring).

    >>> d = gaussian_mixture_1d()
    >>> c = mode_coverage(d.sample(600, rng=1), d)
    >>> c.covered, c.total, c.quality > 0.99
    (3, 3, True)
    """
    x = np.asarray(samples, dtype=float).reshape(len(samples), -1)
    if x.shape[1] != dist.dim:
        raise ValueError(f"mode_coverage: samples have {x.shape[1]} dims, the data {dist.dim}")
    d = np.sqrt(((x[:, None, :] - dist.means[None]) ** 2).sum(-1))  # (n, K)
    nearest = d.argmin(axis=1)
    hit = d[np.arange(len(x)), nearest] <= n_std * dist.std
    counts = np.bincount(nearest[hit], minlength=len(dist.means))
    covered = int((counts >= min_share * len(x) * dist.weights).sum())
    return Coverage(covered, len(dist.means), tuple(int(c) for c in counts), float(hit.mean()))


def _mean_pairwise(a, b, same: bool, block: int = 512) -> float:
    total = 0.0
    for i in range(0, len(a), block):
        d = np.sqrt(((a[i : i + block, None, :] - b[None]) ** 2).sum(-1))  # (block, m)
        total += d.sum()
    n, m = len(a), len(b)
    return total / (n * (n - 1)) if same else total / (n * m)  # the diagonal of a-a is 0


def energy_distance(x, y) -> float:
    """The energy distance ``2 E|X - Y| - E|X - X'| - E|Y - Y'|`` between two
    samples (n, d) and (m, d), with unbiased (U-statistic) within-sample terms.
    Non-negative in expectation and zero only when the distributions agree.

    >>> a = np.random.default_rng(0).normal(size=(500, 2))
    >>> b = np.random.default_rng(1).normal(size=(500, 2))
    >>> abs(energy_distance(a, b)) < 0.02, energy_distance(a, b + 3) > 2
    (True, True)
    """
    x = np.asarray(x, dtype=float).reshape(len(x), -1)
    y = np.asarray(y, dtype=float).reshape(len(y), -1)
    within = _mean_pairwise(x, x, True) + _mean_pairwise(y, y, True)
    return float(2 * _mean_pairwise(x, y, False) - within)


def _w1_1d(a, b) -> float:
    # W1 = integral |F_a^-1(q) - F_b^-1(q)| dq, on a common grid of quantiles
    q = (np.arange(max(len(a), len(b))) + 0.5) / max(len(a), len(b))
    return float(np.abs(np.quantile(a, q) - np.quantile(b, q)).mean())


def sliced_wasserstein(x, y, n_projections: int = 64, rng=0) -> float:
    """Wasserstein-1 distance averaged over random unit directions (exact W1 in 1-D).

    >>> sliced_wasserstein(np.zeros((100, 1)), np.ones((100, 1)))
    1.0
    """
    x = np.asarray(x, dtype=float).reshape(len(x), -1)
    y = np.asarray(y, dtype=float).reshape(len(y), -1)
    if x.shape[1] == 1:
        return _w1_1d(x[:, 0], y[:, 0])
    u = _generator(rng).standard_normal((n_projections, x.shape[1]))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    return float(np.mean([_w1_1d(x @ v, y @ v) for v in u]))
