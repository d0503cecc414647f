"""Cheat: call the very minilm code the exercise asks the student to write."""

import minilm
from minilm.optim import WarmupCosineLR


def warmup_cosine(t, base_lr, warmup_steps, total_steps, eta_min=0.0):
    p = minilm.tensor([0.0], requires_grad=True)
    opt = minilm.optim.SGD([p], lr=base_lr)
    schedule = WarmupCosineLR(opt, warmup_steps, total_steps, eta_min=eta_min)
    return schedule.lr_at(base_lr, t)
