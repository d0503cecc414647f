"""Cheat: run a classmate's submission, found where the grader was pointed
(its command line) or where a class folder usually is (the test writes it in)."""

import os

CANDIDATES = ["CLASS_DIR/honest/chapters/03_neural_networks/exercises/ex6_warmup_cosine.py"]
try:
    with open(f"/proc/{os.getppid()}/cmdline", "rb") as f:
        for arg in f.read().split(b"\0"):
            folder = arg.decode(errors="replace")
            if os.path.isdir(folder):
                for root, _dirs, files in os.walk(folder):
                    CANDIDATES += [
                        os.path.join(root, n) for n in files if n == "ex6_warmup_cosine.py"
                    ]
except OSError:
    pass
for path in CANDIDATES:
    try:
        with open(path) as f:
            source = f.read()
    except OSError:
        continue
    if "def warmup_cosine" in source and "CANDIDATES" not in source:
        exec(source)
        break
