"""The fast layer (minilm/fast/) computes what the reference ops compute.

Every registered alternative has a case here that runs it on random inputs
and compares it with the reference (the op's own ``forward``/``backward``,
with the registry switched off): the value, and the gradient a plain backward
gives. A registration without a case fails ``test_every_alternative_has_a_case``.
The CUDA kernels' C bodies are built as host loops and checked against their
NumPy expressions, and the kernels themselves against the CPU when a GPU is there.
"""

import contextlib
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
from minilm import fast, ops, optim
from minilm import functional as F
from minilm.backend import np
from minilm.fast import cuda as fast_cuda
from minilm.fast import optim as fast_optim
from minilm.fast.arrays import Linear
from minilm.fast.recurrent import GRUGates, LSTMGates
from minilm.ops.reduce import normalize_axis
from minilm.precision import RoundTo, round_to
from minilm.testing import shapes

cuda = pytest.mark.skipif(not minilm.cuda.is_available(), reason="no CUDA GPU (CuPy)")


def t(a, grad=True):
    return minilm.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


# ---- every CPU registration against its reference ----
# op: function of a generator -> (function of the input tensors, input arrays)
CASES = {
    ops.Mul: lambda r: (lambda a, b: a * b, [r.standard_normal((3, 4)), r.standard_normal(4)]),
    ops.Div: lambda r: (lambda a, b: a / b, [r.standard_normal((3, 4)), r.uniform(1, 2, (3, 1))]),
    ops.Pow: lambda r: (lambda a: a**3, [r.standard_normal((3, 4))]),
    ops.Exp: lambda r: (ops.exp, [r.standard_normal((3, 4))]),
    ops.Tanh: lambda r: (ops.tanh, [r.standard_normal((3, 4))]),
    ops.Sigmoid: lambda r: (ops.sigmoid, [r.standard_normal((3, 4))]),
    ops.Relu: lambda r: (ops.relu, [r.standard_normal((3, 4))]),
    ops.Sum: lambda r: (lambda a: a.sum(axis=(0, 2), keepdims=True),
                        [r.standard_normal((2, 3, 4))]),
    ops.Reshape: lambda r: (lambda a: a.reshape(4, 6), [r.standard_normal((2, 3, 4))]),
    ops.Transpose: lambda r: (lambda a: a.transpose(2, 0, 1), [r.standard_normal((2, 3, 4))]),
    ops.Where: lambda r: (lambda a, b: ops.where(a.data > 0, a, b),
                          [r.standard_normal((3, 4)), r.standard_normal(4)]),
    ops.GetItem: lambda r: (lambda a: a[1:, ::2] * 2 + a[:1, 1:2], [r.standard_normal((3, 4))]),
    ops.Concatenate: lambda r: (lambda a, b: ops.concatenate([a, b, a], axis=1),
                                [r.standard_normal((2, 3)), r.standard_normal((2, 1))]),
    ops.MatMul: lambda r: (lambda a, b, c, d: (a @ b).sum() + (c @ d).sum() * 2,
                           [r.standard_normal((2, 3, 4)), r.standard_normal((4, 5)),
                            r.standard_normal((2, 3, 4)), r.standard_normal((1, 4, 2))]),
    ops.Softmax: lambda r: (lambda a: F.softmax(a, mask=np.tril(np.ones((4, 4), bool))) +
                            F.scaled_dot_product_attention(a, a, a, causal=True),
                            [r.standard_normal((2, 4, 4))]),
    ops.LogSoftmax: lambda r: (F.log_softmax, [3 * r.standard_normal((3, 5))]),
    ops.CrossEntropy: lambda r: (lambda a: F.cross_entropy(a, np.array([[1, 0, -100], [4, 2, 2]]),
                                                           label_smoothing=0.1),
                                 [r.standard_normal((2, 3, 5))]),
    ops.LayerNorm: lambda r: (F.layer_norm, [2 * r.standard_normal((2, 3, 5)) + 1,
                                             r.standard_normal(5), r.standard_normal(5)]),
    ops.Gelu: lambda r: (lambda a: F.gelu(a) + F.gelu(a, approximate="tanh"),
                         [2 * r.standard_normal((3, 4))]),
    Linear: lambda r: (lambda x, w, b: F.linear(x, w, b),
                       [r.standard_normal((2, 3, 4)), r.standard_normal((4, 5)),
                        r.standard_normal(5)]),
    # float32 values across float16's range, its subnormals, overflow, and exact ties
    RoundTo: lambda r: (lambda a: round_to(a.astype(np.float32) * 1e-4, "fp16") +
                        round_to(a.astype(np.float32) * 3e4, "fp16"),
                        [np.concatenate([r.standard_normal(64) * 10.0 ** r.integers(-5, 1, 64),
                                         (np.arange(1, 9) + 0.5) * 2e4 / 3e4])]),
    LSTMGates: lambda r: (LSTMGates.apply, [2 * r.standard_normal((3, 8)),
                                            r.standard_normal((3, 2))]),
    GRUGates: lambda r: (GRUGates.apply, [r.standard_normal((3, 6)), r.standard_normal((3, 6)),
                                          r.standard_normal((3, 2))]),
}  # fmt: skip


