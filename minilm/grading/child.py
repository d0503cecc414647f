"""The grader's end of a student's process: start it, isolated and limited, send
it calls, read data back, and end it (with every process it started).

The child is :mod:`minilm.sandbox.worker`. It runs in a fresh working folder
holding a copy of the one submission, with limits on memory, CPU time, file
size, open files and processes, and its standard streams go to files that the
report shows only as marked, trimmed student output. When the grader runs as
root, each parallel slot's child runs as its own unprivileged user id (see
:mod:`minilm.grading.isolation`), so it cannot write the installed package,
signal the grader or read root's files, and when it ends every process of that
user id is killed.

Every reply is checked data; a reply that is not (or a child that dies, or
stays silent past the time limit) ends that child, never the grader.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..sandbox import wire
from . import isolation

__all__ = ["Limits", "Child", "StudentError", "Refusal", "ChildGone", "Submission"]

_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
_BOOT = (
    "import sys; sys.path.insert(0, {root!r}); "
    "from minilm.sandbox.worker import main; sys.exit(main(sys.argv[1:]))"
)
MAX_SUBMISSION = 1 << 20  # bytes of one exercise file


@dataclass(frozen=True)
class Limits:
    """What one exercise's process may use."""

    timeout: float = 120.0  # wall-clock seconds for the whole exercise
    memory_mb: int = 4096  # address space (RLIMIT_AS)
    processes: int = 64  # RLIMIT_NPROC, enforced for the sandbox user id only
    file_size_mb: int = 64  # largest file it may write, its output included
    output_chars: int = 2000  # student output shown in the report, per stream


class StudentError(Exception):
    """The student's code raised (or returned something that is not data)."""

    def __init__(self, message: str, kind: str = "", kinds=()):
        super().__init__(message)
        self.kind = kind  # the exception's class name, e.g. "KeyError"
        self.kinds = list(kinds) or [kind]  # and its bases', e.g. ["KeyError", "LookupError", ...]


class Refusal(BaseException):  # noqa: N818 - not an Exception, so hypothesis does not catch it
    """The submission used something the exercise forbids: it scores 0."""


class ChildGone(BaseException):  # noqa: N818
    """The student's process died, sent garbage, or ran out of time."""

    def __init__(self, message: str, status: str):
        super().__init__(message)
        self.status = status  # "timeout" or "crashed"


