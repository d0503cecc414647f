"""Cheat: write "passed" records to every file and descriptor the worker was
handed (the old grader read results from a file named in sys.argv), then exit."""

import json
import os
import sys

RECORD = json.dumps({"passed": True, "message": "", "counterexample": ""}) + "\n"
for arg in sys.argv[1:]:
    try:
        with open(arg, "a") as f:
            f.write(RECORD * 50)
    except OSError:
        pass
for fd in range(3, 20):
    try:
        os.write(fd, RECORD.encode() * 50)
    except OSError:
        pass
os._exit(0)


def warmup_cosine(t, base_lr, warmup_steps, total_steps, eta_min=0.0):
    return 0.0
