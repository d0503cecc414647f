"""Clipping that returns copies below the limit and divides by the bare norm."""

from minilm.backend import np


def clip_grad_norm(grads, max_norm):
    total = float(np.sqrt(sum((g**2).sum() for g in grads)))
    if total <= max_norm:
        return [g.copy() for g in grads], total
    return [g * (max_norm / total) for g in grads], total