class Child:
    """One running submission. ``request(...)`` sends one call and returns its value."""

    def __init__(self, path: Path, module: str, reimplements=(), limits: Limits | None = None,
                 uid: int | None = None, deadline: float | None = None):  # fmt: skip
        """``deadline`` (time.monotonic()) ends the exercise, this process included;
        default: ``limits.timeout`` from now."""
        limits = limits or Limits()
        self.limits, self.uid, self.proc = limits, uid, None
        self.deadline = deadline if deadline is not None else time.monotonic() + limits.timeout
        if uid is not None:  # a process a previous submission left behind must not meet this one
            isolation.kill_user(uid)
        source = _read_submission(path)
        self.channel, self.load_error, self.jailed = None, "", False
        self.private = Path(tempfile.mkdtemp(prefix="minilm-grade-"))  # the grader's only
        try:
            self._start(source, module, reimplements)
        except BaseException:  # whatever went wrong, nothing of it stays behind
            self.cleanup()
            raise

    def _start(self, source: bytes, module: str, reimplements) -> None:
        limits, uid = self.limits, self.uid
        self.work = self.private / "work"
        self.work.mkdir()
        target = self.work / f"{module}.py"
        target.write_bytes(source)
        if uid is not None:
            os.chmod(self.private, 0o711)
            os.chown(self.work, uid, uid)
            os.chown(target, uid, uid)
        os.chmod(self.work, 0o700)
        self.out_path, self.err_path = self.private / "stdout", self.private / "stderr"
        ours, theirs = socket.socketpair()
        self.channel = ours
        limits_json = json.dumps({
            "memory": limits.memory_mb << 20,
            "cpu": int(limits.timeout) + 10,
            "file_size": limits.file_size_mb << 20,
            "open_files": 256,
            "core": 0,
            "processes": limits.processes if uid is not None else None,
            "uid": uid,  # the worker drops root for this user id before the student's code
            "jail": str(self.private),  # and makes this folder its file system's root
        })  # fmt: skip
        cmd = [sys.executable, "-I", "-c", _BOOT.format(root=_PACKAGE_ROOT),
               str(theirs.fileno()), limits_json]  # fmt: skip
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            os.chmod(self.out_path, 0o600)
            os.chmod(self.err_path, 0o600)
            self.proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=self.work,
                env=_child_env(self.work), pass_fds=(theirs.fileno(),), start_new_session=True,
            )  # fmt: skip
        theirs.close()
        self._send({"file": str(target), "module": module, "reimplements": list(reimplements)})
        self.jailed = self._receive().get("jailed") is True  # sent before the student's code
        reply = self._receive()
        if "load_error" in reply:
            self.load_error = clean(reply["load_error"])
        elif "refused" in reply:
            raise Refusal(clean(reply["refused"]))
        elif reply.get("ready") is not True:
            raise ChildGone("the submission's process sent garbage instead of starting", "crashed")

    # -- the channel ----------------------------------------------------------

    def _send(self, value) -> None:
        try:
            wire.send(self.channel, wire.encode(value))
        except OSError:
            raise self._gone() from None

    def _receive(self) -> dict:
        try:
            reply = wire.decode(*wire.recv(self.channel, self.deadline))
        except TimeoutError:
            self.close()
            raise ChildGone(f"did not finish within the time limit ({self.limits.timeout:g} s)",
                            "timeout") from None  # fmt: skip
        except (EOFError, OSError):
            raise self._gone() from None
        except wire.WireError as e:
            self.close()
            raise ChildGone(f"the submission's process sent garbage ({clean(str(e))})",
                            "crashed") from None  # fmt: skip
        if not isinstance(reply, dict):
            self.close()
            raise ChildGone("the submission's process sent garbage (not a reply)", "crashed")
        return reply

    def _gone(self) -> ChildGone:
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            code = None
        self.close()
        if code is not None and code < 0:
            import signal

            name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
            why = f"killed by {name}"
            if name == "SIGXFSZ":
                why += f" (it wrote a file over {self.limits.file_size_mb} MB)"
            elif name == "SIGXCPU":
                why += " (its CPU time ran out)"
        else:
            why = f"exit code {code}"
        return ChildGone(f"the submission's process stopped ({why})", "crashed")

    def request(self, message: dict):
        """Send one call or probe; return its value, or raise StudentError,
        Refusal or ChildGone."""
        if self.proc is None:
            raise ChildGone("the submission's process is not running", "crashed")
        self._send(message)
        reply = self._receive()
        if "refused" in reply:
            raise Refusal(clean(reply["refused"]))
        if "ok" in reply and len(reply) == 1:
            return reply["ok"]
        if "error" in reply:
            kinds = reply.get("kinds") if isinstance(reply.get("kinds"), list) else []
            raise StudentError(clean(reply["error"]), clean(reply.get("kind", ""), 80),
                               [clean(k, 80) for k in kinds[:8]])  # fmt: skip
        self.close()
        raise ChildGone("the submission's process sent garbage (an unknown reply)", "crashed")

    # -- the end --------------------------------------------------------------

    def close(self) -> None:
        if self.channel is not None:
            self.channel.close()
        if self.proc is None:
            return
        isolation.kill_all(self.proc, self.uid)
        self.proc = None

    def output(self) -> str:
        """What the student's code printed, marked and trimmed, control characters removed."""
        if not hasattr(self, "out_path"):
            return ""
        parts = []
        for name, path in (("stdout", self.out_path), ("stderr", self.err_path)):
            text = _excerpt(path, self.limits.output_chars)
            if text:
                parts.append(f"--- student {name} ---\n{text}")
        return "\n".join(parts)

    def cleanup(self) -> None:
        self.close()
        shutil.rmtree(self.private, ignore_errors=True)


def _read_submission(path: Path) -> bytes:
    path = Path(path)
    if path.is_symlink() or not path.is_file():
        raise StudentError(f"{path.name} is not a regular file (a link or a folder)", "NotAFile")
    size = path.stat().st_size
    if size > MAX_SUBMISSION:
        raise StudentError(f"{path.name} is {size} bytes; an exercise file may be at most "
                           f"{MAX_SUBMISSION} bytes", "TooLarge")  # fmt: skip
    return path.read_bytes()


