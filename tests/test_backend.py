"""backend: the pieces every op relies on, on both code paths."""

import math

import pytest

from minilm import backend
from minilm.backend import np


@pytest.mark.parametrize("use_scipy", [True, False])
def test_erf_is_exact_with_and_without_scipy(monkeypatch, use_scipy):
    if not use_scipy:
        monkeypatch.setattr(backend, "_scipy_erf", None)  # CI has no SciPy: math.erf path
    elif backend._scipy_erf is None:
        pytest.skip("SciPy not installed")
    for x in (np.array(0.3), np.linspace(-3, 3, 7), np.linspace(-2, 2, 6).reshape(2, 3)):
        for dtype in (np.float32, np.float64):
            y = backend.erf(x.astype(dtype))
            assert y.dtype == dtype and np.shape(y) == x.shape
            want = np.vectorize(math.erf)(x.astype(dtype).astype(np.float64))
            np.testing.assert_allclose(y, want, rtol=1e-6 if dtype == np.float32 else 1e-15)
