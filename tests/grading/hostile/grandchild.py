"""Batch fault: leave a process behind, in its own session, outside the
worker's process group (the old grader's kill could not reach it)."""

import os
import time

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(600)
    os._exit(0)


def warmup_cosine(t, base_lr, warmup_steps, total_steps, eta_min=0.0):
    return 0.0
