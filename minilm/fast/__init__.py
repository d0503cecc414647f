"""Where speed lives: faster alternatives to the reference code, registered by key.

Every op in :mod:`minilm.ops` is written as the plain array expression (its
forward) and Tensor ops (its backward): the textbook. The alternatives here
compute the same values with fewer passes over memory, fewer Python calls or
GPU kernels of their own. The engine, ``nn`` and ``optim`` look them up:

- ``forward_for(Op, array)``: alternatives to ``Op.forward`` on that array's
  device, tried in order by :meth:`Function.apply`. Each is called as
  ``alt(fn, *arrays)`` and returns the output array, or ``NotImplemented``
  when it does not apply (too small, a dtype it does not handle); it may keep
  arrays on ``fn`` for its backward.
- ``backward_for(Op, array)``: alternatives to ``Op.backward`` for a plain
  backward pass (no graph being built), called as ``alt(fn, grad)``; they work
  on arrays and return gradient Tensors (or :class:`~minilm.autograd.SliceGrad`),
  or ``NotImplemented``. Under ``create_graph=True`` the reference backward
  always runs, so higher derivatives need no fast code.
- ``lookup(key, device)``: a module-level alternative (the one-op LSTM/GRU cells,
  the optimizers' update kernels), or None.

``MINILM_FUSED=0`` in the environment, or the :func:`disabled` context, empties
the registry: everything runs the reference code (to compare, or to rule the
fast layer out when hunting a bug). The tests iterate over :func:`registered`
and check each alternative against its reference.

This module is the registry only and imports nothing of minilm above the
backend; the alternatives live in ``fast/arrays.py`` (NumPy and CuPy alike:
array-level backwards, in-place forwards), ``fast/cuda.py`` (CuPy kernels),
``fast/recurrent.py`` and ``fast/optim.py``, imported by ``minilm/__init__``.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections import defaultdict

from .. import backend

DEVICES = ("cpu", "cuda")

_forward: dict = defaultdict(lambda: {d: [] for d in DEVICES})
_backward: dict = defaultdict(lambda: {d: [] for d in DEVICES})
_modules: dict = {}
_ENV_ON = os.environ.get("MINILM_FUSED", "1") != "0"
_on = _ENV_ON
_disabled_depth = 0  # open disabled() contexts, all threads together
_lock = threading.Lock()
_NONE = ()

__all__ = [
    "register_forward",
    "register_backward",
    "register",
    "forward_for",
    "backward_for",
    "lookup",
    "registered",
    "disabled",
    "enabled",
]


def _devices(device) -> tuple:
    devices = DEVICES if device == "any" else (device,) if isinstance(device, str) else device
    for d in devices:
        if d not in DEVICES:
            raise ValueError(f"fast: unknown device {d!r}; use one of {DEVICES} or 'any'")
    return tuple(devices)


def _add(table, op, device, fn) -> None:
    """Append ``fn`` to the op's alternatives; one registered for a device by
    name comes before every one registered for "any" (a CUDA kernel is tried
    before the array code that also runs on CuPy)."""
    for d in _devices(device):
        alts = table[op][d]
        if device == "any":
            alts.append(fn)
        else:
            specific = sum(1 for a in alts if getattr(a, "_minilm_device", "any") != "any")
            alts.insert(specific, fn)
    fn._minilm_device = device if isinstance(device, str) else "any"


def register_forward(op, device="any"):
    """Decorator: ``fn`` becomes an alternative to ``op.forward`` on ``device``
    ("cpu", "cuda", or "any")."""

    def deco(fn):
        _add(_forward, op, device, fn)
        return fn

    return deco


def register_backward(op, device="any"):
    """Decorator: ``fn`` becomes an alternative to ``op.backward`` in a plain
    backward pass on ``device``."""

    def deco(fn):
        _add(_backward, op, device, fn)
        return fn

    return deco


def register(key: str, device="any"):
    """Decorator: ``impl`` becomes the module-level alternative ``key`` on ``device``."""

    def deco(impl):
        for d in _devices(device):
            _modules[key, d] = impl
        return impl

    return deco


def forward_for(op, array) -> tuple | list:
    """The registered alternatives to ``op.forward`` for ``array``'s device."""
    if not _on or op not in _forward:
        return _NONE
    return _forward[op][backend.device_of(array)]


def backward_for(op, array) -> tuple | list:
    """The registered alternatives to ``op.backward`` for ``array``'s device."""
    if not _on or op not in _backward:
        return _NONE
    return _backward[op][backend.device_of(array)]


def lookup(key: str, device: str):
    """The module-level alternative ``key`` on ``device``, or None."""
    return _modules.get((key, device)) if _on else None


def enabled() -> bool:
    """Whether the fast layer is in use (``MINILM_FUSED`` and :func:`disabled` decide)."""
    return _on


@contextlib.contextmanager
def disabled():
    """Run the reference code only, inside the ``with``. The switch is
    process-wide, like ``MINILM_FUSED``: while any thread is inside a
    ``disabled()``, every thread runs the references (contexts nest and may
    overlap across threads; the fast layer comes back when the last one exits)."""
    global _on, _disabled_depth
    with _lock:
        _disabled_depth += 1
        _on = False
    try:
        yield
    finally:
        with _lock:
            _disabled_depth -= 1
            _on = _ENV_ON and _disabled_depth == 0


def registered() -> list[tuple]:
    """Every registration as ``(kind, op or key, device, alternative)``, kind
    being "forward", "backward" or "module": what the agreement tests iterate over."""
    out = []
    for kind, table in (("forward", _forward), ("backward", _backward)):
        for op, by_device in table.items():
            for d, alts in by_device.items():
                out.extend((kind, op, d, a) for a in alts)
    out.extend(("module", key, d, impl) for (key, d), impl in _modules.items())
    return out
