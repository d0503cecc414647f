"""Reference solution: chapters/03_neural_networks/exercises/ex7_clip_grad_norm.py."""

from minilm.backend import np


def clip_grad_norm(grads, max_norm):
    total = float(np.sqrt(sum((g**2).sum() for g in grads)))
    scale = min(1.0, max_norm / (total + 1e-6))
    return [g * scale for g in grads], total
