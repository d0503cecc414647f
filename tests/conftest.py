"""Shared fixtures: the device parameter and the hypothesis profiles.

Profiles: ``ci`` (the default, fast) and ``thorough`` (many more examples);
pick one with ``MINILM_HYPOTHESIS_PROFILE=thorough pytest``.
"""

import os

# Tests multiply many small matrices. OpenBLAS's worker threads make each such
# product 10-50x slower when the cores are busy (measured here: a (256, 128) @
# (128, 128) product took 11.5 ms with the default threads on a loaded 2-core
# machine, 0.2 ms with one). Set before NumPy loads; notebook kernels inherit it.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# hostile submissions are files for the grader to run in its sandbox, never modules to import
collect_ignore_glob = ["grading/hostile/*.py"]

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

import minilm  # noqa: E402

settings.register_profile(
    "ci",
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)
settings.register_profile(
    "thorough",
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("MINILM_HYPOTHESIS_PROFILE", "ci"))

DEVICES = [
    "cpu",
    pytest.param(
        "cuda",
        marks=pytest.mark.skipif(not minilm.cuda.is_available(), reason="no CUDA GPU (CuPy)"),
    ),
]


@pytest.fixture(params=DEVICES)
def device(request):
    """Run a test once per device; cuda cases skip without a GPU."""
    return request.param


@pytest.fixture(autouse=True)
def _seed():
    minilm.manual_seed(0)


@pytest.fixture(params=["fast", "reference"])
def fast_layer(request):
    """Run a test with the fast layer on, then with the reference code only."""
    if request.param == "fast":
        yield True
    else:
        with minilm.fast.disabled():
            yield False
