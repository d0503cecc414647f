"""``python -m minilm grade PATH``: grade coursework exercises.

PATH is an exercise file (``chapters/03_neural_networks/exercises/ex1_elementwise.py``),
a chapter's exercises folder, or a chapter folder. Exit code 0 only when every
check passes; 2 for a path that cannot be graded.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from .. import argtypes
from .discover import GradingError, discover
from .report import format_report
from .runner import grade_exercise


def add_arguments(parser) -> None:
    parser.add_argument(
        "path", help="an exercise file, a chapter's exercises/ folder, or a chapter"
    )
    parser.add_argument(
        "--timeout",
        type=argtypes.positive_float,
        default=120.0,
        help="seconds each exercise may run (default 120)",
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
        default=min(4, os.cpu_count() or 1),
        help="exercises graded at once (default: up to 4)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="list passing checks too")


def main(args) -> int:
    try:
        exercises = discover(args.path)
    except GradingError as e:
        print(f"grade: {e}", file=sys.stderr)
        return 2
    if args.solution:
        exercises = [replace(e, path=e.solution_path) for e in exercises]
    with ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda e: grade_exercise(e, args.timeout), exercises))
    print(format_report(results, verbose=args.verbose))
    return 0 if all(r.passed for r in results) else 1