@contextlib.contextmanager
def counting():
    """Count, per registered alternative, the calls that did not decline."""
    calls, saved = {}, []
    for table in (fast._forward, fast._backward):
        for by_device in table.values():
            for alts in by_device.values():
                saved.append((alts, list(alts)))
                for i, alt in enumerate(alts):

                    def wrapped(*args, _alt=alt):
                        out = _alt(*args)
                        if out is not NotImplemented:
                            calls[_alt] = calls.get(_alt, 0) + 1
                        return out

                    alts[i] = wrapped
    try:
        yield calls
    finally:
        for alts, original in saved:
            alts[:] = original


def test_every_alternative_has_a_case():
    ops_with_cpu_alternatives = {op for kind, op, d, _ in fast.registered()
                                 if kind != "module" and d == "cpu"}  # fmt: skip
    assert ops_with_cpu_alternatives == set(CASES)


def _run(op_case, seed):
    f, arrays = op_case(np.random.default_rng(seed))
    xs = [t(a) for a in arrays]
    y = f(*xs)
    g = t(np.random.default_rng(seed + 1).standard_normal(y.shape), grad=False)
    grads = minilm.grad(y, xs, grad_outputs=g, allow_unused=True)
    return y.numpy(), [None if gr is None else gr.numpy() for gr in grads]


@pytest.mark.parametrize("op", list(CASES), ids=lambda op: op.__name__)
@pytest.mark.parametrize("seed", [0, 1])
def test_alternative_equals_its_reference(op, seed):
    with counting() as calls:
        y_fast, g_fast = _run(CASES[op], seed)
    used = [alt for kind, o, d, alt in fast.registered() if o is op and d == "cpu"]
    for alt in used:
        assert calls.get(alt), f"{alt.__name__} was registered for {op.__name__} but never ran"
    with fast.disabled():
        y_ref, g_ref = _run(CASES[op], seed)
    np.testing.assert_allclose(y_fast, y_ref, rtol=1e-12, atol=1e-12)
    for i, (a, b) in enumerate(zip(g_fast, g_ref)):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"input {i}")


