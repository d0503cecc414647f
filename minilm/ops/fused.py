"""Faster array kernels for the GPU's hottest work, on raw arrays.

Profiling the standard char-GPT's training step on an H200
(``python -m minilm.bench gpt --config standard --profile``, which lists the GPU
kernels when PyTorch is there) showed the step bound by GPU time, not by Python,
and that time going to:

- **sums over leading axes** (every bias and layer-norm gradient sums a (B, T, C)
  gradient over B and T): CuPy's general reduction took ~340 us each, a third of
  the step. A row of ones times the (B*T, C) matrix is the same sum as one
  matrix-vector product, read once at full memory speed.
- **chains of elementwise ops** on (B, T, 4C) and (B, H, T, T) arrays (GELU, the
  softmax): each op is a full pass over memory. One CUDA kernel per chain
  (``cupy.ElementwiseKernel``) makes one pass.
- **copies before matrix products**: CuPy's matmul copies any operand that is
  not C-contiguous; :func:`batched_matmul` picks the layout that copies least.
- **layer norm**, about a dozen passes over (B, T, C) each way as separate ops;
  :func:`layer_norm` and :func:`layer_norm_backward` take its row sums as
  matrix-vector products and the rest as one kernel each way.

Each function here computes the same values as the plain array code it
replaces, which stays the path on NumPy; the CUDA tests compare the two. If a
kernel cannot be compiled, minilm warns once and falls back to the plain code.
``MINILM_FUSED=0`` in the environment turns every route here off, on the GPU
too (to compare, or to rule them out when hunting a bug).
"""

from __future__ import annotations

import math
import os
import warnings

from .. import backend

# Sums this large (elements) go through a matrix-vector product on the GPU.
GEMV_MIN_SIZE = 1 << 16
# False with MINILM_FUSED=0: plain array ops everywhere (a route forced by an
# argument, as the tests do, still runs).
ENABLED = os.environ.get("MINILM_FUSED", "1") != "0"


def _large_on_gpu(x) -> bool:
    """The default for the routes here: on, for CuPy arrays of at least
    GEMV_MIN_SIZE elements, unless MINILM_FUSED=0."""
    return ENABLED and backend.get_array_module(x) is not backend.np and x.size >= GEMV_MIN_SIZE


_constants: dict = {}


def constant(xp, n: int, value: float, dtype):
    """A vector of ``n`` copies of ``value``, made once and kept (the matrix-vector
    products here reuse a few such vectors every step; on the GPU each new one
    would be another kernel launch). Read-only by convention: never write to it."""
    device = -1 if xp is backend.np else xp.cuda.runtime.getDevice()  # pragma: no branch
    key = (device, n, value, backend.np.dtype(dtype).str)
    out = _constants.get(key)
    if out is None:
        if len(_constants) > 64:  # many shapes (e.g. varying batch sizes): start over
            _constants.clear()
        out = _constants[key] = xp.full(n, value, dtype=dtype)
    return out


def sum_leading(x, axes, keepdims: bool, gemv: bool | None = None):
    """``x.sum(axis=axes, keepdims=keepdims)``; when ``axes`` (sorted, as from
    :func:`~minilm.ops.reduce.normalize_axis`) are the first k axes of a
    C-contiguous float array, computed as ``ones(n) @ x.reshape(n, -1)``.
    ``gemv`` forces (True) or forbids (False) that route; by default it is
    taken for large CuPy arrays only."""
    xp = backend.get_array_module(x)
    if gemv is None:
        gemv = _large_on_gpu(x)
    k = len(axes)
    if (gemv and x.dtype.kind == "f" and 0 < k < x.ndim and axes == tuple(range(k))
            and x.flags.c_contiguous and x.size):  # fmt: skip
        n = math.prod(x.shape[:k])
        out = constant(xp, n, 1.0, x.dtype) @ x.reshape(n, -1)  # (m,)
        return out.reshape((1,) * k + x.shape[k:] if keepdims else x.shape[k:])
    return x.sum(axis=axes, keepdims=keepdims)


