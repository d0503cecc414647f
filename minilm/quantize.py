"""Post-training quantization: weights as 8- or 4-bit integers and a scale.

A float32 weight costs 4 bytes; an int8 one costs 1 and an int4 one half a byte.
*Symmetric* quantization maps a tensor's values onto the integers
-Q..Q (Q = 2**(bits-1) - 1, 127 for int8, 7 for int4) with one scale
``s = max|w| / Q``: ``q = round(w / s)``, and ``w ≈ q * s``. The rounding error of
each value is at most ``s / 2``, so one large value makes every other value's
error large: a scale per output channel (``axis``, *per-channel*) or per group of
``group_size`` consecutive inputs (*group-wise*, used for int4) keeps the scales
small where the values are.

A quantized matmul (:func:`int8_matmul`) multiplies the integers and accumulates
in int32 (products of 127 * 127 overflow an int16 sum by the third term, an
int32 one only after about 133,000), then applies the two scales once to the result: exact
integer arithmetic, then one float multiply. The activations are quantized on
the fly, one scale per row (*dynamic* quantization, :func:`quantize_rows`).
NumPy has no fast int8 matrix product (it loops in C without BLAS), so on the
CPU this is slower than float32: the saving here is memory, and the arithmetic
is the lesson; int8 hardware (and PyTorch's fbgemm) makes it fast.

>>> import numpy as np
>>> q, s = quantize_symmetric(np.array([0.5, -1.0, 0.25], np.float32))
>>> q.tolist(), round(float(s), 6)
([64, -127, 32], 0.007874)
>>> [round(float(v), 3) for v in dequantize(q, s)]
[0.504, -1.0, 0.252]
"""

from __future__ import annotations

import warnings

from . import functional as F
from .autograd import Function
from .backend import get_array_module, np
from .nn import Embedding, Linear, Module
from .ops.index import out_of_range
from .tensor import Tensor, as_tensor

__all__ = [
    "qmax",
    "quantize_symmetric",
    "dequantize",
    "quantize_groupwise",
    "dequantize_groupwise",
    "pack_int4",
    "unpack_int4",
    "quantize_rows",
    "int8_matmul",
    "SCHEMES",
    "QuantizedLinear",
    "QuantizedEmbedding",
    "quantize_model",
    "quantize_weights_",
    "FakeQuantize",
    "fake_quantize",
    "QATLinear",
    "prepare_qat",
]


def qmax(bits: int) -> int:
    """The largest integer symmetric ``bits``-bit quantization uses: 2**(bits-1) - 1."""
    if not isinstance(bits, int) or not 2 <= bits <= 8:
        raise ValueError(f"quantize: bits must be an integer from 2 to 8, got {bits!r}")
    return 2 ** (bits - 1) - 1


def _scale(amax, q: int):
    """``amax / q``, with 1 where a tensor (or channel) is all zeros (any scale
    represents zeros exactly) or so small that amax / q underflows to 0."""
    xp = get_array_module(amax)
    s = xp.asarray(amax, dtype=xp.float32) / xp.float32(q)
    return xp.where(s > 0, s, xp.float32(1.0)).astype(xp.float32)  # also when amax/q underflows


def _to_ints(w, scale, Q: int):
    """``round(w / scale)`` clipped to -Q..Q, as int8."""
    xp = get_array_module(w)
    return xp.clip(xp.rint(w / scale), -Q, Q).astype(xp.int8)


def _check_float(w, where: str):
    if w.dtype.kind != "f":
        raise TypeError(f"{where}: needs a floating-point array, got {w.dtype}")
    xp = get_array_module(w)
    if not bool(xp.isfinite(w).all()):
        raise ValueError(f"{where}: the array holds inf or NaN, which no scale can represent")


