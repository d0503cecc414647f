"""``python -m minilm grade PATH``: grade coursework exercises.

PATH is an exercise file (``chapters/03_neural_networks/exercises/ex1_elementwise.py``),
a chapter's exercises folder, a chapter folder or the folder of chapters; with
``--class``, a folder with one folder per student (see
:mod:`minilm.grading.classroom`). Exit code 0 only when every check passes; 2
for a path that cannot be graded.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from .. import argtypes
from .batch import default_jobs, grade_all
from .child import Limits
from .discover import GradingError, discover
from .report import format_report


def add_arguments(parser) -> None:
    parser.add_argument(
        "path",
        help="an exercise file, a chapter's exercises/ folder, a chapter, or with --class "
        "a folder of student folders",
    )
    parser.add_argument(
        "--class",
        dest="classroom",
        action="store_true",
        help="PATH holds one folder per student: grade them all, write grades.csv, "
        "grades.json and a report per student to --out",
    )
    parser.add_argument(
        "--out", type=Path, default=Path("grades"), help="where --class writes (default grades/)"
    )
    parser.add_argument(
        "--timeout",
        type=argtypes.positive_float,
        default=120.0,
        help="seconds each exercise may run (default 120)",
    )
    parser.add_argument(
        "--memory",
        type=argtypes.positive_int,
        default=4096,
        help="megabytes of address space each submission's process may use (default 4096)",
    )
    parser.add_argument(
        "--solution",
        action="store_true",
        help="grade minilm's reference solutions, not the files at PATH",
    )
    parser.add_argument(
        "-j",
        "--jobs",
        type=argtypes.positive_int,
        default=default_jobs(),
        help="exercises graded at once (default: up to 4)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="list passing checks too")


def main(args) -> int:
    limits = Limits(timeout=args.timeout, memory_mb=args.memory)
    if args.classroom:
        return _grade_class(args, limits)
    try:
        exercises = discover(args.path)
    except GradingError as e:
        print(f"grade: {e}", file=sys.stderr)
        return 2
    if args.solution:
        exercises = [replace(e, path=e.solution_path) for e in exercises]
    batch = grade_all(exercises, args.jobs, limits)
    print(format_report(batch.results, verbose=args.verbose))
    print(f"\n{batch.isolation}")
    return 0 if all(r.passed for r in batch.results) else 1


def _grade_class(args, limits: Limits) -> int:
    from . import classroom

    try:
        result = classroom.grade_class(args.path, args.jobs, limits)
    except GradingError as e:
        print(f"grade: {e}", file=sys.stderr)
        return 2
    written = classroom.write(result, args.out)
    print(classroom.summary_table(result))
    print(f"\n{result.isolation}")
    reports = args.out / "reports"
    print(f"\nwrote {written[0]}, {written[1]} and {len(written) - 2} reports in {reports}")
    return 0
