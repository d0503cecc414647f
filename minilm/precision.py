"""Mixed precision: matmuls in float16 or bfloat16, everything kept in float32.

A GPU multiplies float16 matrices several times faster than float32 ones and
moves half the bytes. Mixed-precision training (Micikevicius et al., 2018) takes
that speed where it is safe and keeps float32 where it is not:

- the **master weights** and the optimizer's state stay float32 (an update of
  1e-4 on a weight of 1.0 vanishes in float16, whose spacing there is 1e-3);
- inside :func:`autocast`, each matrix product (``x @ w``, :func:`~minilm.functional.linear`)
  reads its operands rounded to the low precision and rounds its result: the
  values a GPU's float16 kernels read and write, in both the forward and the
  backward pass (the gradient arriving at a rounded value is rounded too);
- softmax, log-softmax, cross-entropy and layer norm (sums of many terms,
  exponentials) always compute in float32;
- :class:`LossScaler` multiplies the loss by a large factor before the backward
  pass, so that small gradients land in float16's range instead of underflowing
  to zero, divides it out of the float32 gradients, and when the scaled
  gradients overflowed (inf or NaN) skips the step and halves the factor.
  bfloat16 has float32's range (8 exponent bits, 7 mantissa bits): it needs no
  scaling, but holds fewer digits than float16.

**On the CPU it is an emulation, and says so** (:func:`describe`): values stay in
float32 arrays, rounded to what float16 or bfloat16 can hold at those points (the
rounding, range, underflow and overflow are exactly the low format's), and the
products themselves run in float32, because NumPy's float16 matmul is two orders
of magnitude slower than its float32 one and NumPy has no bfloat16 at all
(``ml_dtypes`` provides the type). The numerics are the lesson; the speed is the
GPU's. On a GPU (``emulate=False``, the default there) the operands are real
float16 arrays and CuPy runs real float16 kernels; CuPy has no bfloat16, so
``bf16`` on the GPU is refused with an error.

>>> import minilm
>>> x = minilm.tensor([[1.0 + 2**-12]])  # needs 12 fraction bits: float16 has 10
>>> with autocast("fp16"):
...     y = x @ minilm.tensor([[1.0]])
>>> y.item(), y.dtype
(1.0, dtype('float32'))
"""

from __future__ import annotations

import contextlib
import math
import threading

from . import backend
from .autograd import Function, TensorBase

__all__ = [
    "PRECISIONS",
    "autocast",
    "active",
    "describe",
    "low_dtype",
    "to_low",
    "to_float32",
    "round_to",
    "LossScaler",
    "scaler_update",
    "gradient_underflow",
]

np = backend.np


def _bfloat16():
    try:
        import ml_dtypes
    except ImportError as e:  # a core dependency; only a broken install lacks it
        raise RuntimeError(
            "bfloat16 needs the ml_dtypes package (NumPy has no bfloat16): pip install ml_dtypes"
        ) from e
    return np.dtype(ml_dtypes.bfloat16)


#: the precisions ``fit(precision=...)`` and ``train --precision`` take
PRECISIONS = ("fp32", "fp16", "bf16")


def low_dtype(precision: str):
    """The NumPy dtype of a precision's low format (None for fp32)."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if precision == "fp32":
        return None
    return np.dtype(np.float16) if precision == "fp16" else _bfloat16()


class _State(threading.local):
    dtype = None  # the low dtype while inside autocast
    emulate = True


_state = _State()


def active() -> bool:
    """True inside :func:`autocast` (with fp16 or bf16)."""
    return _state.dtype is not None


@contextlib.contextmanager
def autocast(precision: str = "fp16", device: str = "cpu", emulate: bool | None = None):
    """Run matrix products in ``precision`` ("fp16", "bf16"; "fp32" changes nothing)
    inside the ``with`` (this thread only). ``emulate``: round float32 values (the
    CPU's way, the default there) or use real low-precision arrays (the GPU's
    default; on the CPU it works too, slowly: tests use it on tiny models).
    Run the backward pass after the block, as with PyTorch's autocast."""
    dtype = low_dtype(precision)
    device = backend.check_device(device)
    if emulate is None:
        emulate = device == "cpu"
    if dtype is not None and not emulate and dtype != np.float16:
        raise ValueError(
            f"autocast: {precision} with real low-precision arrays is not available: CuPy "
            "has no bfloat16 dtype. Use precision='fp16' on the GPU, or bf16 emulated "
            "on the CPU"
        )
    saved = _state.dtype, _state.emulate
    _state.dtype, _state.emulate = dtype, emulate
    try:
        yield
    finally:
        _state.dtype, _state.emulate = saved


