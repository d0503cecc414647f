"""Reference solution: chapters/12_deployment_and_safety/exercises/ex5_private_gradient.py."""

import numpy as np


def clip_gradients(grads, max_norm):
    grads = np.asarray(grads, dtype=np.float64)
    norms = np.sqrt((grads**2).sum(axis=1, keepdims=True))
    return grads * np.minimum(1.0, max_norm / (norms + 1e-6))


def private_gradient(grads, max_norm, noise_multiplier, expected_batch_size, z):
    total = clip_gradients(grads, max_norm).sum(axis=0)
    return (total + noise_multiplier * max_norm * np.asarray(z)) / expected_batch_size
