"""Run an exercise's checks against a student file, in a child process.

The child (``python -m minilm.grading.worker``) imports the student's module and
runs each check, writing one JSON line per result as it goes. The parent gives
it a time limit: a syntax error, an exception, ``sys.exit`` or an endless loop
in the student's code becomes a failed check, never a crashed grader, and the
checks that finished before a timeout keep their points.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from .core import checks_of
from .discover import Exercise

__all__ = ["CheckResult", "ExerciseResult", "grade_exercise", "run_checks", "load_student"]

_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


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
    error: str = ""  # the file did not load, the time ran out, or the child crashed

    @property
    def score(self) -> int:
        return sum(c.score for c in self.checks)

    @property
    def total(self) -> int:
        return sum(c.points for c in self.checks)

    @property
    def passed(self) -> bool:
        return not self.error and all(c.passed for c in self.checks)


def load_student(path: Path, name: str):
    """Import the file at ``path`` as a fresh module called ``name``."""
    import importlib.util

    path = Path(path).resolve()
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))  # so the student may import a helper beside it
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.parent))
    return module


def _counterexample(exc: BaseException) -> str:
    """hypothesis's falsifying example, from the exception's notes, without the
    student-module argument every check receives. Empty for an unwritten stub:
    it fails whatever the input."""
    if isinstance(exc, NotImplementedError):
        return ""
    for note in getattr(exc, "__notes__", []):
        # hypothesis heads the note "Falsifying example" (older) or "Failing test case" (newer)
        if note.startswith(("Falsifying example", "Failing test case")):
            body = [line for line in note.splitlines()[1:-1] if "student=" not in line]
            return textwrap.dedent("\n".join(body)).rstrip(",")
    return ""


def describe_error(exc: BaseException, student_file: str | None = None) -> str:
    """One line for a failed check; for an error raised in the student's file,
    where it happened."""
    if isinstance(exc, AssertionError) and str(exc):
        text = str(exc)
    else:
        text = f"{type(exc).__name__}: {exc}".rstrip(": ")
    if student_file and not isinstance(exc, AssertionError):
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == student_file]
        if frames:
            text += f" (at {Path(student_file).name} line {frames[-1].lineno})"
    return text


def run_checks(checks, student, emit=None, student_file=None) -> list[CheckResult]:
    """Run ``checks`` against the imported ``student`` module in this process.

    ``emit(result)`` is called after each check (the worker streams results with it).
    """
    results = []
    for c in checks:
        r = CheckResult(c.name, c.points, c.description)
        try:
            c(student)
            r.passed = True
        except KeyboardInterrupt:
            raise
        except BaseException as e:  # SystemExit too: a student's sys.exit fails one check
            r.message = describe_error(e, student_file)
            r.counterexample = _counterexample(e)
        results.append(r)
        if emit:
            emit(r)
    return results


def _child_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_ROOT, env.get("PYTHONPATH")]))
    for threads in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):  # graders share the cores
        env.setdefault(threads, "1")
    env.setdefault("MPLBACKEND", "Agg")
    return env


def _kill(proc: subprocess.Popen) -> None:
    try:  # POSIX: the child's own session, so it and any processes it started
        os.killpg(proc.pid, signal.SIGKILL)
    except (AttributeError, ProcessLookupError, PermissionError):  # Windows has no killpg
        proc.kill()
    proc.wait()


def _run_child(exercise: Exercise, timeout: float):
    """Run the worker; return (result records, the tail of its stderr, or None on timeout).

    The student's prints go nowhere (an endless print loop must not fill memory);
    stderr goes to a file, to explain a crash.
    """
    with tempfile.TemporaryDirectory(prefix="minilm-grade-") as tmp:
        out, err = Path(tmp) / "results.jsonl", Path(tmp) / "stderr.txt"
        cmd = [sys.executable, "-m", "minilm.grading.worker", exercise.chapter, exercise.name,
               str(Path(exercise.path).resolve()), str(out)]  # fmt: skip
        with open(err, "w") as stderr:
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=stderr,
                                    env=_child_env(), start_new_session=True)  # fmt: skip
            try:
                proc.wait(timeout=timeout)
                tail = f"exit code {proc.returncode}: " + _tail(err)
            except subprocess.TimeoutExpired:
                _kill(proc)
                tail = None
        records = []
        for line in out.read_text().splitlines() if out.exists() else []:
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:  # a line cut short by the kill
                break
    return records, tail


def _tail(path: Path, lines: int = 5) -> str:
    with open(path, "rb") as f:
        f.seek(max(0, f.seek(0, os.SEEK_END) - 4000))
        return "\n".join(f.read().decode(errors="replace").strip().splitlines()[-lines:])


def grade_exercise(exercise: Exercise, timeout: float = 120.0) -> ExerciseResult:
    """Grade one exercise file in a child process limited to ``timeout`` seconds."""
    try:
        checks = checks_of(exercise.grader())
    except Exception as e:  # a bug in minilm, not in the student's file
        return ExerciseResult(exercise, error=f"the grader failed to load: {describe_error(e)}")
    result = ExerciseResult(
        exercise, [CheckResult(c.name, c.points, c.description) for c in checks]
    )
    records, tail = _run_child(exercise, timeout)
    done = 0
    for record in records:
        if "load_error" in record:  # fails every check, for one reason
            result.error = f"could not load {exercise.path}: {record['load_error']}"
            break
        r = result.checks[done]
        r.passed, r.message, r.counterexample = (
            record["passed"], record["message"], record["counterexample"]
        )  # fmt: skip
        done += 1
    if not result.error and done < len(result.checks):
        if tail is None:
            result.error = f"time limit of {timeout:g} s reached"
            result.checks[done].message = f"did not finish within the time limit ({timeout:g} s)"
        else:
            result.error = f"the grader stopped early ({tail})"
    for r in result.checks[done:]:
        r.message = r.message or "not run"
    return result
