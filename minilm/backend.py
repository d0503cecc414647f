"""The one module that imports NumPy and CuPy.

Everything else asks this module for an array module (``xp``) with
:func:`get_array_module`, so one body of code serves the CPU (NumPy) and the
GPU (CuPy). Code that only ever runs on the CPU (counting n-grams, reading
corpora) uses ``from minilm.backend import np``.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np

try:  # CuPy is optional: the ``[gpu]`` extra.
    import cupy as cp

    try:
        _CUDA = cp.cuda.runtime.getDeviceCount() > 0
    except Exception:  # no driver, no device
        _CUDA = False
except ImportError:
    cp = None
    _CUDA = False

DEVICES = ("cpu", "cuda")

__all__ = [
    "np",
    "cp",
    "DEVICES",
    "cuda_available",
    "check_device",
    "xp_for",
    "get_array_module",
    "device_of",
    "to_device",
    "to_numpy",
    "seed",
    "rng",
    "erf",
]


def cuda_available() -> bool:
    """True when CuPy is installed and sees at least one GPU."""
    return _CUDA


def check_device(device: str) -> str:
    """Return ``device`` normalized ("cuda:0" -> "cuda"), or raise a clear error."""
    name = str(device).split(":")[0]
    if name not in DEVICES:
        raise ValueError(f"unknown device {device!r}: use one of {DEVICES}")
    if name == "cuda" and not _CUDA:
        raise RuntimeError(
            "device='cuda' needs CuPy and an NVIDIA GPU; install the extra with "
            "`pip install minilm[gpu]`, or use device='cpu'"
        )
    return name


def xp_for(device: str):
    """The array module for a device name."""
    return cp if check_device(device) == "cuda" else np


def get_array_module(*arrays):
    """``cupy`` if any argument is a CuPy array, else ``numpy`` (as in Chainer)."""
    if cp is not None:
        for a in arrays:
            if isinstance(a, cp.ndarray):
                return cp
    return np


def device_of(array) -> str:
    return "cuda" if cp is not None and isinstance(array, cp.ndarray) else "cpu"


def to_device(array, device: str):
    """Copy ``array`` to ``device`` (no copy when it is already there)."""
    device = check_device(device)
    if device == device_of(array):
        return array
    return cp.asarray(array) if device == "cuda" else cp.asnumpy(array)


def to_numpy(array):
    """A NumPy array, whatever the device."""
    return cp.asnumpy(array) if device_of(array) == "cuda" else np.asarray(array)


# --- random numbers -------------------------------------------------------
# One generator per device; minilm.manual_seed reseeds both.
_rngs: dict[str, object] = {}


def seed(n: int) -> None:
    """Seed every generator minilm uses, on both backends."""
    _rngs["cpu"] = np.random.default_rng(n)
    if _CUDA:
        _rngs["cuda"] = cp.random.default_rng(n)  # pragma: no cover - GPU only


def rng(device: str = "cpu"):
    """The generator for a device (a ``numpy.random.Generator`` or CuPy's)."""
    if device not in _rngs:
        _rngs[device] = (cp if device == "cuda" else np).random.default_rng()
    return _rngs[device]


@contextlib.contextmanager
def seeded_rng(device: str, *seed: int):
    """Inside the ``with``, :func:`rng` (device) is a fresh generator seeded by the
    integers ``seed`` (mixed by NumPy's SeedSequence); the one before comes back
    after, untouched. ``fit`` draws each micro-batch's dropout masks this way, so
    they depend on (seed, step, micro-batch) alone, whichever process draws them."""
    n = int(np.random.SeedSequence(list(seed)).generate_state(1)[0])
    saved = _rngs.get(device)
    _rngs[device] = (cp if device == "cuda" else np).random.default_rng(n)
    try:
        yield
    finally:
        if saved is None:
            _rngs.pop(device, None)
        else:
            _rngs[device] = saved


def get_rng_state() -> dict:
    """The CPU generator's state as plain JSON-able data (for checkpoints)."""
    return rng("cpu").bit_generator.state


def set_rng_state(state: dict) -> None:
    gen = np.random.default_rng()
    gen.bit_generator.state = state
    _rngs["cpu"] = gen


seed(0)


# --- special functions ----------------------------------------------------
try:  # SciPy is not a dependency, but its erf is faster when present.
    from scipy.special import erf as _scipy_erf
except ImportError:
    _scipy_erf = None
_math_erf = np.frompyfunc(math.erf, 1, 1)


def erf(x):
    """The error function, exact to the dtype's precision on both backends."""
    if device_of(x) == "cuda":  # pragma: no cover - GPU only
        from cupyx.scipy.special import erf as cupy_erf

        return cupy_erf(x)
    if _scipy_erf is not None:
        return _scipy_erf(x)
    return np.asarray(_math_erf(x), dtype=x.dtype)  # frompyfunc gives objects (a float for 0-d)