def describe(precision: str, device: str = "cpu") -> str:
    """One line on how ``precision`` runs on ``device`` (what ``train`` prints)."""
    if low_dtype(precision) is None:
        return "precision fp32: float32 everywhere"
    name = "float16" if precision == "fp16" else "bfloat16"
    scaled = ", with dynamic loss scaling" if precision == "fp16" else ""
    if device != "cpu" and precision == "bf16":
        return "precision bf16: refused on the GPU (CuPy has no bfloat16); use fp16 there"
    if device == "cpu":
        return (
            f"precision {precision}: emulated on the CPU: every matmul's inputs, output and "
            f"gradients are rounded to {name} (the products run in float32); float32 master "
            f"weights{scaled}"
        )
    return f"precision {precision}: {name} matmuls on the GPU; float32 master weights{scaled}"


def round_array(a, dtype):
    """``a`` rounded to ``dtype``'s values (round to nearest even; overflow gives
    inf, underflow 0 or a subnormal), returned in ``a``'s own dtype."""
    with np.errstate(over="ignore"):  # overflow to inf is the point
        return a.astype(dtype).astype(a.dtype)


class RoundTo(Function):
    """``x`` rounded to a low format's values, kept in x's dtype. Its gradient is
    the incoming gradient rounded the same way (a GPU holds the gradient of a
    float16 value in float16): where small gradients underflow to zero."""

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        return round_array(x, self.dtype)

    def backward(self, g):
        return (RoundTo.apply(g, dtype=self.dtype),)


def round_to(x, precision: str):
    """``x`` (a Tensor) rounded to ``precision``'s values, differentiably."""
    dtype = low_dtype(precision)
    return x if dtype is None else RoundTo.apply(x, dtype=dtype)


def to_low(t):
    """Inside :func:`autocast`, a floating tensor as the low precision holds it
    (rounded, or cast to a real low-precision array); otherwise ``t`` itself."""
    dtype = _state.dtype
    if dtype is None or not isinstance(t, TensorBase) or t.dtype.kind != "f" or t.dtype == dtype:
        return t
    ctx = getattr(t, "_ctx", None)
    if isinstance(ctx, RoundTo) and ctx.dtype == dtype:
        return t  # rounded already
    if _state.emulate:
        return RoundTo.apply(t, dtype=dtype)
    return t.astype(dtype)


def to_float32(t):
    """A real low-precision tensor as float32 (softmax, cross-entropy and layer
    norm compute in float32); any other tensor as it is."""
    if isinstance(t, TensorBase) and t.dtype == np.float16:
        return t.astype(np.float32)
    return t


# ---- loss scaling ----


def scaler_update(scale: float, good_steps: int, found_inf: bool, growth_factor: float = 2.0,
                  backoff_factor: float = 0.5, growth_interval: int = 1000):  # fmt: skip
    """Dynamic loss scaling's rule: the next ``(scale, good_steps)``, a tuple.

    A step whose gradients overflowed (``found_inf``) multiplies the scale by
    ``backoff_factor`` and restarts the count; otherwise the count of clean steps
    in a row grows, and when it reaches ``growth_interval`` the scale is
    multiplied by ``growth_factor`` and the count restarts.

    >>> scaler_update(1024.0, 0, True)
    (512.0, 0)
    >>> scaler_update(1024.0, 999, False)
    (2048.0, 0)
    >>> scaler_update(1024.0, 5, False)
    (1024.0, 6)
    """
    if found_inf:
        return scale * backoff_factor, 0
    good_steps += 1
    if good_steps >= growth_interval:
        return scale * growth_factor, 0
    return scale, good_steps


