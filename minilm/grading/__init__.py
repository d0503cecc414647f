"""Grade coursework exercises with property tests.

``python -m minilm grade chapters/03_neural_networks/exercises`` finds the
exercise files, grades each one (its checks run here; the student's code runs
in a sandboxed child process that answers calls with data, see
:mod:`minilm.grading.child`), and prints a table of checks passed and points. Graders are hypothesis
property tests built from :mod:`minilm.testing`, with minilm's own
implementation as the reference; they and the reference solutions live in this
package (``graders/chNN/``, ``solutions/chNN/``), not beside the student's file.

>>> from minilm.course import repo_root  # the checkout that holds chapters/
>>> from minilm.grading import discover, grade_exercise
>>> [ex] = discover(repo_root() / "chapters/03_neural_networks/exercises/ex1_elementwise.py")
>>> grade_exercise(ex).score  # the untouched stub
0
"""

from .child import Limits, StudentError, Submission
from .child import local_submission as load_student
from .core import Check, assert_close, check, checks_of, prop
from .discover import Exercise, GradingError, all_exercises, discover, lookup
from .report import format_report
from .runner import CheckResult, ExerciseResult, grade_exercise, run_checks

__all__ = [
    "Check", "check", "checks_of", "prop", "assert_close", "Exercise", "GradingError",
    "all_exercises", "discover", "lookup", "format_report", "CheckResult", "ExerciseResult",
    "grade_exercise", "load_student", "run_checks", "Limits", "Submission", "StudentError",
]  # fmt: skip