def batched_matmul(a, b, route: bool | None = None):
    """``a @ b`` for operands with batch axes, in the layout that copies least.

    CuPy's matmul makes every operand that is not C-contiguous contiguous
    first (a transposed view is copied whole), so ``a @ b`` may also be had as
    ``(b^T @ a^T)^T``, which copies the other two views. The backward of
    attention's ``weights @ v`` is the case: ``weights^T @ g`` copies the
    (T, S) weights, ``(g^T @ weights)^T`` only the (T, d) gradient.
    ``route`` forces (True) or forbids (False) the choice; by default it is
    made on CuPy only (NumPy's matmul reads strided operands as they are).
    """
    xp = backend.get_array_module(a, b)
    if route is None:
        route = ENABLED and xp is not backend.np
    if route and a.ndim > 2 and b.ndim > 2:
        aT, bT = a.swapaxes(-1, -2), b.swapaxes(-1, -2)
        if _copies(bT, aT) < _copies(a, b):
            return xp.matmul(bT, aT).swapaxes(-1, -2)
    return xp.matmul(a, b)


def _copies(a, b) -> int:
    """Elements CuPy's matmul would copy to make ``a`` and ``b`` C-contiguous."""
    return sum(x.size for x in (a, b) if not x.flags.c_contiguous)


def _gpu_route(route, *arrays) -> bool:
    """Whether the matrix-vector route of :func:`layer_norm` applies: by default
    for large CuPy arrays; ``route=True`` forces it (on NumPy too, for tests)."""
    x = arrays[0]
    if route is None:
        route = _large_on_gpu(x)
    return bool(route) and x.dtype.kind == "f" and all(a.dtype == x.dtype for a in arrays)


def layer_norm(x, w, b, eps: float, route: bool | None = None):
    """``(y, xh, r)`` for layer norm over the last axis of ``x`` with weight
    ``w`` and bias ``b`` (D,): the output, the normalized input
    ``xh = (x - mean) r`` as (N, D), and ``r = 1 / sqrt(var + eps)`` as (N, 1);
    or None where the plain code in :class:`~minilm.ops.nn.LayerNorm` should run.

    Row means are matrix-vector products with a vector of 1/D (one read of x);
    the centred squares and then xh and y are one kernel each.
    """
    D = x.shape[-1]
    if not _gpu_route(route, x, w, b) or w.shape != (D,) or b.shape != (D,):
        return None
    xp = backend.get_array_module(x)
    x2 = xp.ascontiguousarray(x).reshape(-1, D)  # (N, D)
    inv = constant(xp, D, 1.0 / D, x.dtype)
    mu = (x2 @ inv)[:, None]  # (N, 1)
    d2 = run("ln_centered_square", x2, mu)
    if d2 is None:
        d2 = x2 - mu
        d2 *= d2
    r = 1 / xp.sqrt((d2 @ inv)[:, None] + eps)  # (N, 1)
    out = run("ln_affine_fwd", x2, mu, r, w, b)
    if out is None:
        xh = (x2 - mu) * r
        out = xh, xh * w + b
    xh, y = out
    return y.reshape(x.shape), xh, r


