"""The GPU fast paths (minilm/ops/fused.py) compute what the plain array code does.

The GEMV sum runs on NumPy too when forced, so its logic is checked everywhere;
the CUDA kernels are checked against the NumPy path on large arrays when a GPU
is there (small op tests never reach the size where the GEMV route starts).
"""

import warnings

import pytest
from hypothesis import given
from hypothesis import strategies as st

import minilm
from minilm import functional as F
from minilm.backend import np
from minilm.ops import fused
from minilm.ops.reduce import normalize_axis
from minilm.testing import shapes

cuda = pytest.mark.skipif(not minilm.cuda.is_available(), reason="no CUDA GPU (CuPy)")


@given(shape=shapes(min_dims=1, max_dims=4), k=st.integers(0, 4), keepdims=st.booleans(),
       seed=st.integers(0, 2**16))  # fmt: skip
def test_gemv_sum_equals_sum_over_leading_axes(shape, k, keepdims, seed):
    x = np.random.default_rng(seed).standard_normal(shape)
    axes = tuple(range(min(k, len(shape))))
    got = fused.sum_leading(x, axes, keepdims, gemv=True)
    want = x.sum(axis=axes, keepdims=keepdims)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("axis", [(1,), (0, 2), (2,), None])
def test_gemv_sum_leaves_other_reductions_to_numpy(axis):
    x = np.arange(24.0).reshape(2, 3, 4)
    axes = normalize_axis(axis, 3)
    np.testing.assert_array_equal(fused.sum_leading(x, axes, False, gemv=True), x.sum(axis=axes))


def test_gemv_sum_skips_non_contiguous_and_integer_arrays():
    x = np.arange(24.0).reshape(4, 6).T  # a transposed view
    np.testing.assert_array_equal(fused.sum_leading(x, (0,), False, gemv=True), x.sum(axis=0))
    i = np.arange(12).reshape(3, 4)
    out = fused.sum_leading(i, (0,), False, gemv=True)
    assert out.dtype == i.dtype and out.tolist() == [12, 15, 18, 21]


def test_kernels_are_not_used_on_numpy():
    assert fused.run("exp_shift", np.ones(3), np.zeros(1)) is None


def test_attention_dropout_drops_weights_before_mixing_values():
    q, k, v = (minilm.randn(2, 3, 4) for _ in range(3))
    minilm.manual_seed(5)
    out, weights = F.scaled_dot_product_attention(q, k, v, return_weights=True, dropout_p=0.5)
    minilm.manual_seed(5)
    want = F.dropout(weights, 0.5) @ v
    np.testing.assert_allclose(out.numpy(), want.numpy(), rtol=1e-6)
    plain = F.scaled_dot_product_attention(q, k, v)
    assert not np.allclose(out.numpy(), plain.numpy())  # dropout did something
    np.testing.assert_allclose(weights.numpy().sum(-1), 1.0, rtol=1e-6)  # returned pre-dropout


@cuda
def test_gpu_gemv_sum_matches_cpu():  # pragma: no cover - GPU only
    x = minilm.randn(64, 32, 96)
    for axis in [(0, 1), 0]:
        want = x.sum(axis=axis).numpy()
        got = x.to("cuda").sum(axis=axis).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-3)


@cuda
@pytest.mark.parametrize("fn", ["gelu", "softmax"])
def test_gpu_fused_kernels_match_cpu(fn):  # pragma: no cover - GPU only
    f = {"gelu": lambda t: F.gelu(t, approximate="tanh"), "softmax": lambda t: F.softmax(t)}[fn]
    rng = np.random.default_rng(0)
    x = (3 * rng.standard_normal((64, 48, 40))).astype(np.float32)
    g = minilm.tensor(rng.standard_normal((64, 48, 40)).astype(np.float32))
    results = []
    for device in ("cpu", "cuda"):
        xd = minilm.tensor(x, device=device, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a kernel that fails to compile warns: fail here
            y = f(xd)
            (y * g.to(device)).sum().backward()
        results.append((y.numpy(), xd.grad.numpy()))
    (y0, g0), (y1, g1) = results
    np.testing.assert_allclose(y1, y0, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(g1, g0, rtol=1e-4, atol=1e-5)
    assert not fused._broken
