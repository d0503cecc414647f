"""Print grading results as a table, with the reason and counterexample for
each failed check."""

from __future__ import annotations

import textwrap

from .runner import ExerciseResult

__all__ = ["format_report"]


def _indent(text: str, prefix: str) -> str:
    return textwrap.indent(text, prefix)


def format_report(results: list[ExerciseResult], verbose: bool = False) -> str:
    """The table: exercise, checks passed, points; then each failure.

    ``verbose`` also lists the checks that passed.
    """
    several = len({r.exercise.chapter for r in results}) > 1
    names = [f"{r.exercise.chapter[2:]}/" * several + r.exercise.name for r in results]
    width = max([len(n) for n in names] + [len("exercise")])
    rows = [f"{'exercise':<{width}}  {'checks':>7}  {'points':>7}  status"]
    for name, r in zip(names, results):
        passed = sum(c.passed for c in r.checks)
        rows.append(
            f"{name:<{width}}  {f'{passed}/{len(r.checks)}':>7}  {f'{r.score}/{r.total}':>7}"
            f"  {r.status}"
        )
    score, total = sum(r.score for r in results), sum(r.total for r in results)
    rows.append(f"{'total':<{width}}  {'':>7}  {f'{score}/{total}':>7}")
    lines = ["\n".join(rows)]
    for r in results:
        shown = [c for c in r.checks if verbose or not c.passed]
        if not shown and not r.error and not r.output:
            continue
        lines.append(f"\n{r.exercise.name} ({r.exercise.path})")
        if r.error:
            lines.append(_indent(r.error, "  ! "))
        for c in shown:
            mark = "ok  " if c.passed else "FAIL"
            lines.append(f"  {mark} {c.name} [{c.points} pt]: {c.description}")
            if c.message and not (r.error and c.message == "not run"):
                lines.append(_indent(c.message, "         "))
            if c.counterexample:
                lines.append("         smallest counterexample:")
                lines.append(_indent(c.counterexample, "           "))
        if r.output:  # the student's own prints: marked, trimmed, never taken for the grader's
            lines.append("  what the submission printed (not part of the grade):")
            lines.append(_indent(r.output, "  | "))
    return "\n".join(lines)
