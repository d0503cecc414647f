"""Cheat: edit the installed graders so that every later submission passes
(a grader whose checks are gone gives full marks to anything)."""

from pathlib import Path

import minilm

GRADERS = Path(minilm.__file__).parent / "grading" / "graders"
for path in [GRADERS / "ch03" / "ex7_clip_grad_norm.py", GRADERS / "ch03" / "ex6_warmup_cosine.py"]:
    try:
        with open(path, "a") as f:
            f.write("\n\nfor _name in list(globals()):\n    pass  # edited by a submission\n")
    except OSError:
        pass
try:
    (Path(minilm.__file__).parent / "sitecustomize_by_student.py").write_text("x = 1\n")
except OSError:
    pass


def warmup_cosine(t, base_lr, warmup_steps, total_steps, eta_min=0.0):
    return 0.0
