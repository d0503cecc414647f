"""The GPU fast paths (minilm/ops/fused.py) compute what the plain array code does.

The GEMV sum runs on NumPy too when forced, so its logic is checked everywhere;
the CUDA kernels are checked against the NumPy path on large arrays when a GPU
is there (small op tests never reach the size where the GEMV route starts).
"""

import ctypes
import os
import shutil
import subprocess
import sys
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


@given(shape=shapes(min_dims=1, max_dims=3, min_side=2, max_side=5), seed=st.integers(0, 2**16))
def test_layer_norm_matrix_vector_route_matches_the_plain_code(shape, seed):
    """The GPU route (row sums as matrix-vector products, the rest in two kernels,
    here their NumPy fallbacks) gives the plain Function's values and gradients."""
    rng = np.random.default_rng(seed)
    x = 3 * rng.standard_normal(shape) + rng.standard_normal()
    w, b, g = (
        rng.standard_normal(shape[-1:]),
        rng.standard_normal(shape[-1:]),
        rng.standard_normal(shape),
    )
    xt, wt, bt = (minilm.tensor(a, requires_grad=True) for a in (x, w, b))
    y = F.layer_norm(xt, wt, bt)
    y.backward(minilm.tensor(g))
    got_y, xh, r = fused.layer_norm(x, w, b, 1e-5, route=True)
    np.testing.assert_allclose(got_y, y.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(
        r[:, 0] ** -2 - 1e-5, x.reshape(-1, shape[-1]).var(-1), rtol=1e-8, atol=1e-10
    )
    gx, gw, gb = fused.layer_norm_backward(g, w, xh, r, route=True)
    for got, want in ((gx, xt.grad), (gw, wt.grad), (gb, bt.grad)):
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("case", ["mixed dtypes", "2-D weight", "float32 gradient"])
def test_layer_norm_backward_follows_the_forwards_route(case, monkeypatch):
    """Forward and backward decide on the fused route together: a forward that
    had to take the plain path (mixed dtypes, a weight not of shape (D,)) is
    never followed by the fused backward, even where the backward's own arrays
    would allow it. The GPU route is forced here on NumPy arrays."""
    route = fused._gpu_route
    monkeypatch.setattr(fused, "_gpu_route", lambda r, *a: route(True, *a))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4))
    w, b = rng.standard_normal(4), rng.standard_normal(4)
    if case == "mixed dtypes":
        b = b.astype(np.float32)
    if case == "2-D weight":
        w, b = w[None], b[None]
    g = rng.standard_normal(x.shape)
    if case == "float32 gradient":
        x, w, b = x.astype(np.float32), w.astype(np.float32), b.astype(np.float64)
        g = g.astype(np.float32)
    grads = []
    for forced in (True, False):
        if not forced:
            monkeypatch.setattr(fused, "_gpu_route", lambda r, *a: False)
        ts = [minilm.tensor(a, requires_grad=True) for a in (x, w, b)]
        F.layer_norm(*ts).backward(minilm.tensor(g))
        grads.append([t.grad.numpy() for t in ts])
    for got, want in zip(*grads):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_layer_norm_route_is_off_on_numpy_and_for_mixed_dtypes():
    x = np.ones((300, 300), dtype=np.float32)  # large, but NumPy: the plain code runs
    w, b = np.ones(300, dtype=np.float32), np.zeros(300, dtype=np.float32)
    assert fused.layer_norm(x, w, b, 1e-5) is None
    assert fused.layer_norm(x, w.astype(np.float64), b, 1e-5, route=True) is None


# Every kernel body, compiled for the host with the C++ compiler and run on NumPy
# arrays, must give what the NumPy code it replaces gives. A kernel's body sees
# its inputs as ``const T`` values and its outputs as ``T&`` references, one
# element at a time (inputs broadcast), which is how cupy.ElementwiseKernel runs
# it on the GPU; the CUDA tests then check the GPU itself.
KERNEL_CASES = {  # name: (input shapes, the NumPy expression of each output)
    "gelu_tanh_fwd": ([(5, 7)], lambda x: (
        0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))),
        np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))),
    "gelu_tanh_bwd": ([(5, 7), (5, 7), (5, 7)], lambda x, t, g: (g * (
        0.5 * (1 + t) + 0.5 * x * (1 - t * t) * np.sqrt(2 / np.pi) * (1 + 3 * 0.044715 * x * x)),)),
    "exp_shift": ([(5, 7), (5, 1)], lambda x, m: (np.exp(x - m),)),
    "softmax_bwd": ([(5, 7), (5, 7), (5, 1)], lambda y, g, s: (y * (g - s),)),
    "ln_centered_square": ([(5, 7), (5, 1)], lambda x, mu: ((x - mu) ** 2,)),
    "ln_affine_fwd": ([(5, 7), (5, 1), (5, 1), (7,), (7,)],
                      lambda x, mu, r, w, b: ((x - mu) * r, (x - mu) * r * w + b)),
    "ln_bwd": ([(5, 7), (7,), (5, 7), (5, 1), (5, 1), (5, 1)],
               lambda g, w, xh, r, a, c: (r * (g * w - a - xh * c),)),
}  # fmt: skip


def test_every_kernel_has_a_host_check():
    assert set(KERNEL_CASES) == set(fused._SOURCES)