def quantize_symmetric(w, bits: int = 8, axis: int | None = None):
    """``(q, scale)``: ``w`` as int8 integers in -Q..Q and float32 scales, with
    ``w ≈ q * scale``. ``axis=None``: one scale (per-tensor); ``axis=k``: one scale
    per index along axis k (per-channel: for minilm's (in, out) Linear weight,
    ``axis=1`` is one scale per output); ``scale`` keeps w's number of dimensions
    so that ``q * scale`` broadcasts."""
    _check_float(w, "quantize_symmetric")
    Q = qmax(bits)
    xp = get_array_module(w)
    if axis is None:
        amax = xp.abs(w).max() if w.size else xp.float32(0)
    else:
        axis = axis % w.ndim
        others = tuple(i for i in range(w.ndim) if i != axis)
        amax = xp.abs(w).max(axis=others, keepdims=True)
    scale = _scale(amax, Q)
    return _to_ints(w, scale, Q), scale


def dequantize(q, scale):
    """``q * scale`` in float32: the values the quantized tensor stands for."""
    xp = get_array_module(q)
    return q.astype(xp.float32) * scale


def quantize_groupwise(w, bits: int = 4, group_size: int = 32):
    """``(q, scales)`` for a 2-D (in, out) weight with one scale per group of
    ``group_size`` consecutive inputs of each output: ``scales`` is
    (in / group_size, out) and ``q`` int8 holding values in -Q..Q (see
    :func:`pack_int4` for two int4 values a byte). ``in`` must be a multiple of
    ``group_size``."""
    _check_float(w, "quantize_groupwise")
    if w.ndim != 2:
        raise ValueError(f"quantize_groupwise: needs a 2-D (in, out) weight, got shape {w.shape}")
    if not isinstance(group_size, int) or group_size < 1 or w.shape[0] % group_size:
        raise ValueError(
            f"quantize_groupwise: group_size must divide the weight's {w.shape[0]} inputs, "
            f"got {group_size!r}"
        )
    Q = qmax(bits)
    xp = get_array_module(w)
    n_in, n_out = w.shape
    groups = w.reshape(n_in // group_size, group_size, n_out)
    scales = _scale(xp.abs(groups).max(axis=1), Q)  # (G, out)
    return _to_ints(groups, scales[:, None, :], Q).reshape(n_in, n_out), scales


def dequantize_groupwise(q, scales):
    """The float32 (in, out) weight that :func:`quantize_groupwise`'s output stands for."""
    xp = get_array_module(q)
    n_in, n_out = q.shape
    group_size = n_in // scales.shape[0]
    groups = q.reshape(scales.shape[0], group_size, n_out).astype(xp.float32)
    return (groups * scales[:, None, :]).reshape(n_in, n_out)


def pack_int4(q):
    """Two int4 values (-8..7) a byte: a (..., n) int8 array with n even -> (..., n/2)
    uint8, the first of each pair in the low nibble."""
    if q.shape[-1] % 2:
        raise ValueError(f"pack_int4: the last axis must be even, got shape {q.shape}")
    if q.size and (int(q.min()) < -8 or int(q.max()) > 7):
        raise ValueError("pack_int4: values must lie in -8..7")
    xp = get_array_module(q)
    u = (q.astype(xp.int16) & 0xF).astype(xp.uint8)
    return u[..., 0::2] | (u[..., 1::2] << 4)


def unpack_int4(packed):
    """The int8 array :func:`pack_int4` packed (sign-extended nibbles)."""
    xp = get_array_module(packed)
    lo = (packed & 0xF).astype(xp.int8)
    hi = (packed >> 4).astype(xp.int8)
    out = xp.stack([lo, hi], axis=-1).reshape(*packed.shape[:-1], packed.shape[-1] * 2)
    return xp.where(out > 7, out - 16, out).astype(xp.int8)


def quantize_rows(x, bits: int = 8):
    """Dynamic activation quantization: one scale per row of ``x`` (..., k) (each
    token's features), computed from the values at hand; ``(q, scale (..., 1))``."""
    _check_float(x, "quantize_rows")
    if x.ndim == 0:
        raise ValueError("quantize_rows: needs an array with rows (..., k), got a scalar")
    xp = get_array_module(x)
    Q = qmax(bits)
    scale = _scale(xp.abs(x).max(axis=-1, keepdims=True), Q)
    return _to_ints(x, scale, Q), scale


def int8_matmul(xq, x_scale, wq, w_scale):
    """``(xq * x_scale) @ (wq * w_scale)`` computed as a quantized kernel does: the
    integer product accumulated in int32, then the scales applied once. ``xq``
    (..., k) int8 with ``x_scale`` (..., 1) per row (or a scalar); ``wq`` (k, n)
    int8 with ``w_scale`` a scalar or (1, n) per output channel. Per-input scales
    cannot be taken out of the sum: use group-wise weights dequantized instead."""
    if xq.dtype != np.int8 or wq.dtype != np.int8:
        raise TypeError(f"int8_matmul: needs int8 operands, got {xq.dtype} and {wq.dtype}")
    xp = get_array_module(xq)
    w_scale = xp.asarray(w_scale, dtype=xp.float32)
    if w_scale.ndim == 2 and w_scale.shape[0] != 1:
        raise ValueError(
            f"int8_matmul: the weight's scale must be one number or one per output "
            f"(1, {wq.shape[1]}), got shape {w_scale.shape}"
        )
    k = wq.shape[0]
    if k * 128 * 128 > 2**31 - 1:  # int8 reaches -128, even if symmetric scales stop at 127
        raise ValueError(f"int8_matmul: {k} inputs could overflow the int32 accumulator")
    acc = xq.astype(xp.int32) @ wq.astype(xp.int32)  # exact: |sum| <= 128 * 128 * k
    return acc.astype(xp.float32) * (xp.asarray(x_scale, dtype=xp.float32) * w_scale)


# ---- a model's Linear layers, quantized ----

SCHEMES = ("int8", "int8-channel", "int4")


class QuantizedLinear(Module):
    """A :class:`minilm.nn.Linear` whose weight is stored quantized, for inference.

    ``scheme``: "int8" (one scale), "int8-channel" (one scale per output) or
    "int4" (group-wise scales of ``group_size`` inputs, two values a byte). The
    int8 schemes quantize each input row on the fly and multiply in integers
    (:func:`int8_matmul`); int4 dequantizes its weight on the fly and multiplies
    in float32. The bias stays float32. No gradients: a model to evaluate and
    sample from (quantization-aware training is another way)."""

    def __init__(self, linear, scheme: str = "int8", group_size: int = 32):
        super().__init__()
        if scheme not in SCHEMES:
            raise ValueError(f"QuantizedLinear: scheme must be one of {SCHEMES}, got {scheme!r}")
        w = linear.weight.data
        self.in_features, self.out_features = w.shape
        self.scheme = scheme
        self.bias = linear.bias
        if scheme == "int4":
            q, scale = quantize_groupwise(w, 4, group_size)
            q = pack_int4(q.T)  # (out, in / 2): two inputs a byte
        else:
            q, scale = quantize_symmetric(w, 8, 1 if scheme == "int8-channel" else None)
        self.register_buffer("q", as_tensor(q))  # int8, or int4 packed two a byte (uint8)
        self.register_buffer("scale", as_tensor(scale))

    def weight_nbytes(self) -> int:
        """Bytes the weight takes: the integers and the scales."""
        return int(self.q.data.nbytes + self.scale.data.nbytes)

    def extra_repr(self):
        return f"{self.in_features}, {self.out_features}, scheme={self.scheme!r}"

    def dequantized_weight(self):
        """The float32 (in, out) weight the stored integers stand for."""
        q, scale = self.q.data, self.scale.data
        if self.scheme == "int4":
            return dequantize_groupwise(unpack_int4(q).T, scale)
        return dequantize(q, scale)

    def forward(self, x):
        data = x.data if isinstance(x, Tensor) else x
        if data.shape[-1] != self.in_features:
            raise ValueError(
                f"QuantizedLinear: input has {data.shape[-1]} features (shape {data.shape}) "
                f"but the weight expects {self.in_features}"
            )
        if self.scheme == "int4":
            y = data.astype(np.float32) @ self.dequantized_weight()
        else:
            flat = data.reshape(-1, self.in_features).astype(np.float32)
            xq, xs = quantize_rows(flat)
            y = int8_matmul(xq, xs, self.q.data, self.scale.data).reshape(*data.shape[:-1], -1)
        if self.bias is not None:
            y = y + self.bias.data
        return as_tensor(y.astype(np.float32))


class QuantizedEmbedding(Module):
    """A :class:`minilm.nn.Embedding` whose table is stored quantized: int8 with one
    scale per row (a token's vector; "int8-channel") or one for the table ("int8"),
    or int4 with group-wise scales along each row ("int4", two values a byte).
    A lookup dequantizes the rows it reads. ``weight`` is the whole dequantized
    table, for a model that ties its output head to the embedding (GPT's logits
    are ``x @ wte.weight.T``): the head then reads the same quantized values."""

    def __init__(self, embedding, scheme: str = "int8-channel", group_size: int = 32):
        super().__init__()
        if scheme not in SCHEMES:
            raise ValueError(f"QuantizedEmbedding: scheme must be one of {SCHEMES}, got {scheme!r}")
        w = embedding.weight.data  # (num_embeddings, embedding_dim)
        self.num_embeddings, self.embedding_dim = w.shape
        self.scheme = scheme
        if scheme == "int4":
            q, scale = quantize_groupwise(w.T, 4, group_size)  # groups of dims, per row
            q = pack_int4(q.T)  # (num, dim / 2)
        else:
            q, scale = quantize_symmetric(w, 8, 0 if scheme == "int8-channel" else None)
        self.register_buffer("q", as_tensor(q))
        self.register_buffer("scale", as_tensor(scale))

    def weight_nbytes(self) -> int:
        """Bytes the table takes: the integers and the scales."""
        return int(self.q.data.nbytes + self.scale.data.nbytes)

    def extra_repr(self):
        return f"{self.num_embeddings}, {self.embedding_dim}, scheme={self.scheme!r}"

    def dequantized_weight(self):
        """The float32 (num_embeddings, embedding_dim) table the integers stand for."""
        q, scale = self.q.data, self.scale.data
        if self.scheme == "int4":
            return dequantize_groupwise(unpack_int4(q).T, scale).T
        return dequantize(q, scale)

    @property
    def weight(self):
        return as_tensor(self.dequantized_weight())

    def forward(self, idx):
        xp = get_array_module(self.q.data)
        ids = idx.data if isinstance(idx, Tensor) else xp.asarray(idx)  # on the table's device
        if ids.dtype.kind not in "iu":
            raise TypeError(f"QuantizedEmbedding: ids must be integers, got {ids.dtype}")
        bad = out_of_range(ids, 0, self.num_embeddings)
        if bad is not None:
            n = self.num_embeddings
            raise IndexError(f"QuantizedEmbedding: id {bad} is out of range for a table of "
                             f"{n} rows (ids 0..{n - 1})")  # fmt: skip
        q, scale = self.q.data[ids], self.scale.data
        if self.scheme == "int4":  # dequantize only the rows looked up
            vals = unpack_int4(q).astype(xp.float32)  # (..., dim)
            groups = vals.reshape(*ids.shape, scale.shape[0], -1)  # (..., G, group)
            out = (groups * xp.moveaxis(scale[:, ids], 0, -1)[..., None]).reshape(vals.shape)
        else:
            out = dequantize(q, scale[ids] if self.scheme == "int8-channel" else scale)
        return as_tensor(out.astype(np.float32))


def quantize_model(model, scheme: str = "int8", group_size: int = 32,
                   embeddings: bool = True) -> dict:  # fmt: skip
    """Replace every :class:`minilm.nn.Linear` in ``model`` (in place) by a
    :class:`QuantizedLinear`, and with ``embeddings`` every
    :class:`minilm.nn.Embedding` by a :class:`QuantizedEmbedding`; returns
    ``{"float_bytes", "quantized_bytes", "layers"}`` for the tables replaced.

    The embeddings follow the int8 schemes; with "int4" they are int8 per row:
    a GPT's embedding is also its output head (tied), the table whose error
    every logit carries, and int4 schemes commonly keep it in higher precision
    (on the course's GPT, int4 groups of 32 there cost 0.34 nats/char more than
    int8 rows). For int4, Linear layers whose inputs do not divide into
    ``group_size`` (or are odd in number) stay float, and are not counted. A
    model after :func:`prepare_qat` is converted the same way: its
    :class:`QATLinear` layers are Linear layers (a warning says so if it was
    trained for another scheme or group size)."""
    if scheme not in SCHEMES:
        raise ValueError(f"quantize_model: scheme must be one of {SCHEMES}, got {scheme!r}")
    table_scheme = "int8-channel" if scheme == "int4" else scheme
    stats = {"float_bytes": 0, "quantized_bytes": 0, "layers": 0}
    mismatched = set()  # the QAT layers' (scheme, group_size), to compare with this one
    for _, module in list(model.named_modules()):
        for name, child in list(vars(module).items()):
            if isinstance(child, Linear):
                if scheme == "int4" and (child.in_features % group_size or child.in_features % 2):
                    continue
                if isinstance(child, QATLinear):
                    mismatched.add((child.scheme, child.group_size))
                quantized = QuantizedLinear(child, scheme, group_size)
            elif isinstance(child, Embedding) and embeddings:
                quantized = QuantizedEmbedding(child, table_scheme)
            else:
                continue
            stats["float_bytes"] += int(child.weight.data.nbytes)
            stats["quantized_bytes"] += quantized.weight_nbytes()
            stats["layers"] += 1
            setattr(module, name, quantized)
    trained = {(q, g if q == "int4" else None) for q, g in mismatched}
    if trained - {(scheme, group_size if scheme == "int4" else None)}:
        warnings.warn(
            f"quantize_model: the model was trained (prepare_qat) for {sorted(trained)} "
            f"but is converted to {scheme!r} (group_size {group_size}); it was not "
            "trained for this quantization, so QAT's gain may be lost. Pass the "
            "scheme and group size given to prepare_qat", stacklevel=2)  # fmt: skip
    return stats


def quantize_weights_(model, scheme: str = "int8", group_size: int = 32) -> dict:
    """Weight-only quantization of any model, simulated: every 2-D parameter's
    values are replaced (in place) by the values ``scheme`` would store, so the
    model computes exactly what a weight-only kernel (one that dequantizes on
    the fly, as int4 does) would; the int8 path's quantized activations are left
    out. For models whose weights are not all :class:`minilm.nn.Linear` layers
    (a recurrent cell's matrices): it measures what the quantization costs in
    quality; :func:`quantize_model` is the model that really stores integers.

    An Embedding's table is quantized per row (int8 per row for "int4" too, as
    :func:`quantize_model` does); every other 2-D weight, minilm's (in, out)
    layout, per output column ("int8-channel") or in groups of ``group_size``
    inputs ("int4"; a weight whose inputs do not divide into groups gets one
    group of all its inputs, a scale per output).
    Returns ``{"float_bytes", "quantized_bytes", "layers"}`` as quantize_model does.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"quantize_weights_: scheme must be one of {SCHEMES}, got {scheme!r}")
    tables = {id(m.weight) for m in model.modules() if isinstance(m, Embedding)}
    stats = {"float_bytes": 0, "quantized_bytes": 0, "layers": 0}
    seen = set()
    for _, p in model.named_parameters():
        if p.ndim != 2 or id(p) in seen:
            continue
        seen.add(id(p))
        w = p.data
        if id(p) in tables:
            q, scale = quantize_symmetric(w, 8, None if scheme == "int8" else 0)
            new, nbytes = dequantize(q, scale), q.nbytes + scale.nbytes
        elif scheme == "int4":  # one group for all the inputs when they do not divide
            group = group_size if w.shape[0] % group_size == 0 else w.shape[0]
            q, scale = quantize_groupwise(w, 4, group)
            new, nbytes = dequantize_groupwise(q, scale), q.size // 2 + scale.nbytes
        else:
            q, scale = quantize_symmetric(w, 8, 1 if scheme == "int8-channel" else None)
            new, nbytes = dequantize(q, scale), q.nbytes + scale.nbytes
        p.data[...] = new.astype(w.dtype)
        stats["float_bytes"] += int(w.nbytes)
        stats["quantized_bytes"] += int(nbytes)
        stats["layers"] += 1
    return stats


# ---- quantization-aware training ----


def _fake(w, mode, bits, group_size):
    if mode == "tensor":
        return dequantize(*quantize_symmetric(w, bits))
    if mode == "channel":  # one scale per output of an (in, out) weight
        return dequantize(*quantize_symmetric(w, bits, axis=1))
    if mode == "rows":  # one scale per row (token) of the activations
        return dequantize(*quantize_rows(w, bits))
    return dequantize_groupwise(*quantize_groupwise(w, bits, group_size))  # "group"


class FakeQuantize(Function):
    """Forward: ``x`` quantized and dequantized (the values an integer model will
    use, in float32). Backward: the *straight-through estimator* (Bengio et al.,
    2013): rounding has derivative 0 almost everywhere, which would stop all
    learning, so the gradient passes through as if the op were the identity.
    ``mode``: "tensor", "channel" (per output of an (in, out) weight), "rows"
    (per row of activations, as :func:`quantize_rows`) or "group"."""

    saves_inputs = ()

    def __init__(self, mode="channel", bits=8, group_size=32):
        if mode not in ("tensor", "channel", "rows", "group"):
            raise ValueError(
                f"FakeQuantize: mode must be tensor, channel, rows or group, got {mode!r}"
            )
        self.mode, self.bits, self.group_size = mode, bits, group_size

    def forward(self, x):
        return _fake(x, self.mode, self.bits, self.group_size).astype(x.dtype)

    def backward(self, g):
        return (g,)


def fake_quantize(x, mode: str = "channel", bits: int = 8, group_size: int = 32):
    """:class:`FakeQuantize` applied to the Tensor ``x``."""
    return FakeQuantize.apply(x, mode=mode, bits=bits, group_size=group_size)


class QATLinear(Linear):
    """A Linear layer trained as it will be quantized (*quantization-aware
    training*): every forward pass uses the fake-quantized weight (and, for the
    int8 schemes, the fake-quantized input rows, as :class:`QuantizedLinear`
    will), while the optimizer updates the float32 weight underneath through the
    straight-through gradient. The parameters are the original layer's own."""

    @classmethod
    def wrap(cls, linear, scheme: str = "int8-channel", group_size: int = 32):
        if scheme not in SCHEMES:
            raise ValueError(f"QATLinear: scheme must be one of {SCHEMES}, got {scheme!r}")
        layer = cls.__new__(cls)
        Module.__init__(layer)
        layer.in_features, layer.out_features = linear.in_features, linear.out_features
        layer.weight, layer.bias = linear.weight, linear.bias
        layer.scheme, layer.group_size = scheme, group_size
        return layer

    def forward(self, x):
        if self.scheme == "int4":
            return F.linear(x, fake_quantize(self.weight, "group", 4, self.group_size), self.bias)
        mode = "channel" if self.scheme == "int8-channel" else "tensor"
        return F.linear(fake_quantize(x, "rows"), fake_quantize(self.weight, mode), self.bias)

    def extra_repr(self):
        return super().extra_repr() + f", scheme={self.scheme!r}"


def prepare_qat(model, scheme: str = "int8-channel", group_size: int = 32) -> int:
    """Make ``model`` train as its ``scheme`` quantization will run: each Linear
    becomes a :class:`QATLinear` (in place; the same Parameters, so an optimizer
    made before or after works). Embeddings stay float32 while training and are
    quantized afterwards. Train as usual, then :func:`quantize_model` with the
    same scheme converts it. Returns the number of layers prepared."""
    if scheme not in SCHEMES:
        raise ValueError(f"prepare_qat: scheme must be one of {SCHEMES}, got {scheme!r}")
    count = 0
    for _, module in list(model.named_modules()):
        for name, child in list(vars(module).items()):
            if type(child) is not Linear:
                continue
            if scheme == "int4" and (child.in_features % group_size or child.in_features % 2):
                continue
            setattr(module, name, QATLinear.wrap(child, scheme, group_size))
            count += 1
    return count
