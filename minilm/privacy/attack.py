"""Membership inference by a loss threshold (Yeom et al. 2018): guess "this example
was in the training set" when the model's loss on it is low.

An attacker who sees a model and an example scores it by the model's loss; any
threshold on that score is a guess. The AUC over all thresholds, the chance
that a random training example (a member) has a lower loss than a random
non-member, measures how much the model gives away: 0.5 is nothing (the attacker
might as well toss a coin), 1.0 is everything. (epsilon, delta)-DP caps every
threshold's true-positive rate at ``e^eps * FPR + delta``, so a small epsilon
keeps the whole ROC curve near the diagonal.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["membership_auc", "dp_tpr_bound"]


def _auc(member_losses: np.ndarray, nonmember_losses: np.ndarray) -> float:
    """P(member's loss < non-member's loss) + P(equal) / 2, over all pairs."""
    sorted_b = np.sort(nonmember_losses)
    right = np.searchsorted(sorted_b, member_losses, side="right")
    left = np.searchsorted(sorted_b, member_losses, side="left")
    higher = len(sorted_b) - right  # non-members with a higher loss than each member
    return float((higher + 0.5 * (right - left)).sum() / (len(member_losses) * len(sorted_b)))


def membership_auc(member_losses, nonmember_losses, *, resamples: int = 1000,
                   confidence: float = 0.95, seed: int = 0) -> dict:  # fmt: skip
    """The loss-threshold attack's AUC: P(member's loss < non-member's loss), ties
    counted half; with a bootstrap interval (members and non-members resampled
    separately). Returns {"auc", "low", "high", "members", "nonmembers"}."""
    a = np.asarray(member_losses, dtype=np.float64).ravel()
    b = np.asarray(nonmember_losses, dtype=np.float64).ravel()
    if a.size == 0 or b.size == 0:
        raise ValueError(f"membership_auc: need at least one member and one non-member loss, "
                         f"got {a.size} and {b.size}")  # fmt: skip
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("membership_auc: losses must be finite")
    rng = np.random.default_rng(seed)
    boot = [_auc(rng.choice(a, a.size), rng.choice(b, b.size)) for _ in range(resamples)]
    tail = (1 - confidence) / 2
    low, high = np.quantile(boot, [tail, 1 - tail]) if resamples else (math.nan, math.nan)
    return {"auc": _auc(a, b), "low": float(low), "high": float(high),
            "members": a.size, "nonmembers": b.size}  # fmt: skip


def dp_tpr_bound(epsilon: float, delta: float, fpr) -> np.ndarray:
    """The most true-positive rate any membership test can have at false-positive
    rate ``fpr`` against an (epsilon, delta)-DP training run, for one example:
    ``min(1, e^eps * fpr + delta, 1 - e^-eps * (1 - delta - fpr))``."""
    fpr = np.asarray(fpr, dtype=np.float64)
    if math.isinf(epsilon):  # no guarantee: any true-positive rate
        return np.ones_like(fpr)
    e = math.exp(epsilon)
    first = e * fpr + delta
    second = 1 - (1 - delta - fpr) / e
    return np.clip(np.minimum(first, second), 0.0, 1.0)
