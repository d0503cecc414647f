"""Exercise 6 (4 points): a learning-rate schedule, linear warmup then cosine decay.

Large models are trained with a learning rate that climbs linearly from near 0
to ``base_lr`` over the first ``warmup_steps`` steps (early gradients are
large and noisy), then falls along half a cosine to ``eta_min`` at step
``total_steps``, and stays there:

    t < warmup_steps:           lr = base_lr * (t + 1) / warmup_steps
    warmup_steps <= t <= total:  r = (t - warmup_steps) / (total_steps - warmup_steps)
                                lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * r)) / 2
    t > total_steps:            lr = eta_min

``t`` counts steps from 0. Write ``warmup_cosine(t, base_lr, warmup_steps,
total_steps, eta_min)`` returning the learning rate at step t as a float.

Checked against ``minilm.optim.WarmupCosineLR``, stepped t times: the warmup
(1 point), every step of random schedules (2 points), the floor ``eta_min``
after the end (1 point).

    python -m minilm grade chapters/03_neural_networks/exercises/ex6_warmup_cosine.py
"""

import math  # noqa: F401 - for your solution


def warmup_cosine(t, base_lr, warmup_steps, total_steps, eta_min=0.0):
    """The learning rate at step ``t`` (from 0) of the warmup-cosine schedule."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write warmup_cosine")
    ### END YOUR SOLUTION
