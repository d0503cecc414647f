"""CuPy kernels for the GPU's hottest work.

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
  not C-contiguous; :func:`matmul_layout` picks the layout that copies least.
- **layer norm**, about a dozen passes over (B, T, C) each way as separate ops;
  its row sums become matrix-vector products and the rest one kernel each way.

Each function computes what the op's reference computes (the CUDA tests
compare them, and ``tests/test_fast.py`` runs every kernel's C body on the CPU
as a host loop). A kernel that cannot be compiled warns once and declines, so
the next alternative (or the reference) runs.
"""

from __future__ import annotations

import math
import warnings

from .. import backend, ops
from ..tensor import Tensor
from . import register_backward, register_forward

_make = Tensor._make

# Sums this large (elements) go through a matrix-vector product on the GPU.
GEMV_MIN_SIZE = 1 << 16

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


def sum_leading(x, axes, keepdims: bool):
    """``x.sum(axis=axes, keepdims=keepdims)`` as ``ones(n) @ x.reshape(n, -1)``
    when ``axes`` (sorted) are the first k axes of a C-contiguous float array;
    NotImplemented otherwise."""
    k = len(axes)
    if not (x.dtype.kind == "f" and 0 < k < x.ndim and axes == tuple(range(k))
            and x.flags.c_contiguous and x.size):  # fmt: skip
        return NotImplemented
    xp = backend.get_array_module(x)
    n = math.prod(x.shape[:k])
    out = constant(xp, n, 1.0, x.dtype) @ x.reshape(n, -1)  # (m,)
    return out.reshape((1,) * k + x.shape[k:] if keepdims else x.shape[k:])


@register_forward(ops.Sum, "cuda")
def sum_forward(fn, a):  # pragma: no cover - GPU only
    if a.size < GEMV_MIN_SIZE:
        return NotImplemented
    return sum_leading(a, ops.normalize_axis(fn.axis, a.ndim), fn.keepdims)


def matmul_layout(a, b):
    """``a @ b`` for operands with batch axes, in the layout that copies least.

    CuPy's matmul makes every operand that is not C-contiguous contiguous
    first (a transposed view is copied whole), so ``a @ b`` may also be had as
    ``(b^T @ a^T)^T``, which copies the other two views. The backward of
    attention's ``weights @ v`` is the case: ``weights^T @ g`` copies the
    (T, S) weights, ``(g^T @ weights)^T`` only the (T, d) gradient.
    """
    xp = backend.get_array_module(a, b)
    if a.ndim > 2 and b.ndim > 2:
        aT, bT = a.swapaxes(-1, -2), b.swapaxes(-1, -2)
        if copies(bT, aT) < copies(a, b):
            return xp.matmul(bT, aT).swapaxes(-1, -2)
    return xp.matmul(a, b)


def copies(a, b) -> int:
    """Elements CuPy's matmul would copy to make ``a`` and ``b`` C-contiguous."""
    return sum(x.size for x in (a, b) if not x.flags.c_contiguous)


@register_forward(ops.MatMul, "cuda")
def matmul_forward(fn, a, b):  # pragma: no cover - GPU only
    if a.ndim <= 2 or b.ndim <= 2 or a.shape[-1] != b.shape[-2]:
        return NotImplemented
    return matmul_layout(a, b)


@register_backward(ops.MatMul, "cuda")
def matmul_backward(fn, g):  # pragma: no cover - GPU only
    a, b = (t.data for t in fn.inputs)
    if a.ndim <= 2 or b.ndim <= 2:
        return NotImplemented
    G = g.data
    need_a, need_b = fn.needs_grad
    ga = matmul_layout(G, b.swapaxes(-1, -2)) if need_a else None
    gb = matmul_layout(a.swapaxes(-1, -2), G) if need_b else None
    return tuple(_make(x) if x is not None else None for x in (ga, gb))


# ---- layer norm: row sums as matrix-vector products, the rest one kernel ----


def layer_norm(x, w, b, eps: float):
    """``(y, xh, r)``: the output, the normalized input ``xh = (x - mean) r`` as
    (N, D) and ``r = 1 / sqrt(var + eps)`` as (N, 1); NotImplemented unless x,
    w and b share one float dtype and w, b are (D,)."""
    D = x.shape[-1]
    if not _one_float_dtype(x, w, b) or w.shape != (D,) or b.shape != (D,):
        return NotImplemented
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


