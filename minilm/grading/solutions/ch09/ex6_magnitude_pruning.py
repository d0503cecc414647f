"""Reference solution: chapters/09_training_and_optimization/exercises/ex6_magnitude_pruning.py."""

from minilm.backend import np


def global_magnitude_mask(weights, sparsity):
    flat = np.concatenate([np.abs(w).ravel() for w in weights])
    n = round(sparsity * flat.size)
    order = np.argsort(flat, kind="stable")
    keep = np.ones(flat.size, dtype=bool)
    keep[order[:n]] = False
    masks, start = [], 0
    for w in weights:
        masks.append(keep[start : start + w.size].reshape(w.shape))
        start += w.size
    return masks
