"""The child process that grades one exercise (see :mod:`minilm.grading.runner`).

``python -m minilm.grading.worker CHAPTER NAME STUDENT_FILE RESULTS_JSONL``
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

from hypothesis.configuration import set_hypothesis_home_dir

from .core import checks_of
from .discover import Exercise
from .runner import describe_error, load_student, run_checks


def main(argv) -> int:
    chapter, name, student_file, out_path = argv
    # hypothesis caches into ./.hypothesis; keep the student's folder clean
    set_hypothesis_home_dir(Path(out_path).parent / "hypothesis")
    exercise = Exercise(chapter, name, student_file)
    checks = checks_of(exercise.grader())
    with open(out_path, "w") as out:

        def emit(record: dict) -> None:
            out.write(json.dumps(record) + "\n")
            out.flush()

        try:
            student = load_student(student_file, name)
        except KeyboardInterrupt:
            raise
        except BaseException as e:  # a syntax error, or anything the module runs on import
            emit({"load_error": describe_error(e, student_file)})
            return 0
        run_checks(checks, student, lambda r: emit(asdict(r)), student_file)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
