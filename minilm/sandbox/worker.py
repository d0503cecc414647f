"""The student's process: load one submission, then answer calls on it.

The grader starts ``python -I -c BOOT FD LIMITS_JSON`` (see
:mod:`minilm.grading.child`); this is the only code that runs before the
student's. In order it

1. lowers its resource limits for good (soft and hard: memory, CPU seconds,
   file size, open files, processes), before NumPy or the student's code loads;
2. installs an import guard that refuses ``minilm.grading`` (the graders and
   the reference solutions) and re-imports of the modules patched in step 3;
3. replaces each library function the exercise re-implements with one that
   refuses calls coming from the student's code;
4. loads the submission and answers requests on the channel ``FD``: call a
   function of the student's module with data, or run a probe
   (:mod:`minilm.sandbox.probes`) on it, replying with data.

Nothing here is trusted by the grader: the student's code runs in this process
and can change anything in it. The grader only reads data from the channel,
and computes every check, comparison and score itself.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import json
import os
import socket
import sys
import threading
import traceback

__all__ = ["Session", "main", "Refused"]

MAX_TEXT = 2000


class Refused(Exception):
    """Raised in the student's process for a refused import or call."""


def apply_limits(limits: dict) -> None:
    """Soft and hard limits at once, so the student's code cannot raise them."""
    import resource

    names = {
        "memory": resource.RLIMIT_AS,
        "cpu": resource.RLIMIT_CPU,
        "file_size": resource.RLIMIT_FSIZE,
        "open_files": resource.RLIMIT_NOFILE,
        "core": resource.RLIMIT_CORE,
    }
    if limits.get("processes") is not None:
        names["processes"] = resource.RLIMIT_NPROC
    for key, which in names.items():
        value = limits.get(key)
        if value is not None:
            resource.setrlimit(which, (int(value), int(value)))


class _Guard(importlib.abc.MetaPathFinder):
    """Refuse ``minilm.grading`` and re-imports (``importlib.reload``) of patched modules."""

    def __init__(self, session):
        self.session = session

    def find_spec(self, name, path=None, target=None):
        if name == "minilm.grading" or name.startswith("minilm.grading."):
            self.session.refuse(
                f"imported {name}: the graders and reference solutions are off limits"
            )
        if name in self.session.patched_modules:
            self.session.refuse(
                f"re-imported {name}, which holds what this exercise asks you to write"
            )
        return None