def layer_norm_backward(g, w, xh, r, route: bool | None = None):
    """``(gx, gw, gb)`` for :func:`layer_norm`'s outputs ``xh`` and ``r`` and
    upstream gradient ``g``; or None where the plain code should run.

    With gh = g w: ``gx = r (gh - mean(gh) - xh mean(gh xh))``, and the two
    row means are ``g @ (w / D)`` and ``(g xh) @ (w / D)``, matrix-vector
    products like the column sums ``gw = sum(g xh)``, ``gb = sum(g)``.
    """
    D = g.shape[-1]
    if not _gpu_route(route, g, w, xh, r) or w.shape != (D,):
        return None
    xp = backend.get_array_module(g)
    g2 = xp.ascontiguousarray(g).reshape(-1, D)  # (N, D)
    xh, r = xh.reshape(-1, D), r.reshape(-1, 1)
    gxh = g2 * xh
    wd = w * (1.0 / D)
    a, c = (g2 @ wd)[:, None], (gxh @ wd)[:, None]  # (N, 1): mean(gh), mean(gh xh)
    gx = run("ln_bwd", g2, w, xh, r, a, c)
    if gx is None:
        gx = r * (g2 * w - a - xh * c)
    ones = constant(xp, g2.shape[0], 1.0, g.dtype)
    return gx.reshape(g.shape), ones @ gxh, ones @ g2


# --- fused elementwise kernels (CuPy only) ----------------------------------
_SQRT_2_OVER_PI = repr(math.sqrt(2 / math.pi))  # as a C literal

_SOURCES = {
    # GELU, tanh form: t = tanh(sqrt(2/pi) (x + 0.044715 x^3)), y = 0.5 x (1 + t)
    "gelu_tanh_fwd": (
        "T x",
        "T y, T t",
        f"t = tanh((T){_SQRT_2_OVER_PI} * x * ((T)1 + (T)0.044715 * x * x));"
        "y = (T)0.5 * x * ((T)1 + t);",
    ),
    # dy/dx = 0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2)
    "gelu_tanh_bwd": (
        "T x, T t, T g",
        "T gx",
        f"T inner = (T){_SQRT_2_OVER_PI} * ((T)1 + (T)0.134145 * x * x);"
        "gx = g * ((T)0.5 * ((T)1 + t) + (T)0.5 * x * ((T)1 - t * t) * inner);",
    ),
    "exp_shift": ("T x, T m", "T e", "e = exp(x - m);"),  # softmax numerator
    "softmax_bwd": ("T y, T g, T s", "T gx", "gx = y * (g - s);"),
    # layer norm: mu, r, a, c are per row (N, 1); w, b per column (D,)
    "ln_centered_square": ("T x, T mu", "T d2", "T d = x - mu; d2 = d * d;"),
    "ln_affine_fwd": (
        "T x, T mu, T r, T w, T b",
        "T xh, T y",
        "xh = (x - mu) * r; y = xh * w + b;",
    ),
    "ln_bwd": ("T g, T w, T xh, T r, T a, T c", "T gx", "gx = r * (g * w - a - xh * c);"),
}
_compiled: dict = {}
_broken: set = set()


def kernel(name: str):
    """The CuPy ElementwiseKernel ``name`` (built on first use), or None when it
    failed to compile here (minilm then uses plain array ops)."""
    if name in _broken:
        return None
    if name not in _compiled:  # pragma: no cover - GPU only
        inputs, outputs, body = _SOURCES[name]
        _compiled[name] = backend.cp.ElementwiseKernel(inputs, outputs, body, f"minilm_{name}")
    return _compiled[name]  # pragma: no cover - GPU only


def run(name: str, *args):
    """Call kernel ``name`` on CuPy arrays; None if it is unavailable (the caller
    then computes the same thing with plain array ops)."""
    if (
        not ENABLED
        or backend.get_array_module(*args) is backend.np
        or len({a.dtype for a in args}) != 1
    ):
        return None  # NumPy, or mixed dtypes (the kernels take one type T)
    k = kernel(name)
    if k is None:  # pragma: no cover - GPU only
        return None
    try:  # pragma: no cover - GPU only
        return k(*args)
    except Exception as e:  # pragma: no cover - GPU only (a compile error shows at first call)
        _broken.add(name)
        warnings.warn(f"minilm: the fused GPU kernel {name!r} failed ({e}); "
                      "using plain array ops instead", RuntimeWarning, stacklevel=2)  # fmt: skip
        return None
