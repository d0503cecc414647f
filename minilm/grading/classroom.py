"""Grade a whole class: ``python -m minilm grade SUBMISSIONS/ --class``.

``SUBMISSIONS/`` holds one folder per student, each a copy of the course's
``chapters/`` tree or any part of it (``alice/chapters/03_neural_networks/
exercises/ex5_adam.py``, or ``alice/03_neural_networks/exercises/ex5_adam.py``).
Every student's exercise files are graded on the slots of
:func:`minilm.grading.batch.grade_all`; an exercise some student handed in and
another did not is ``missing`` (0 points) for the other.

Written to ``--out`` (default ``grades/``): ``grades.csv`` and ``grades.json``
(student, chapter, exercise, points, out_of, status), and one readable report
per student in ``reports/STUDENT.txt``.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path

from .batch import grade_all
from .child import Limits
from .discover import _CHAPTER, _EXERCISE, Exercise, GradingError, all_exercises
from .report import format_report
from .runner import ExerciseResult

__all__ = ["find_submissions", "grade_class", "ClassResult"]

_STUDENT = re.compile(r"^[A-Za-z0-9][\w.@+-]{0,99}$")


def _exercise_files(folder: Path) -> list[Path]:
    """Exercise files under a student's folder (``.../NN_slug/exercises/exN_name.py``),
    never through a link: a link could point at anybody's files."""
    found = []
    for path in sorted(folder.rglob("ex*.py")):
        rel = path.relative_to(folder)
        if any((folder / Path(*rel.parts[: i + 1])).is_symlink() for i in range(len(rel.parts))):
            continue
        if _EXERCISE.match(path.name) and path.parent.name == "exercises":
            if _CHAPTER.match(path.parent.parent.name):
                found.append(path)
    return found


def find_submissions(root: Path) -> dict[str, list[Exercise]]:
    """Each student's exercises: ``{student: [Exercise, ...]}``, students sorted.

    A folder name that is not a plain name (letters, digits, ``._@+-``) is refused,
    so that a report's file name is always safe.
    """
    root = Path(root)
    if not root.is_dir():
        raise GradingError(f"{root}: not a folder of student folders")
    known = all_exercises()
    students = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink()):
        if folder.name.startswith("."):
            continue
        if not _STUDENT.match(folder.name):
            raise GradingError(
                f"{folder}: a student folder needs a plain name (letters, digits, ._@+-)"
            )
        exercises = []
        for path in _exercise_files(folder):
            chapter = "ch" + path.parent.parent.name[:2]
            if path.stem in known.get(chapter, []):
                exercises.append(Exercise(chapter, path.stem, path))
        students[folder.name] = exercises
    if not students:
        raise GradingError(f"{root}: no student folders in it (one folder per student)")
    return students


@dataclass
class ClassResult:
    rows: list[dict]  # one per student and exercise
    results: dict[str, list[ExerciseResult]]
    isolation: str
    uids: list[int]


def _key(e: Exercise) -> tuple:
    return (e.chapter, int(e.name[2:].split("_")[0]), e.name)


def grade_class(root: Path, jobs: int = 2, limits: Limits | None = None,
                sandbox_users: bool | None = None) -> ClassResult:  # fmt: skip
    """Grade every student's exercises; see the module docstring."""
    students = find_submissions(root)
    assigned = sorted({(e.chapter, e.name) for es in students.values() for e in es},
                      key=lambda ce: (ce[0], int(ce[1][2:].split("_")[0])))  # fmt: skip
    if not assigned:
        raise GradingError(f"{root}: no exercise files in any student's folder")
    todo = [(s, e) for s, es in students.items() for e in sorted(es, key=_key)]
    batch = grade_all([e for _, e in todo], jobs, limits, sandbox_users)
    by_student: dict[str, dict] = {s: {} for s in students}
    for (student, exercise), result in zip(todo, batch.results):
        by_student[student][exercise.chapter, exercise.name] = result
    rows, results = [], {}
    totals = _totals(assigned)
    for student, graded in by_student.items():
        results[student] = []
        for chapter, name in assigned:
            result = graded.get((chapter, name))
            if result is None:
                ex = Exercise(chapter, name, Path(f"{chapter}/{name}.py"))
                result = ExerciseResult(ex, status="missing", error="not handed in")
                points, out_of = 0, totals.get((chapter, name), 0)
            else:
                points, out_of = result.score, result.total
            results[student].append(result)
            rows.append({"student": student, "chapter": chapter, "exercise": name,
                         "points": points, "out_of": out_of, "status": result.status})  # fmt: skip
    return ClassResult(rows, results, batch.isolation, batch.uids)


def _totals(assigned) -> dict:
    """Points each assigned exercise is worth: what a missing one is out of."""
    from .core import checks_of

    totals = {}
    for chapter, name in assigned:
        try:
            grader = Exercise(chapter, name, Path()).grader()
            totals[chapter, name] = sum(c.points for c in checks_of(grader))
        except Exception:  # noqa: BLE001 - a broken grader shows up when graded
            totals[chapter, name] = 0
    return totals


def write(result: ClassResult, out: Path) -> list[Path]:
    """grades.csv, grades.json and reports/STUDENT.txt under ``out``."""
    out = Path(out)
    (out / "reports").mkdir(parents=True, exist_ok=True)
    fields = ["student", "chapter", "exercise", "points", "out_of", "status"]
    with open(out / "grades.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fields)
        writer.writeheader()
        writer.writerows(result.rows)
    students = {}
    for r in result.rows:
        totals = students.setdefault(r["student"], {"points": 0, "out_of": 0})
        totals["points"] += r["points"]
        totals["out_of"] += r["out_of"]
    summary = {"isolation": result.isolation, "sandbox_uids": result.uids, "grades": result.rows,
               "students": students}  # fmt: skip
    (out / "grades.json").write_text(json.dumps(summary, indent=1) + "\n")
    written = [out / "grades.csv", out / "grades.json"]
    for student, results in result.results.items():
        path = out / "reports" / f"{student}.txt"
        shown = [r for r in results if r.status != "missing"]
        missing = [r.exercise for r in results if r.status == "missing"]
        text = f"student: {student}\n{result.isolation}\n\n"
        text += format_report(shown, verbose=True) if shown else "(nothing handed in)"
        if missing:
            text += "\n\nnot handed in: " + ", ".join(f"{e.chapter}/{e.name}" for e in missing)
        path.write_text(text + "\n")
        written.append(path)
    return written


def summary_table(result: ClassResult) -> str:
    """One row per student: points, out of, and how many exercises had each status."""
    students = list(result.results)
    width = max([len(s) for s in students] + [len("student")])
    lines = [f"{'student':<{width}}  {'points':>9}  statuses"]
    for s in students:
        rows = [r for r in result.rows if r["student"] == s]
        points, out_of = sum(r["points"] for r in rows), sum(r["out_of"] for r in rows)
        counts = {}
        for r in rows:
            counts[r["status"]] = counts.get(r["status"], 0) + 1
        statuses = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
        lines.append(f"{s:<{width}}  {f'{points}/{out_of}':>9}  {statuses}")
    return "\n".join(lines)
