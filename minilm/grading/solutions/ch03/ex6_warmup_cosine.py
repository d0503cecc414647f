"""Reference solution: chapters/03_neural_networks/exercises/ex6_warmup_cosine.py."""

import math


def warmup_cosine(t, base_lr, warmup_steps, total_steps, eta_min=0.0):
    if t < warmup_steps:
        return base_lr * (t + 1) / warmup_steps
    if t > total_steps:
        return eta_min
    r = (t - warmup_steps) / (total_steps - warmup_steps)
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * r)) / 2