@pytest.mark.skipif(shutil.which("c++") is None, reason="no C++ compiler")
@pytest.mark.parametrize("name", sorted(KERNEL_CASES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernel_body_computes_its_numpy_expression(name, dtype, tmp_path):
    shapes_in, reference = KERNEL_CASES[name]
    rng = np.random.default_rng(0)
    args = [rng.uniform(-2, 2, s).astype(dtype) for s in shapes_in]
    got = _host_kernel(name, dtype, tmp_path)(*args)
    want = reference(*(a.astype(np.float64) for a in args))
    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol)


def _host_kernel(name, dtype, folder):
    """Kernel ``name`` of minilm.ops.fused built as a host loop over flat arrays."""
    inputs, outputs, body = fused._SOURCES[name]
    params = lambda spec: [p.split()[1] for p in spec.split(",")]
    ins, outs = params(inputs), params(outputs)
    ctype = {np.float32: "float", np.float64: "double"}[dtype]
    sig = ", ".join([f"const T* in_{p}" for p in ins] + [f"T* out_{p}" for p in outs])
    loads = " ".join([f"const T {p} = in_{p}[i];" for p in ins] +
                     [f"T& {p} = out_{p}[i];" for p in outs])  # fmt: skip
    src = folder / f"{name}.cpp"
    src.write_text(
        "#include <cmath>\nusing std::exp; using std::tanh; using std::sqrt;\n"
        f"typedef {ctype} T;\n"
        f'extern "C" void kernel(long n, {sig}) {{\n'
        f"  for (long i = 0; i < n; ++i) {{ {loads} {body} }}\n}}\n"
    )
    lib = folder / f"{name}.so"
    subprocess.run(["c++", "-O1", "-shared", "-fPIC", "-o", str(lib), str(src)], check=True)
    fn = ctypes.CDLL(str(lib)).kernel

    def call(*args):
        args = [np.ascontiguousarray(a) for a in np.broadcast_arrays(*args)]
        out = [np.empty_like(args[0]) for _ in outs]
        ptr = lambda a: a.ctypes.data_as(ctypes.c_void_p)
        fn(ctypes.c_long(args[0].size), *map(ptr, args), *map(ptr, out))
        return out

    return call


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


@cuda
def test_gpu_layer_norm_matches_cpu():  # pragma: no cover - GPU only
    rng = np.random.default_rng(0)
    x = (2 * rng.standard_normal((64, 48, 40)) + 1).astype(np.float32)  # large: the fused route
    w, b = (rng.standard_normal(40).astype(np.float32) for _ in range(2))
    g = rng.standard_normal(x.shape).astype(np.float32)
    results = []
    for device in ("cpu", "cuda"):
        xt, wt, bt = (minilm.tensor(a, device=device, requires_grad=True) for a in (x, w, b))
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a kernel that fails to compile warns: fail here
            y = F.layer_norm(xt, wt, bt)
            y.backward(minilm.tensor(g, device=device))
        results.append([t.numpy() for t in (y, xt.grad, wt.grad, bt.grad)])
    for got, want in zip(*results[::-1]):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-3)
    assert not fused._broken


@given(seed=st.integers(0, 2**16), T=st.integers(1, 5), S=st.integers(1, 5), d=st.integers(1, 4))
def test_batched_matmul_in_either_layout_is_the_product(seed, T, S, d):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((2, 3, T, S))  # contiguous
    g = rng.standard_normal((2, T, 3, d)).transpose(0, 2, 1, 3)  # (2, 3, T, d), a head-split view
    v = rng.standard_normal((2, S, 3, d)).transpose(0, 2, 1, 3)  # (2, 3, S, d)
    for a, b in [(w.swapaxes(-1, -2), g), (w, v), (g, g.swapaxes(-1, -2)), (g.swapaxes(-1, -2), w)]:
        got = fused.batched_matmul(a, b, route=True)
        np.testing.assert_allclose(got, np.matmul(a, b), rtol=1e-12, atol=1e-12)


def test_batched_matmul_copies_the_smaller_operand():
    """The backward of attention's weights @ v: weights^T (T x S) @ g (T x d)
    would copy both views; (g^T @ weights)^T copies only the small g^T."""
    w = np.ones((2, 3, 8, 8))  # (B, H, T, S), contiguous
    g = np.ones((2, 8, 3, 4)).transpose(0, 2, 1, 3)  # (B, H, T, d), a view
    wT = w.swapaxes(-1, -2)
    assert fused._copies(wT, g) == w.size + g.size
    assert fused._copies(g.swapaxes(-1, -2), w) == g.size
    out = fused.batched_matmul(wT, g, route=True)
    assert not out.flags.c_contiguous  # computed as (g^T @ w)^T
    q = np.ones((2, 3, 4, 8))
    assert fused.batched_matmul(q, w, route=True).flags.c_contiguous  # nothing to gain: as is


@pytest.mark.parametrize("value, enabled", [("0", False), ("1", True), (None, True)])
def test_minilm_fused_0_turns_the_routes_off(value, enabled):
    env = {k: v for k, v in os.environ.items() if k != "MINILM_FUSED"}
    if value is not None:
        env["MINILM_FUSED"] = value
    code = "from minilm.ops import fused; print(fused.ENABLED)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == str(enabled), out.stderr
