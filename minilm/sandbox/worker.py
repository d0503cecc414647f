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

import functools
import importlib
import importlib.abc
import importlib.util
import json
import os
import socket
import sys
import threading
import traceback
import types

__all__ = ["Session", "main", "Refused", "resolve"]

MAX_TEXT = 2000


class Refused(Exception):
    """Raised in the student's process for a refused import or call."""


def resolve(dotted: str):
    """The object a dotted name like ``minilm.ngram.model.NgramModel.fit`` names.

    >>> resolve("minilm.ops.arith.Mul.backward").__qualname__
    'Mul.backward'
    """
    obj, attrs = _import_owner(dotted)
    for attr in attrs:
        obj = getattr(obj, attr)
    return obj


def _import_owner(dotted: str):
    """(the module, the attributes after it) of a dotted name like
    ``minilm.ngram.model.NgramModel.fit``."""
    parts = dotted.split(".")
    for i in range(len(parts) - 1, 0, -1):
        try:
            return importlib.import_module(".".join(parts[:i])), parts[i:]
        except ImportError:
            continue
    raise LookupError(f"cannot import a module of {dotted}")


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
        self.depth = 0  # > 0 while the student's code runs
        if guard:
            sys.meta_path.insert(0, _Guard(self))
            for dotted in reimplements:
                self._forbid(dotted)
        self.module = None

    # -- refusals -------------------------------------------------------------
    #
    # A re-implemented function is refused while the student's code runs: inside
    # any call the grader makes to it (``depth``), inside any function or method
    # the student's module defines (they are wrapped at load), from any frame of
    # the student's file, and from any thread but the main one (only it answers
    # the grader). This is a deterrent, not a proof: code in this process can
    # always reach the original (through the wrapper's closure, or by exec-ing the
    # library's source); the grade a submission gets that way is for a
    # plagiarism check, like re-typing the library.

    def refuse(self, what: str):
        self.refusals.append(what)
        raise Refused(f"refused: {what}")

    def _from_student(self) -> bool:
        if self.depth or threading.current_thread() is not self.main_thread:
            return True
        frame = sys._getframe(2)
        while frame is not None:
            if os.path.realpath(frame.f_code.co_filename) == self.path:
                return True
            frame = frame.f_back
        return False

    def _refusing(self, func, dotted: str, verb: str = "called"):
        """``func`` behind the refusal: runs only when the student's code is not running."""
        session = self

        @functools.wraps(func)
        def refusing(*args, **kwargs):
            if session._from_student():
                session.refuse(f"{verb} {dotted}, which this exercise asks you to write")
            return func(*args, **kwargs)

        return refusing

    def _forbid(self, dotted: str) -> None:
        """Put ``dotted`` (module path, then attributes) behind :meth:`_refusing`,
        wherever minilm's modules hold it."""
        owner, attrs = _import_owner(dotted)
        module_name = owner.__name__
        for attr in attrs[:-1]:
            owner = getattr(owner, attr)
        name = attrs[-1]
        raw = owner.__dict__.get(name) if isinstance(owner, type) else None
        target = getattr(owner, name)
        if isinstance(target, type):  # a class: refuse making one
            target.__init__ = self._refusing(target.__init__, dotted, "used")
        elif isinstance(raw, (staticmethod, classmethod)):
            setattr(owner, name, type(raw)(self._refusing(raw.__func__, dotted)))
        else:
            replacement = self._refusing(target, dotted)
            setattr(owner, name, replacement)
            for mod in list(sys.modules.values()):  # ``from minilm.x import f``, re-exports
                if len(attrs) == 1 and getattr(mod, "__name__", "").startswith("minilm"):
                    if getattr(mod, name, None) is target:
                        setattr(mod, name, replacement)
        self.patched_modules.add(module_name)

    def _entered(self, func):
        """``func`` counting as the student's code while it runs."""
        session = self

        @functools.wraps(func)
        def student_code(*args, **kwargs):
            session.depth += 1
            try:
                return func(*args, **kwargs)
            finally:
                session.depth -= 1

        return student_code

    def _wrap_module(self, module) -> None:
        """Every function and method the student's module defines counts as
        theirs when something else (the engine, a probe) calls it later."""
        for name, value in list(vars(module).items()):
            if isinstance(value, types.FunctionType):
                setattr(module, name, self._entered(value))
            elif isinstance(value, type) and value.__module__ == module.__name__:
                for attr, member in list(vars(value).items()):
                    if isinstance(member, types.FunctionType):
                        setattr(value, attr, self._entered(member))
                    elif isinstance(member, (staticmethod, classmethod)):
                        setattr(value, attr, type(member)(self._entered(member.__func__)))

    # -- loading and calls ----------------------------------------------------

    def load(self) -> dict:
        spec = importlib.util.spec_from_file_location(self.module_name, self.path)
        module = importlib.util.module_from_spec(spec)
        self.depth += 1
        try:
            spec.loader.exec_module(module)
        except BaseException as e:  # a syntax error, or anything the module runs on import
            return self._error(e, loading=True)
        finally:
            self.depth -= 1
        self._wrap_module(module)
        self.module = module
        return {"ready": True}

    def _describe(self, exc: BaseException) -> str:
        try:
            text = f"{type(exc).__name__}: {exc}".rstrip(": ")
        except BaseException:  # an exception whose str() raises
            text = type(exc).__name__
        if isinstance(exc, (ImportError, PermissionError)) and self.sandboxed:
            stdlib = ", ".join(m for m in PRELOAD if "." not in m and m not in ("numpy", "minilm"))
            text += f" (in the grader's sandbox a file can import NumPy, minilm and {stdlib})"
        frames = [f for f in traceback.extract_tb(exc.__traceback__)
                  if os.path.realpath(f.filename) == self.path]  # fmt: skip
        if frames:
            text += f" (at {os.path.basename(self.path)} line {frames[-1].lineno})"
        return text[:MAX_TEXT]

    def _error(self, exc: BaseException, loading: bool = False) -> dict:
        if isinstance(exc, Refused) or self.refusals:
            return {"refused": self.refusals[-1] if self.refusals else str(exc)}
        key = "load_error" if loading else "error"
        kinds = [c.__name__ for c in type(exc).__mro__]  # KeyError, LookupError, ...
        return {key: self._describe(exc), "kind": type(exc).__name__, "kinds": kinds[:8]}

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
                self.depth += 1
                try:
                    value = fn(*args, **kwargs)
                finally:
                    self.depth -= 1
                changed = _changed(before)
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

    from ..autograd import TensorBase

    found = []

    def walk(v, where):
        if isinstance(v, np.ndarray):
            found.append((where, v, v.copy()))
        elif isinstance(v, TensorBase):  # a Tensor: its values
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