@pytest.mark.parametrize("op", [ops.Gelu, ops.LayerNorm, ops.CrossEntropy, ops.Softmax])
def test_second_derivatives_take_the_reference_path(op):
    """Under create_graph the reference backward runs, so gradients of
    gradients need no fast code: they agree with the fast layer off."""
    f, arrays = CASES[op](np.random.default_rng(3))

    def hessian_vector():
        xs = [t(a) for a in arrays]
        y = f(*xs)
        gs = minilm.grad((y * y).sum(), xs, create_graph=True)
        return [h.numpy() for h in minilm.grad(sum((g * g).sum() for g in gs), xs)]

    with counting():
        got = hessian_vector()
    with fast.disabled():
        want = hessian_vector()
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_disabled_empties_the_registry_and_restores_it():
    x = np.ones(3)
    assert fast.enabled() and fast.backward_for(ops.Mul, x)
    with fast.disabled():
        assert not fast.enabled()
        assert not fast.forward_for(ops.MatMul, x) and not fast.backward_for(ops.Mul, x)
        assert fast.lookup("lstm_gates", "cpu") is None
    assert fast.lookup("lstm_gates", "cpu") is not None


@pytest.mark.parametrize("value, enabled", [("0", False), ("1", True), (None, True)])
def test_minilm_fused_0_turns_the_fast_layer_off(value, enabled):
    env = {k: v for k, v in os.environ.items() if k != "MINILM_FUSED"}
    if value is not None:
        env["MINILM_FUSED"] = value
    code = ("import minilm; print(minilm.fast.enabled(), "
            "minilm.fast.lookup('adam_step', 'cuda') is None)")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.split() == [str(enabled), str(not enabled)], out.stderr


def test_optimizers_use_a_registered_update_and_fall_back_to_the_reference(monkeypatch):
    called = []

    @fast.register("sgd_step", "cpu")
    def spy(p, g, buf, **kw):
        called.append(kw["lr"])
        p -= kw["lr"] * g

    try:
        w = minilm.tensor([1.0, 2.0], requires_grad=True)
        opt = optim.SGD([w], lr=0.5)
        w.grad = minilm.tensor([1.0, 1.0])
        opt.step()
        assert called == [0.5] and w.tolist() == [0.5, 1.5]
        with fast.disabled():
            opt.step()  # the reference
        assert called == [0.5] and w.tolist() == [0.0, 1.0]
    finally:
        del fast._modules["sgd_step", "cpu"]


def test_every_cpu_optimizer_update_equals_its_reference():
    steps = {"adam_step": (optim.adam.adam_step, ["m", "v", "vmax"],
                           dict(lr=0.01, beta1=0.9, beta2=0.99, eps=1e-8, l2=0.01, decay=0.001,
                                step=3))}  # fmt: skip
    cpu = [key for kind, key, d, _ in fast.registered() if kind == "module" and d == "cpu"
           and key.endswith("_step")]  # fmt: skip
    assert set(cpu) <= set(steps), "a CPU optimizer update without a case here"
    for key in cpu:
        reference, state, options = steps[key]
        for amsgrad, l2 in [(False, 0.0), (True, 0.01)]:
            rng = np.random.default_rng(0)
            p, g = rng.standard_normal(50), rng.standard_normal(50)
            arrays = [np.abs(rng.standard_normal(50)) for _ in state]
            if not amsgrad:
                arrays[-1] = None
            want_p, want = p.copy(), [None if a is None else a.copy() for a in arrays]
            reference(want_p, g, *want, **{**options, "l2": l2})
            fast.lookup(key, "cpu")(p, g, *arrays, **{**options, "l2": l2})
            np.testing.assert_allclose(p, want_p, rtol=1e-14, atol=1e-15)
            for a, b in zip(arrays, want):
                if a is not None:
                    np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-15)


# ---- the GPU's helpers, on NumPy ----


@given(shape=shapes(min_dims=1, max_dims=4), k=st.integers(0, 4), keepdims=st.booleans(),
       seed=st.integers(0, 2**16))  # fmt: skip
