"""Reference solution: chapters/09_training_and_optimization/exercises/ex2_loss_scaler.py."""

from minilm.backend import np


def unscale(grads, scale):
    unscaled = [g / g.dtype.type(scale) for g in grads]
    found_inf = any(not np.isfinite(g).all() for g in unscaled)
    return unscaled, found_inf


def scaler_update(scale, good_steps, found_inf, growth_factor=2.0, backoff_factor=0.5,
                  growth_interval=1000):  # fmt: skip
    if found_inf:
        return scale * backoff_factor, 0
    good_steps = good_steps + 1
    if good_steps >= growth_interval:
        return scale * growth_factor, 0
    return scale, good_steps