def clean(text, limit: int = 2000) -> str:
    """Text from the student's process, safe to print: no control characters (no
    terminal escapes, no carriage returns that rewrite a line), at most ``limit``."""
    text = str(text)[: limit * 2]
    return "".join(c if c in "\n\t" or c.isprintable() else "?" for c in text)[:limit]


def _excerpt(path: Path, chars: int) -> str:
    try:
        with open(path, "rb") as f:
            data = f.read(chars * 4 + 1)
            size = os.fstat(f.fileno()).st_size
    except OSError:
        return ""
    text = clean(data.decode("utf-8", errors="replace"), chars)
    if size > len(text):
        text += f"\n[... {size} bytes in all; the rest is not shown]"
    return text.rstrip()


def _child_env(work: Path) -> dict:
    env = {"PATH": os.environ.get("PATH", os.defpath), "HOME": str(work), "TMPDIR": str(work),
           "LANG": "C.UTF-8", "MPLBACKEND": "Agg"}  # fmt: skip
    for threads in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[threads] = "1"  # the cores are shared by the slots
    if "MINILM_FUSED" in os.environ:
        env["MINILM_FUSED"] = os.environ["MINILM_FUSED"]
    return env


class Submission:
    """What a check receives as ``student``: ``student.name(*args)`` runs the
    student's ``name`` on the data in its own process and returns data;
    ``student.differentiate(...)`` and ``student.probe(...)`` run a probe
    (:mod:`minilm.sandbox.probes`) there."""

    def __init__(self, request):
        object.__setattr__(self, "_request", request)

    def __repr__(self) -> str:
        return "student"

    def __getattr__(self, name: str):
        if name.startswith("_"):  # hypothesis and friends probe _repr_pretty_ and the like
            raise AttributeError(name)
        request = self._request

        def call(*args, **kwargs):
            return request({"call": name, "args": list(args), "kwargs": kwargs})

        call.__name__ = name
        return call

    def probe(self, name: str, *args, **kwargs):
        return self._request({"probe": name, "args": list(args), "kwargs": kwargs})

    def differentiate(self, name, args, wrt=(0,), upstream=None, second=None, kwargs=None):
        """The student's ``name`` differentiated in its process (see
        :func:`minilm.sandbox.probes.derivatives`); the reply's shape is checked
        here (it comes from the student's process: a short list must not pass)."""
        reply = self.probe("differentiate", name, list(args), list(wrt), upstream, second, kwargs)
        _check_derivatives(reply, len(wrt), second is not None)
        return reply


def _check_derivatives(reply, n: int, second: bool) -> None:
    import numpy as np

    def entries(value, what):
        if value is None:
            return
        if not isinstance(value, list) or len(value) != n:
            raise AssertionError(f"the student's process sent {what} for other than {n} inputs")
        for v in value:
            if v is not None and not isinstance(v, np.ndarray):
                raise AssertionError(f"the student's process sent {what} that are not arrays")

    if not isinstance(reply, dict) or not isinstance(reply.get("value"), np.ndarray):
        raise AssertionError("the student's process sent something other than derivatives")
    if not isinstance(reply.get("requires_grad"), bool):
        raise AssertionError("the student's process sent derivatives without requires_grad")
    entries(reply.get("grads"), "gradients")
    if second and reply.get("grads") is not None:
        entries(reply.get("second"), "second derivatives")
        if reply.get("second") is None:
            raise AssertionError("the student's process sent no second derivatives")


def local_submission(path: Path, module: str, reimplements=()):
    """A :class:`Submission` for a file loaded into this process, through the same
    messages: for the project's own tests of its graders (fast, and a failure
    shows the traceback). Never for a student's file: it runs the code here."""
    from ..sandbox.worker import Session

    session = Session(str(path), module, reimplements, guard=False)
    loaded = session.load()
    if "load_error" in loaded:
        raise StudentError(loaded["load_error"], loaded.get("kind", ""), loaded.get("kinds", ()))

    def request(message):
        message = wire.decode(*wire.split(wire.encode(message)))
        reply = session.handle(message)
        try:
            reply = wire.decode(*wire.split(wire.encode(reply)))
        except wire.WireError as e:
            reply = {"error": f"the result is not data: {e}", "kind": "NotData"}
        if "ok" in reply:
            return reply["ok"]
        if "refused" in reply:
            raise Refusal(reply["refused"])
        raise StudentError(reply["error"], reply.get("kind", ""), reply.get("kinds", ()))

    return Submission(request)
