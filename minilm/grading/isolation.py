"""What keeps one submission from reaching the grader, the instructor's files and
the other submissions, and what the report says about it.

As root (CI and most grading machines), every parallel slot runs its
submissions as its own unprivileged user id, with no groups (the process
starts as root, loads NumPy and minilm, then drops root for good before it
reads the submission; see :func:`minilm.sandbox.worker.become`):

- it cannot write the installed package, so it cannot change how later
  submissions are graded;
- it cannot signal the grader or open the grader's ``/proc/<pid>/fd``;
- it cannot read the graders or the reference solutions: their folders are
  made readable by root only (:func:`protect_references`);
- it cannot delete or change root's files outside its own working folder;
- its process count is limited (RLIMIT_NPROC is enforced for that user id),
  and when it ends every process of that user id is killed, including one that
  started its own process session.

Without root none of these can be had: the submission runs as the instructor.
What still holds there: every check and score is computed in the grader's
process from data; the limits on memory, CPU time and file size; the fresh
working folder; the import guard and the refused functions.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
from pathlib import Path

__all__ = ["is_root", "sandbox_uids", "kill_all", "kill_user", "protect_references", "guarantees"]

_FIRST_UID = 61000  # Debian keeps 60000-64999 for the system's own dynamic users
_HERE = Path(__file__).resolve().parent


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _busy(uid: int, running: set[int]) -> bool:
    """A user id that a person or a running process already has."""
    import pwd

    try:
        pwd.getpwuid(uid)
        return True
    except KeyError:
        return uid in running


_LOCKS = Path("/tmp/minilm-grade-locks")


def sandbox_uids(n: int) -> tuple[list[int], list]:
    """``n`` user ids no account and no process uses, one per grading slot, each
    locked for this run (two runs at once never share one: ending one run's
    submission kills every process of its user id). Returns the ids and the
    open lock files, to keep until the run ends."""
    import fcntl

    _LOCKS.mkdir(mode=0o700, exist_ok=True)
    info = _LOCKS.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0:
        raise RuntimeError(f"{_LOCKS} is not root's own folder; remove it and grade again")
    os.chmod(_LOCKS, 0o700)
    uids, locks, uid, running = [], [], _FIRST_UID, _uids_running()
    while len(uids) < n and uid < 65000:
        fd = os.open(_LOCKS / f"{uid}.lock", os.O_CREAT | os.O_RDWR | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            uid += 1
            continue
        if _busy(uid, running):
            os.close(fd)
        else:
            uids.append(uid)
            locks.append(fd)
        uid += 1
    if len(uids) < n:
        raise RuntimeError(f"found only {len(uids)} free user ids for {n} grading slots")
    return uids, locks


def kill_all(proc: subprocess.Popen, uid: int | None) -> None:
    """End ``proc`` and everything it started: its process session, and as
    root every process of its user id (a grandchild in a new session too)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        pass
    try:
        proc.kill()
    except OSError:
        pass
    if uid is not None:
        kill_user(uid)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def kill_user(uid: int) -> None:
    """Kill every process of ``uid`` (retrying while a fork races the kill)."""
    for _ in range(10):
        _kill_once(uid)
        if not _uids_running() & {uid}:
            return


def _kill_once(uid: int) -> None:
    """kill(-1, SIGKILL) as ``uid``: every process that user may signal, which is
    every process of that user but the killer itself."""
    pid = os.fork()
    if pid == 0:  # only system calls from here to _exit
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            os.kill(-1, signal.SIGKILL)
        except BaseException:  # noqa: BLE001
            pass
        os._exit(0)
    os.waitpid(pid, 0)


def _uids_running() -> set[int]:
    """The real user ids of every process on the machine."""
    uids = set()
    for entry in Path("/proc").glob("[0-9]*/status"):
        try:
            for line in entry.read_text().splitlines():
                if line.startswith("Uid:"):
                    uids.update(map(int, line.split()[1:]))
                    break
        except OSError:
            continue
    return uids


def protect_references() -> list[str]:
    """As root: make the graders' and reference solutions' folders readable by
    root only, so a submission running as another user cannot open them by
    path. Returns the folders changed."""
    changed = []
    for name in ("graders", "solutions"):
        folder = _HERE / name
        info = folder.stat()
        if info.st_uid == 0 and stat.S_IMODE(info.st_mode) & 0o077:
            os.chmod(folder, 0o700)
            changed.append(str(folder))
    return changed


def guarantees(uid_sandbox: bool, why_not: str = "", jailed: bool = True) -> str:
    """One paragraph for the report: what this run's isolation guarantees."""
    held = ("every check and score was computed by the grader from data; each submission ran "
            "in a fresh folder with limits on memory, CPU time and file size; minilm.grading "
            "and the functions each exercise re-implements were refused")  # fmt: skip
    if uid_sandbox:
        where = ("it saw no file outside its own folder (chroot)" if jailed else
                 "NOT confined to its folder (chroot was refused here), so it could read "
                 "whatever other users may read, classmates' files included if their folder "
                 "allows it")  # fmt: skip
        return (
            f"isolation: {held}; each ran as its own unprivileged user, so it could not "
            "write the installed package, signal the grader, read the graders or "
            "solutions, or touch the instructor's files, and every process it started "
            f"was killed at its end; {where}."
        )
    reason = why_not or "the grader is not running as root"
    return (
        f"isolation: {held}. NOT guaranteed ({reason}): submissions ran as the user "
        "grading, so they could read and change that user's files (the installed "
        "package too), signal the grader, and leave processes behind that started their "
        "own session. Grade as root for those."
    )
