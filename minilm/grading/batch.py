"""Grade many exercise files at once: ``jobs`` slots, each a grading process
with its own sandbox user id when running as root (see :mod:`.isolation`).

Each slot is a process of its own (the checks and their hypothesis search run
there, beside the student's process it drives), so slots run in parallel on
the cores, and one slot's trouble stays in that slot: a result that cannot be
had becomes a ``crashed`` result for that exercise alone.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from . import isolation
from .child import Limits
from .discover import Exercise
from .runner import ExerciseResult, grade_exercise

__all__ = ["Batch", "grade_all"]

_slot_uid: int | None = None


def _claim_slot(uids) -> None:
    global _slot_uid
    _slot_uid = uids.get() if uids is not None else None


def _grade(exercise: Exercise, limits: Limits) -> ExerciseResult:
    return grade_exercise(exercise, limits=limits, uid=_slot_uid)


@dataclass
class Batch:
    results: list[ExerciseResult]
    isolation: str  # what this run guaranteed, for the report
    uids: list[int]  # the sandbox user ids its slots ran as (none without root)


def grade_all(exercises: list[Exercise], jobs: int = 2, limits: Limits | None = None,
              sandbox_users: bool | None = None) -> Batch:  # fmt: skip
    """Grade ``exercises`` (in their order) on ``jobs`` slots.

    ``sandbox_users``: run submissions as unprivileged user ids (default: when root)."""
    limits = limits or Limits()
    jobs = max(1, min(jobs, len(exercises) or 1))
    uids, why_not = None, ""
    if sandbox_users is None:
        sandbox_users = isolation.is_root()
        if not sandbox_users:
            why_not = "the grader is not running as root"
    locks = []
    if sandbox_users:
        uids, locks = isolation.sandbox_uids(jobs)
        isolation.protect_references()
    ctx = multiprocessing.get_context("fork")
    queue = None
    if uids is not None:
        queue = ctx.Queue()
        for uid in uids:
            queue.put(uid)
    results: list[ExerciseResult] = []
    with ProcessPoolExecutor(jobs, mp_context=ctx, initializer=_claim_slot,
                             initargs=(queue,)) as pool:  # fmt: skip
        futures = [pool.submit(_grade, e, limits) for e in exercises]
        for exercise, future in zip(exercises, futures):
            try:
                results.append(future.result())
            except Exception as e:  # the slot itself died: that exercise only
                why = f"{type(e).__name__}: {e}".rstrip(": ")
                results.append(ExerciseResult(exercise, error=f"grading failed ({why})",
                                              status="crashed"))  # fmt: skip
    for fd in locks:
        os.close(fd)
    jailed = all(r.jailed for r in results)
    return Batch(results, isolation.guarantees(uids is not None, why_not, jailed), uids or [])


def default_jobs() -> int:
    return max(1, min(4, os.cpu_count() or 1))