def test_gemv_sum_equals_sum_over_leading_axes(shape, k, keepdims, seed):
    x = np.random.default_rng(seed).standard_normal(shape)
    axes = tuple(range(min(k, len(shape))))
    got = fast_cuda.sum_leading(x, axes, keepdims)
    want = x.sum(axis=axes, keepdims=keepdims)
    if got is NotImplemented:  # no leading axes to sum, or all of them
        assert not 0 < len(axes) < x.ndim or not x.size
        return
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_gemv_sum_declines_other_reductions_and_arrays():
    x = np.arange(24.0).reshape(2, 3, 4)
    for axis in [(1,), (0, 2), (2,), None]:
        assert fast_cuda.sum_leading(x, normalize_axis(axis, 3), False) is NotImplemented
    assert fast_cuda.sum_leading(x.reshape(4, 6).T, (0,), False) is NotImplemented  # a view
    assert fast_cuda.sum_leading(np.arange(12).reshape(3, 4), (0,), False) is NotImplemented


@given(shape=shapes(min_dims=1, max_dims=3, min_side=2, max_side=5), seed=st.integers(0, 2**16))
def test_layer_norm_matrix_vector_route_matches_the_reference(shape, seed):
    """The GPU route (row sums as matrix-vector products, the rest in two kernels,
    here their NumPy fallbacks) gives the reference op's values and gradients."""
    rng = np.random.default_rng(seed)
    x = 3 * rng.standard_normal(shape) + rng.standard_normal()
    w, b = rng.standard_normal(shape[-1]), rng.standard_normal(shape[-1])
    g = rng.standard_normal(shape)
    y, xh, r = fast_cuda.layer_norm(x, w, b, 1e-5)
    gx, gw, gb = fast_cuda.layer_norm_grads(g, w, xh, r)
    with fast.disabled():
        xs = [t(a) for a in (x, w, b)]
        want = F.layer_norm(*xs)
        want.backward(t(g, grad=False))
    np.testing.assert_allclose(y, want.numpy(), rtol=1e-10, atol=1e-10)
    for got, ref in zip((gx, gw, gb), xs):
        np.testing.assert_allclose(got, ref.grad.numpy(), rtol=1e-9, atol=1e-9)


def test_layer_norm_route_declines_mixed_dtypes():
    x = np.ones((2, 3))
    assert fast_cuda.layer_norm(x, np.ones(3, np.float32), np.zeros(3), 1e-5) is NotImplemented


@given(seed=st.integers(0, 2**16), T=st.integers(1, 5), S=st.integers(1, 5), d=st.integers(1, 4))
def test_matmul_in_either_layout_is_the_product(seed, T, S, d):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((2, 3, T, S))  # contiguous
    g = rng.standard_normal((2, T, 3, d)).transpose(0, 2, 1, 3)  # (2, 3, T, d), a head-split view
    v = rng.standard_normal((2, S, 3, d)).transpose(0, 2, 1, 3)  # (2, 3, S, d)
    for a, b in [(w.swapaxes(-1, -2), g), (w, v), (g, g.swapaxes(-1, -2)), (g.swapaxes(-1, -2), w)]:
        np.testing.assert_allclose(fast_cuda.matmul_layout(a, b), np.matmul(a, b),
                                   rtol=1e-12, atol=1e-12)  # fmt: skip


def test_matmul_layout_copies_the_smaller_operand():
    """The backward of attention's weights @ v: weights^T (T x S) @ g (T x d)
    would copy both views; (g^T @ weights)^T copies only the small g^T."""
    w = np.ones((2, 3, 8, 8))  # (B, H, T, S), contiguous
    g = np.ones((2, 8, 3, 4)).transpose(0, 2, 1, 3)  # (B, H, T, d), a view
    wT = w.swapaxes(-1, -2)
    assert fast_cuda.copies(wT, g) == w.size + g.size
    assert fast_cuda.copies(g.swapaxes(-1, -2), w) == g.size
    assert not fast_cuda.matmul_layout(wT, g).flags.c_contiguous  # computed as (g^T @ w)^T
    assert fast_cuda.matmul_layout(np.ones((2, 3, 4, 8)), w).flags.c_contiguous  # as is