def layer_norm_grads(g, w, xh, r):
    """``(gx, gw, gb)`` from :func:`layer_norm`'s ``xh`` and ``r``.

    With gh = g w: ``gx = r (gh - mean(gh) - xh mean(gh xh))``, and the two
    row means are ``g @ (w / D)`` and ``(g xh) @ (w / D)``, matrix-vector
    products like the column sums ``gw = sum(g xh)``, ``gb = sum(g)``.
    """
    D = g.shape[-1]
    if not _one_float_dtype(g, w, xh, r) or w.shape != (D,):
        return NotImplemented
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


def _one_float_dtype(*arrays) -> bool:
    return arrays[0].dtype.kind == "f" and all(a.dtype == arrays[0].dtype for a in arrays)


@register_forward(ops.LayerNorm, "cuda")
def layer_norm_forward(fn, x, w, b):  # pragma: no cover - GPU only
    if x.size < GEMV_MIN_SIZE:
        return NotImplemented
    out = layer_norm(x, w, b, fn.eps)
    if out is NotImplemented:
        return out
    y, fn.xh, fn.rstd = out
    fn.gemv_route = True
    return y


@register_backward(ops.LayerNorm, "cuda")
def layer_norm_backward(fn, g):  # pragma: no cover - GPU only
    if not getattr(fn, "gemv_route", False):
        return NotImplemented
    out = layer_norm_grads(g.data, fn.inputs[1].data, fn.xh, fn.rstd)
    return out if out is NotImplemented else tuple(_make(a) for a in out)


# ---- elementwise kernels ----------------------------------------------------
_SQRT_2_OVER_PI = repr(math.sqrt(2 / math.pi))  # as a C literal

SOURCES = {
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
    failed to compile here."""
    if name in _broken:
        return None
    if name not in _compiled:  # pragma: no cover - GPU only
        inputs, outputs, body = SOURCES[name]
        _compiled[name] = backend.cp.ElementwiseKernel(inputs, outputs, body, f"minilm_{name}")
    return _compiled[name]  # pragma: no cover - GPU only


def run(name: str, *args):
    """Call kernel ``name`` on CuPy arrays of one dtype; None where it cannot
    run (NumPy arrays, mixed dtypes, a kernel that failed to build)."""
    if backend.get_array_module(*args) is backend.np or len({a.dtype for a in args}) != 1:
        return None
    k = kernel(name)
    if k is None:  # pragma: no cover - GPU only
        return None
    try:  # pragma: no cover - GPU only
        return k(*args)
    except Exception as e:  # pragma: no cover - GPU only (a compile error shows at first call)
        _broken.add(name)
        warnings.warn(f"minilm: the GPU kernel {name!r} failed ({e}); using the next "
                      "alternative instead", RuntimeWarning, stacklevel=2)  # fmt: skip
        return None


@register_forward(ops.Gelu, "cuda")
def gelu_forward(fn, x):  # pragma: no cover - GPU only
    out = run("gelu_tanh_fwd", x) if fn.approximate == "tanh" else None
    if out is None:
        return NotImplemented
    y, fn.t = out
    return y


@register_backward(ops.Gelu, "cuda")
def gelu_backward(fn, g):  # pragma: no cover - GPU only
    t = getattr(fn, "t", None)
    if fn.approximate != "tanh" or t is None:
        return NotImplemented
    gx = run("gelu_tanh_bwd", fn.inputs[0].data, t, g.data)
    return NotImplemented if gx is None else (_make(gx),)


@register_forward(ops.Softmax, "cuda")
def softmax_forward(fn, x):  # pragma: no cover - GPU only
    xp = backend.get_array_module(x)
    if fn.mask is not None:
        x = xp.where(fn.mask, x, backend.np.finfo(x.dtype).min)
    e = run("exp_shift", x, ops.composite.row_max(x, fn.axis))
    if e is None:
        return NotImplemented
    e /= e.sum(axis=fn.axis, keepdims=True)
    return e


@register_backward(ops.Softmax, "cuda")
def softmax_backward(fn, g):  # pragma: no cover - GPU only
    y, G = fn.output.data, g.data
    gx = run("softmax_bwd", y, G, (G * y).sum(axis=fn.axis, keepdims=True))
    if gx is None:
        return NotImplemented
    if fn.mask is not None and not fn.full_rows:
        gx = backend.cp.where(fn.mask, gx, 0)
    return (_make(gx),)
