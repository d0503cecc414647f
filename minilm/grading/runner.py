"""Grade one exercise: its checks run here, the student's code in its own process.

The grader never imports the student's module. It starts the submission's
process (:class:`minilm.grading.child.Child`), and each check calls the
student's functions through it with data, getting data back; hypothesis draws
and shrinks the inputs here, and every comparison and score is computed here.
A syntax error, an exception, ``sys.exit``, a crash, garbage on the channel or
an endless loop in the student's code fails checks, never the grader: after a
crash the remaining checks get a fresh process, and the checks that finished
before a timeout keep their points.

Status of an exercise: ``passed`` (every check), ``failed``, ``timeout``,
``refused`` (it imported the graders or called what it was asked to write: 0
points), ``crashed`` (its process died or sent garbage) or ``missing``.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

from .child import Child, ChildGone, Limits, Refusal, StudentError, Submission
from .core import checks_of
from .discover import Exercise

__all__ = ["CheckResult", "ExerciseResult", "grade_exercise", "run_checks", "Limits"]

STATUSES = ("passed", "failed", "timeout", "refused", "crashed", "missing")


@dataclass
class CheckResult:
    name: str
    points: int
    description: str
    passed: bool = False
    message: str = ""
    counterexample: str = ""

    @property
    def score(self) -> int:
        return self.points if self.passed else 0


@dataclass
class ExerciseResult:
    exercise: Exercise
    checks: list[CheckResult] = field(default_factory=list)
    error: str = ""  # the file did not load, was refused, timed out, or its process crashed
    status: str = ""  # one of STATUSES; derived from the checks when empty
    output: str = ""  # what the student's code printed, marked and trimmed
    seconds: float = 0.0
    jailed: bool = True  # every process it ran in was confined to its own folder

    def __post_init__(self):
        if not self.status:
            self.status = "passed" if self.passed else "failed"

    @property
    def score(self) -> int:
        if self.status in ("refused", "missing"):
            return 0
        return sum(c.score for c in self.checks)

    @property
    def total(self) -> int:
        return sum(c.points for c in self.checks)

    @property
    def passed(self) -> bool:
        return not self.error and all(c.passed for c in self.checks)


def _counterexample(exc: BaseException) -> str:
    """hypothesis's falsifying example, from the exception's notes, without the
    student argument every check receives. Empty for an unwritten stub: it
    fails whatever the input."""
    if isinstance(exc, NotImplementedError) or getattr(exc, "kind", "") == "NotImplementedError":
        return ""
    for note in getattr(exc, "__notes__", []):
        # hypothesis heads the note "Falsifying example" (older) or "Failing test case" (newer)
        if note.startswith(("Falsifying example", "Failing test case")):
            body = [line for line in note.splitlines()[1:-1] if "student=" not in line]
            return textwrap.dedent("\n".join(body)).rstrip(",")
    return ""


def describe_error(exc: BaseException) -> str:
    """One line for a failed check."""
    if isinstance(exc, (AssertionError, StudentError)) and str(exc):
        return str(exc)
    return f"{type(exc).__name__}: {exc}".rstrip(": ")


def run_checks(checks, student, emit=None) -> list[CheckResult]:
    """Run ``checks`` against ``student`` (a :class:`Submission`) in this process.
    Refusal and ChildGone propagate: they end the exercise or its process."""
    results = []
    for c in checks:
        r = CheckResult(c.name, c.points, c.description)
        try:
            c(student)
            r.passed = True
        except (KeyboardInterrupt, Refusal, ChildGone):
            raise
        except BaseException as e:  # noqa: BLE001 - an assertion, or the student's error
            r.message = describe_error(e)
            r.counterexample = _counterexample(e)
        results.append(r)
        if emit:
            emit(r)
    return results


def grade_exercise(exercise: Exercise, limits: Limits | None = None,
                   uid: int | None = None) -> ExerciseResult:  # fmt: skip
    """Grade one exercise file; its code runs in a sandboxed process (as ``uid``
    when given) within ``limits`` (``limits.timeout`` seconds in all)."""
    import time

    start = time.monotonic()
    limits = limits or Limits()
    try:
        grader = exercise.grader()
        checks = checks_of(grader)
    except Exception as e:  # a bug in minilm, not in the student's file
        return ExerciseResult(exercise, error=f"the grader failed to load: {describe_error(e)}",
                              status="crashed")  # fmt: skip
    reimplements = tuple(getattr(grader, "REIMPLEMENTS", ()))
    result = ExerciseResult(
        exercise, [CheckResult(c.name, c.points, c.description) for c in checks]
    )
    outputs, pending, restarts = [], list(range(len(checks))), 0
    deadline = start + limits.timeout  # for the whole exercise, restarts included
    while pending:
        try:
            child = Child(exercise.path, exercise.name, reimplements, limits, uid, deadline)
        except StudentError as e:
            result.error, result.status = f"could not grade {exercise.path}: {e}", "failed"
            break
        except Refusal as e:
            result.error, result.status = str(e), "refused"
            break
        except ChildGone as e:
            result.error, result.status = str(e), e.status
            break
        try:
            if child.load_error:
                result.error = f"could not load {exercise.path}: {child.load_error}"
                break
            student = Submission(child.request)
            while pending:
                i = pending[0]
                (r,) = run_checks([checks[i]], student)
                result.checks[i] = r
                pending.pop(0)
        except Refusal as e:
            result.error, result.status = str(e), "refused"
            break
        except ChildGone as e:
            i = pending.pop(0)
            result.checks[i].message = str(e)
            result.error, result.status = str(e), e.status
            restarts += 1
            if e.status == "timeout" or restarts > 2:
                break
        finally:
            child.close()
            outputs.append(child.output())
            result.jailed = result.jailed and (child.uid is None or child.jailed)
            child.cleanup()
    for i in pending:
        result.checks[i].message = result.checks[i].message or "not run"
    if result.error and result.status in ("", "passed"):
        result.status = "failed"
    if not result.error:
        result.status = "passed" if result.passed else "failed"
    result.output = "\n".join(o for o in outputs if o)
    result.seconds = time.monotonic() - start
    return result