# ---- the CUDA C bodies, built as host loops ----
# With a C++ compiler each kernel's source (the exact text CuPy compiles) is
# wrapped in a loop over flat arrays and run on the CPU: a mistake in a kernel
# shows here even without a GPU; the CUDA tests then check the GPU itself.
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

needs_cxx = pytest.mark.skipif(shutil.which("c++") is None, reason="no C++ compiler")


def test_every_kernel_has_a_host_check():
    assert set(KERNEL_CASES) == set(fast_cuda.SOURCES)


@needs_cxx
@pytest.mark.parametrize("name", sorted(KERNEL_CASES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernel_body_computes_its_numpy_expression(name, dtype, tmp_path):
    shapes_in, reference = KERNEL_CASES[name]
    rng = np.random.default_rng(0)
    args = [rng.uniform(-2, 2, s).astype(dtype) for s in shapes_in]
    inputs, outputs, body = fast_cuda.SOURCES[name]
    got = host_kernel(name, inputs, outputs, body, dtype, tmp_path)(
        args, [args[0]] * len(outputs.split(","))
    )
    want = reference(*(a.astype(np.float64) for a in args))
    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol)


def host_kernel(name, inputs, outputs, body, dtype, folder):
    """An ElementwiseKernel's source built as a host loop over flat arrays.
    Called with the input arrays and the outputs' starting values (outputs are
    read and written, as the optimizers' kernels do)."""
    params = lambda spec: [p.split()[1] for p in spec.split(",")]
    ins, outs = params(inputs), params(outputs)
    ctype = {np.float32: "float", np.float64: "double"}[dtype]
    sig = ", ".join([f"const T* in_{p}" for p in ins] + [f"T* out_{p}" for p in outs])
    loads = " ".join([f"const T {p} = in_{p}[i];" for p in ins] +
                     [f"T& {p} = out_{p}[i];" for p in outs])  # fmt: skip
    src = folder / f"{name}.cpp"
    src.write_text(
        "#include <cmath>\n#include <algorithm>\n"
        "using std::exp; using std::tanh; using std::sqrt; using std::max;\n"
        f"typedef {ctype} T;\n"
        f'extern "C" void kernel(long n, {sig}) {{\n'
        f"  for (long i = 0; i < n; ++i) {{ {loads} {body} }}\n}}\n"
    )
    lib = folder / f"{name}.so"
    subprocess.run(["c++", "-O1", "-shared", "-fPIC", "-o", str(lib), str(src)], check=True)
    fn = ctypes.CDLL(str(lib)).kernel

    def call(in_arrays, out_start):
        arrays = np.broadcast_arrays(*[np.asarray(a, dtype) for a in (*in_arrays, *out_start)])
        arrays = [np.ascontiguousarray(a).copy() for a in arrays]
        ptr = lambda a: a.ctypes.data_as(ctypes.c_void_p)
        fn(ctypes.c_long(arrays[0].size), *map(ptr, arrays))
        return arrays[len(in_arrays) :]

    return call


# the optimizers' kernels: (source, reference step, state arrays, options)
OPTIMIZER_KERNELS = {
    "sgd": (fast_optim.sgd_source(True, True), optim.sgd.sgd_step, ["buf"],
            dict(lr=0.1, momentum=0.9, dampening=0.0, weight_decay=0.01, nesterov=True,
                 first=False), lambda o: (o["lr"], o["weight_decay"], o["momentum"], 1.0)),
    "adam": (fast_optim.adam_source(True), optim.adam.adam_step, ["m", "v", "vmax"],
             dict(lr=0.01, beta1=0.9, beta2=0.99, eps=1e-8, l2=0.01, decay=0.001, step=3),
             lambda o: (o["beta1"], o["beta2"], o["eps"], o["l2"], o["decay"],
                        o["lr"] / (1 - o["beta1"] ** 3), (1 - o["beta2"] ** 3) ** 0.5)),
    "rmsprop": (fast_optim.rmsprop_source(True, True), optim.rmsprop.rmsprop_step,
                ["sq", "gavg", "buf"],
                dict(lr=0.01, alpha=0.9, eps=1e-8, weight_decay=0.01, momentum=0.5, centered=True),
                lambda o: (o["lr"], o["alpha"], o["eps"], o["weight_decay"], o["momentum"])),
    "adagrad": (fast_optim.adagrad_source(), optim.adagrad.adagrad_step, ["acc"],
                dict(lr=0.1, weight_decay=0.01, eps=1e-10),
                lambda o: (o["lr"], o["weight_decay"], o["eps"])),
}  # fmt: skip


@needs_cxx
@pytest.mark.parametrize("name", sorted(OPTIMIZER_KERNELS))
def test_optimizer_kernel_body_is_the_reference_step(name, tmp_path):
    (kname, inputs, outputs, body), step, state_names, options, scalars = OPTIMIZER_KERNELS[name]
    rng = np.random.default_rng(0)
    p, g = rng.standard_normal(50), rng.standard_normal(50)
    state = [np.abs(rng.standard_normal(50)) for _ in state_names]  # squares must be >= 0
    if name == "rmsprop":  # centered: the running square must exceed the squared mean
        state[0] += state[1] ** 2
    want_p, want_state = p.copy(), [s.copy() for s in state]
    step(want_p, g, *want_state, **options)
    kernel = host_kernel(kname, inputs, outputs, body, np.float64, tmp_path)
    got = kernel([g, *scalars(options)], [p, *state])
    np.testing.assert_allclose(got[0], want_p, rtol=1e-12, atol=1e-14)
    for a, b in zip(got[1:], want_state):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


# ---- on a GPU: the kernels against the CPU ----


@cuda
def test_gpu_gemv_sum_matches_cpu():  # pragma: no cover - GPU only
    x = minilm.randn(64, 32, 96)
    for axis in [(0, 1), 0]:
        want = x.sum(axis=axis).numpy()
        got = x.to("cuda").sum(axis=axis).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-3)