class Session:
    """One loaded submission and the requests it answers.

    ``handle(request) -> reply`` is the whole protocol; the same object serves
    the child process and the in-process runner the project's tests use.
    """

    def __init__(self, path: str, module_name: str, reimplements=(), guard: bool = True,
                 sandboxed: bool = False):  # fmt: skip
        self.path = os.path.realpath(path)
        self.module_name = module_name
        self.sandboxed = sandboxed  # running as a sandbox user that may not read the stdlib
        self.refusals: list[str] = []
        self.patched_modules: set[str] = set()
        self.main_thread = threading.main_thread()
        if guard:
            sys.meta_path.insert(0, _Guard(self))
            for dotted in reimplements:
                self._forbid(dotted)
        self.module = None

    # -- refusals -------------------------------------------------------------

    def refuse(self, what: str):
        self.refusals.append(what)
        raise Refused(f"refused: {what}")

    def _from_student(self) -> bool:
        if threading.current_thread() is not self.main_thread:
            return True  # only the main thread answers requests; others are the student's
        frame = sys._getframe(2)
        while frame is not None:
            if os.path.realpath(frame.f_code.co_filename) == self.path:
                return True
            frame = frame.f_back
        return False

    def _forbid(self, dotted: str) -> None:
        """Replace ``dotted`` (module path, then attributes) with a function that
        refuses calls from the student's code and runs the original otherwise."""
        parts = dotted.split(".")
        for i in range(len(parts) - 1, 0, -1):
            try:
                owner = importlib.import_module(".".join(parts[:i]))
            except ImportError:
                continue
            attrs = parts[i:]
            break
        else:
            raise LookupError(f"cannot import a module of {dotted}")
        module_name = owner.__name__
        for attr in attrs[:-1]:
            owner = getattr(owner, attr)
        original = owner.__dict__.get(attrs[-1]) if isinstance(owner, type) else None
        target = getattr(owner, attrs[-1])
        session = self

        if isinstance(target, type):  # a class: refuse making one
            init = target.__init__

            def refusing_init(obj, *args, **kwargs):
                if session._from_student():
                    session.refuse(f"used {dotted}, which this exercise asks you to write")
                return init(obj, *args, **kwargs)

            target.__init__ = refusing_init
        else:
            func = (
                original.__func__ if isinstance(original, (staticmethod, classmethod)) else target
            )

            def refusing(*args, **kwargs):
                if session._from_student():
                    session.refuse(f"called {dotted}, which this exercise asks you to write")
                return func(*args, **kwargs)

            refusing.__name__ = getattr(func, "__name__", attrs[-1])
            replacement = refusing
            if isinstance(original, staticmethod):
                replacement = staticmethod(refusing)
            elif isinstance(original, classmethod):

                def refusing_cls(cls, *args, **kwargs):
                    if session._from_student():
                        session.refuse(f"called {dotted}, which this exercise asks you to write")
                    return original.__func__(cls, *args, **kwargs)

                replacement = classmethod(refusing_cls)
            setattr(owner, attrs[-1], replacement)
            # a name imported elsewhere (``from minilm.x import f``, re-exports) is patched too
            for mod in list(sys.modules.values()):
                if getattr(mod, "__name__", "").startswith("minilm") and mod is not owner:
                    if getattr(mod, attrs[-1], None) is target and len(attrs) == 1:
                        setattr(mod, attrs[-1], replacement)
        self.patched_modules.add(module_name)

    # -- loading and calls ----------------------------------------------------

    def load(self) -> dict:
        spec = importlib.util.spec_from_file_location(self.module_name, self.path)
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except BaseException as e:  # a syntax error, or anything the module runs on import
            return self._error(e, loading=True)
        self.module = module
        return {"ready": True}

    def _describe(self, exc: BaseException) -> str:
        try:
            text = f"{type(exc).__name__}: {exc}".rstrip(": ")
        except BaseException:  # an exception whose str() raises
            text = type(exc).__name__
        if isinstance(exc, (ImportError, PermissionError)) and self.sandboxed:
            text += (" (graded in a sandbox: it can import NumPy, minilm and the standard "
                     "modules in minilm.sandbox.worker.PRELOAD)")  # fmt: skip
        frames = [f for f in traceback.extract_tb(exc.__traceback__)
                  if os.path.realpath(f.filename) == self.path]  # fmt: skip
        if frames:
            text += f" (at {os.path.basename(self.path)} line {frames[-1].lineno})"
        return text[:MAX_TEXT]

    def _error(self, exc: BaseException, loading: bool = False) -> dict:
        if isinstance(exc, Refused) or self.refusals:
            return {"refused": self.refusals[-1] if self.refusals else str(exc)}
        key = "load_error" if loading else "error"
        return {key: self._describe(exc), "kind": type(exc).__name__}

    def _resolve(self, name: str):
        obj = self.module
        for part in name.split("."):
            if part.startswith("__"):
                raise AttributeError(f"{name!r} is not a name the exercise asks for")
            try:
                obj = getattr(obj, part)
            except AttributeError:
                raise AttributeError(
                    f"your file defines no {name!r} (the exercise asks for it)"
                ) from None
        return obj

    def handle(self, request: dict) -> dict:
        """One request: ``{"call": name, "args": [...], "kwargs": {...}}`` or
        ``{"probe": name, "args": [...], "kwargs": {...}}``."""
        from . import probes

        args, kwargs = list(request.get("args", [])), dict(request.get("kwargs", {}))
        try:
            if "probe" in request:
                value = probes.PROBES[request["probe"]](self, *args, **kwargs)
            else:
                fn = self._resolve(request["call"])
                before = _snapshot((args, kwargs))
                value = fn(*args, **kwargs)
                changed = _changed(before, (args, kwargs))
                if changed:
                    return {
                        "error": f"{request['call']} changed its input {changed} in place; "
                        "compute a new array instead (x = x + y, not x += y)",
                        "kind": "InputModified",
                    }
        except BaseException as e:  # noqa: BLE001 - every failure is the student's, and data
            return self._error(e)
        if self.refusals:
            return {"refused": self.refusals[-1]}
        return {"ok": value}