class LossScaler:
    """Dynamic (or fixed) loss scaling for float16 training.

    ``scale(loss)`` multiplies the loss before ``backward()``;
    ``unscale_(params)`` divides the float32 gradients by the scale and returns
    whether any is inf or NaN (an overflow); ``update(found_inf)`` moves the
    scale by :func:`scaler_update` (``dynamic=False`` keeps it fixed:
    ``init_scale=1.0, dynamic=False`` is float16 without scaling). The step of an
    overflow must be skipped: :func:`minilm.train.fit` does all of this with
    ``precision="fp16"``.

    >>> s = LossScaler(init_scale=8.0, growth_interval=2)
    >>> s.update(False); s.update(False); s.scale_value
    16.0
    >>> s.update(True); s.scale_value
    8.0
    """

    def __init__(self, init_scale: float = 2.0**16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 1000,
                 dynamic: bool = True):  # fmt: skip
        if not (init_scale > 0 and math.isfinite(init_scale)):
            raise ValueError(f"LossScaler: init_scale must be a positive number, got {init_scale}")
        if growth_factor < 1 or not 0 < backoff_factor < 1 or growth_interval < 1:
            raise ValueError(
                "LossScaler: need growth_factor >= 1, 0 < backoff_factor < 1 and "
                f"growth_interval >= 1, got {growth_factor}, {backoff_factor}, {growth_interval}"
            )
        self.scale_value, self.good_steps = float(init_scale), 0
        self.growth_factor, self.backoff_factor = growth_factor, backoff_factor
        self.growth_interval, self.dynamic = growth_interval, dynamic

    def scale(self, loss):
        return loss * self.scale_value

    def unscale_(self, params) -> bool:
        """Divide every gradient by the scale, in place; True if any is not finite."""
        found_inf = False
        inv = 1.0 / self.scale_value
        for p in params:
            if p.grad is None:
                continue
            g = p.grad.data
            g *= g.dtype.type(inv) if g.dtype.kind == "f" else inv
            found_inf = found_inf or not bool(p.grad.xp.isfinite(g).all())
        return found_inf

    def update(self, found_inf: bool) -> None:
        if self.dynamic:
            self.scale_value, self.good_steps = scaler_update(
                self.scale_value, self.good_steps, found_inf, self.growth_factor,
                self.backoff_factor, self.growth_interval)  # fmt: skip

    def state_dict(self) -> dict:
        return {"scale": self.scale_value, "good_steps": self.good_steps}

    def load_state_dict(self, state: dict) -> None:
        self.scale_value, self.good_steps = float(state["scale"]), int(state["good_steps"])


def gradient_underflow(model, loss_fn, batch, precision: str = "fp16", scale: float = 1.0) -> dict:
    """What rounding the backward pass to ``precision`` does to one batch's gradient.

    Runs the batch once in float32 and once under :func:`autocast` with the loss
    multiplied by ``scale`` (then divided out), and returns ``zero_fp32`` (the
    share of gradient entries that are exactly zero in float32), ``zero`` (the
    share that are zero in low precision), ``underflow`` (the share nonzero in
    float32 but zero in low precision: lost to underflow) and ``rel_error``
    (the relative L2 error of the low-precision gradient). The model's
    gradients are left zeroed. Dropout draws differ between the two runs: use
    ``model.eval()`` to compare like with like."""
    params = [p for p in model.parameters() if p.requires_grad]

    def grads(low):
        for p in params:
            p.grad = None
        ctx = autocast(precision, device=params[0].device) if low else contextlib.nullcontext()
        with ctx:
            loss = loss_fn(model, batch)
        (loss * scale if low else loss).backward()
        out = [
            backend.to_numpy(p.grad.data).astype(np.float64) / (scale if low else 1.0)
            if p.grad is not None else np.zeros(p.shape) for p in params
        ]  # fmt: skip
        for p in params:
            p.grad = None
        return np.concatenate([g.reshape(-1) for g in out])

    ref, low = grads(False), grads(True)
    n = max(ref.size, 1)
    norm = float(np.linalg.norm(ref))
    return {
        "zero_fp32": float((ref == 0).sum() / n),
        "zero": float((low == 0).sum() / n),
        "underflow": float(((ref != 0) & (low == 0)).sum() / n),
        "rel_error": float(np.linalg.norm(low - ref) / norm) if norm > 0 else 0.0,
    }
