"""``minilm.cuda.is_available()``, as in PyTorch."""

from . import backend


def is_available() -> bool:
    """True when CuPy is installed and an NVIDIA GPU is visible."""
    return backend.cuda_available()


def device_count() -> int:
    if not backend.cuda_available():
        return 0
    return backend.cp.cuda.runtime.getDeviceCount()  # pragma: no cover - GPU only