def _snapshot(value):
    import numpy as np

    found = []

    def walk(v, where):
        if isinstance(v, np.ndarray):
            found.append((where, v, v.copy()))
        elif hasattr(v, "_vbox") and hasattr(v, "data"):  # a Tensor: its values
            found.append((where, v.data, v.data.copy()))
        elif isinstance(v, (list, tuple)):
            for i, x in enumerate(v):
                walk(x, f"{where}[{i}]")
        elif isinstance(v, dict):
            for k, x in v.items():
                walk(x, f"{where}[{k!r}]")

    args, kwargs = value
    for i, a in enumerate(args):
        walk(a, f"argument {i + 1}")
    for k, a in kwargs.items():
        walk(a, k)
    return found


def _changed(before, _after) -> str:
    import numpy as np

    for where, live, saved in before:
        if live.shape != saved.shape or not np.array_equal(live, saved, equal_nan=True):
            return where
    return ""


# What a submission may import once the process has become its sandbox user,
# who may not be able to read the Python installation (e.g. a pyenv under
# /root): loaded here first, as root. NumPy and minilm come on top.
PRELOAD = (
    "math", "cmath", "collections", "collections.abc", "itertools", "functools", "operator",
    "heapq", "bisect", "re", "string", "json", "random", "statistics", "typing", "dataclasses",
    "copy", "fractions", "decimal", "numbers", "enum", "array", "textwrap", "unicodedata",
    "numpy", "numpy.linalg", "numpy.random", "numpy.fft",
    "minilm", "minilm.functional", "minilm.nn", "minilm.optim", "minilm.ngram", "minilm.text",
    "minilm.info", "minilm.metrics", "minilm.generate", "minilm.models", "minilm.rl",
    "minilm.sandbox.probes",
)  # fmt: skip


def become(uid: int) -> None:
    """Drop root for good: user and group ``uid``, no other groups."""
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid or os.getgid() != uid:
        raise SystemExit("the sandbox could not switch to its user id")
    try:
        os.setuid(0)
    except PermissionError:
        return
    raise SystemExit("the sandbox could switch back to root")


def main(argv) -> int:
    fd, limits = int(argv[0]), json.loads(argv[1])
    apply_limits(limits)
    channel = socket.socket(fileno=fd)
    from . import wire

    hello = wire.decode(*wire.recv(channel))
    for name in PRELOAD:
        importlib.import_module(name)
    for dotted in hello.get("reimplements", ()):  # the module part of each dotted name
        parts = dotted.split(".")
        for i in range(len(parts) - 1, 0, -1):
            try:
                importlib.import_module(".".join(parts[:i]))
                break
            except ImportError:
                continue
    sandboxed = limits.get("uid") is not None
    if sandboxed:
        become(int(limits["uid"]))
    session = Session(hello["file"], hello["module"], hello.get("reimplements", ()),
                      sandboxed=sandboxed)  # fmt: skip

    def reply(value: dict) -> None:
        try:
            message = wire.encode(value)
        except wire.WireError as e:
            message = wire.encode({"error": f"the result is not data: {e}", "kind": "NotData"})
        wire.send(channel, message)

    reply(session.load())
    while True:
        try:
            request = wire.decode(*wire.recv(channel))
        except EOFError:
            return 0
        reply(session.handle(request))