def _changed(before) -> str:
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


def become(uid: int, jail: str | None = None) -> bool:
    """Drop root for good: user and group ``uid``, no other groups; first, when
    it can, make ``jail`` (the folder holding ``work/``) the root of the file
    system, so that nothing else on the machine (classmates' files, other
    copies of minilm, git history) can be opened at all. Returns whether the
    jail holds."""
    jailed = False
    if jail is not None:
        try:
            os.chroot(jail)
            os.chdir("/work")
            jailed = True
        except OSError:
            pass  # no CAP_SYS_CHROOT here: the user id alone protects root's files
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid or os.getgid() != uid:
        raise SystemExit("the sandbox could not switch to its user id")
    try:
        os.setuid(0)
    except PermissionError:
        return jailed
    raise SystemExit("the sandbox could switch back to root")


def main(argv) -> int:
    fd, limits = int(argv[0]), json.loads(argv[1])
    apply_limits(limits)
    channel = socket.socket(fileno=fd)
    from . import wire

    hello = wire.decode(*wire.recv(channel))
    for name in PRELOAD:
        importlib.import_module(name)
    for dotted in hello.get("reimplements", ()):  # load each one's module while we may
        _import_owner(dotted)
    path, jailed = hello["file"], False
    sandboxed = limits.get("uid") is not None
    if sandboxed:
        jail = limits.get("jail")
        jailed = become(int(limits["uid"]), jail)
        if jailed:
            path = "/" + os.path.relpath(path, jail)
    wire.send(channel, wire.encode({"jailed": jailed}))  # before any of the student's code
    session = Session(path, hello["module"], hello.get("reimplements", ()), sandboxed=sandboxed)

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
