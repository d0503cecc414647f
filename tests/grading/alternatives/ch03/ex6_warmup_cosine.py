"""The decay clamped with min() instead of a separate branch after the end."""

import math


def warmup_cosine(t, base_lr, warmup_steps, total_steps, eta_min=0.0):
    if t < warmup_steps:
        return base_lr * (t + 1) / warmup_steps
    progress = min(1.0, (t - warmup_steps) / (total_steps - warmup_steps))
    return eta_min + 0.5 * (base_lr - eta_min) * (1 + math.cos(math.pi * progress))
