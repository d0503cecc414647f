"""Shared fixtures: the device parameter and the hypothesis profiles.

Profiles: ``ci`` (the default, fast) and ``thorough`` (many more examples);
pick one with ``MINILM_HYPOTHESIS_PROFILE=thorough pytest``.
"""

import os

import pytest
from hypothesis import HealthCheck, settings

import minilm

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