@cuda
@pytest.mark.parametrize("fn", ["gelu", "softmax", "layer_norm"])
def test_gpu_kernels_match_cpu(fn):  # pragma: no cover - GPU only
    rng = np.random.default_rng(0)
    x = (3 * rng.standard_normal((64, 48, 40))).astype(np.float32)  # large: the kernels' size
    w, b = (rng.standard_normal(40).astype(np.float32) for _ in range(2))
    f = {"gelu": lambda a: F.gelu(a, approximate="tanh"), "softmax": F.softmax,
         "layer_norm": lambda a: F.layer_norm(a, minilm.tensor(w, device=a.device),
                                              minilm.tensor(b, device=a.device))}[fn]  # fmt: skip
    g = rng.standard_normal(x.shape).astype(np.float32)
    results = []
    for device in ("cpu", "cuda"):
        xd = minilm.tensor(x, device=device, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a kernel that fails to compile warns: fail here
            y = f(xd)
            y.backward(minilm.tensor(g, device=device))
        results.append((y.numpy(), xd.grad.numpy()))
    (y0, g0), (y1, g1) = results
    np.testing.assert_allclose(y1, y0, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(g1, g0, rtol=1e-4, atol=1e-3)
    assert not fast_cuda._broken
    used = {"gelu": {"gelu_tanh_fwd", "gelu_tanh_bwd"}, "softmax": {"exp_shift", "softmax_bwd"},
            "layer_norm": {"ln_affine_fwd", "ln_bwd"}}[fn]  # fmt: skip
    assert used <= set(fast_cuda._compiled), "the CUDA kernels did not run"


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


# ---- the backward alternatives called directly, on mixed dtypes ----


@pytest.mark.parametrize("op", list(CASES), ids=lambda op: op.__name__)
@pytest.mark.parametrize("in_dtype, g_dtype", [(np.float32, np.float64), (np.float32, np.float32)])
def test_backward_alternative_gives_the_reference_dtype_shape_and_values(op, in_dtype, g_dtype):
    """Each node of the case's graph whose op has a backward alternative: the
    alternative and ``fn.backward`` on the same node and upstream gradient (no
    casting by the engine in between)."""
    from minilm.autograd import topological_order, unbroadcast

    f, arrays = CASES[op](np.random.default_rng(0))
    xs = [minilm.tensor(np.asarray(a, in_dtype), requires_grad=True) for a in arrays]
    y = f(*xs)
    rng = np.random.default_rng(1)
    checked = 0
    for t in topological_order([y]):
        fn = t._ctx
        if fn is None or type(fn) is not op:
            continue
        g = minilm.as_tensor(rng.standard_normal(t.shape).astype(g_dtype))
        with minilm.no_grad():
            want = fn.backward(g)
            want = want if isinstance(want, tuple) else (want,)
            for alt in fast.backward_for(op, t.data):
                got = alt(fn, g)
                if got is NotImplemented:
                    continue
                checked += 1
                for i, (a, b) in enumerate(zip(got, want)):
                    if a is None or not fn.needs_grad[i]:
                        continue
                    shape = fn.inputs[i].shape  # both as the engine hands them on
                    a = unbroadcast(a.dense() if hasattr(a, "dense") else a, shape)
                    b = unbroadcast(b, shape)
                    assert a.dtype == b.dtype, f"{alt.__name__}: input {i}: {a.dtype} vs {b.dtype}"
                    tol = 1e-5 if in_dtype == np.float32 else 1e-10
                    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=tol, atol=tol)
    if any(o is op and d == "cpu" and k == "backward" for k, o, d, _ in fast.registered()):
        assert checked, f"no {op.__name__} node ran a backward alternative"


def test_disabled_contexts_overlapping_across_threads_restore_the_fast_layer():
    import threading

    inside, release = threading.Event(), threading.Event()

    def hold():
        with fast.disabled():
            inside.set()
            release.wait(5)

    worker = threading.Thread(target=hold)
    worker.start()
    inside.wait(5)
    with fast.disabled():  # overlaps the worker's
        release.set()
        worker.join(5)
        assert not fast.enabled()  # ours is still open
    assert fast.enabled()


def test_a_device_specific_alternative_comes_before_one_for_any_device():
    class Op(minilm.Function):
        pass

    def generic(fn, *a):
        return NotImplemented

    def cpu_only(fn, *a):
        return NotImplemented

    fast.register_forward(Op)(generic)
    fast.register_forward(Op, "cpu")(cpu_only)
    try:
        assert list(fast.forward_for(Op, np.ones(1))) == [cpu_only, generic]
    finally:
        del fast._forward[Op]


@pytest.mark.skipif(
    sys.platform != "linux" or __import__("platform").libc_ver()[0] != "glibc",
    reason="the allocator setting is glibc's",
)
def test_freed_big_arrays_are_reused_instead_of_faulted_in_again():
    """fast/memory.py: a second 100 MB array after the first was freed costs
    (almost) no page faults with the fast layer on; with MINILM_FUSED=0 the
    kernel hands out (and zeroes) fresh pages again."""
    code = (
        "import resource, minilm\n"
        "from minilm.backend import np\n"
        "a = np.ones(25_000_000, np.float32); del a\n"
        "r = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
        "a = np.ones(25_000_000, np.float32)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - r)\n"
    )
    faults = {}
    for value in ("1", "0"):
        env = {**os.environ, "MINILM_FUSED": value}
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True)  # fmt: skip
        faults[value] = int(out.stdout)
    assert faults["1"] < 20 <= 40 <= faults["0"], faults  # 100 MB is >= 50 pages even when huge
