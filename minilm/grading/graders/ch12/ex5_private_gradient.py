"""Graders for ex5_private_gradient, against ``minilm.privacy.clip_and_noise``.

The library draws its noise from a generator; the exercise takes the standard
normal draws ``z`` instead, so the grader draws ``z`` from a generator seeded as
the library's is (``Generator.normal(0, s)`` is ``s`` times ``standard_normal``).
"""

from hypothesis import strategies as st

from minilm.backend import np
from minilm.grading import assert_close, check, prop
from minilm.privacy import clip_and_noise

REIMPLEMENTS = ("minilm.privacy.clip_and_noise",)

_seeds = st.integers(0, 2**32 - 1)


def _grads(seed, B=None, D=None):
    """B rows of D numbers: some far outside the ball, some inside, maybe a zero row."""
    rng = np.random.default_rng(seed)
    B = int(rng.integers(1, 7)) if B is None else B
    D = int(rng.integers(1, 9)) if D is None else D
    grads = rng.normal(0, 1, (B, D)) * rng.choice([1e-3, 0.3, 1.0, 5.0], (B, 1))
    if B > 2 and rng.random() < 0.3:
        grads[1] = 0.0
    return grads


def _library(grads, C, sigma, expected, seed):
    return clip_and_noise({"g": grads}, C, sigma, expected, np.random.default_rng(seed))["g"]


@check(points=2)
@prop(seed=_seeds, C=st.floats(0.05, 3.0))
def clipping(student, seed, C):
    """each row scaled by min(1, C / (norm + 1e-6)): long rows to norm C, short rows kept"""
    grads = _grads(seed)
    got = np.asarray(student.clip_gradients(grads.copy(), C), dtype=np.float64)
    assert got.shape == grads.shape, f"clip_gradients returned shape {got.shape}, not {grads.shape}"
    for b in range(len(grads)):  # the library's clip of one example alone
        want = _library(grads[b : b + 1], C, 0.0, 1.0, 0)
        assert_close(got[b], want, f"clip_gradients(..., max_norm={C}), row {b}", atol=1e-12)


@check(points=1)
@prop(seed=_seeds, C=st.floats(0.05, 3.0), expected=st.floats(0.5, 300.0))
def noiseless_sum(student, seed, C, expected):
    """with noise_multiplier 0: the clipped rows' sum over the expected batch size"""
    grads = _grads(seed)
    D = grads.shape[1]
    got = student.private_gradient(grads.copy(), C, 0.0, expected, np.zeros(D))
    want = _library(grads, C, 0.0, expected, 0)
    call = f"private_gradient(noise_multiplier=0, expected_batch_size={expected})"
    assert_close(np.asarray(got, dtype=np.float64), want, call)


@check(points=2)
@prop(seed=_seeds, C=st.floats(0.05, 3.0), sigma=st.floats(0.1, 5.0),
      expected=st.floats(0.5, 300.0))  # fmt: skip
def noise(student, seed, C, sigma, expected):
    """noise of standard deviation noise_multiplier * max_norm on the sum, then / expected"""
    grads = _grads(seed)
    z = np.random.default_rng(seed).standard_normal(grads.shape[1])
    got = student.private_gradient(grads.copy(), C, sigma, expected, z)
    want = _library(grads, C, sigma, expected, seed)
    assert_close(np.asarray(got, dtype=np.float64), want,
                 f"private_gradient(max_norm={C}, noise_multiplier={sigma}, "
                 f"expected_batch_size={expected})")  # fmt: skip
