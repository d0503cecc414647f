"""Differentiable functions built from ops: activations, losses, normalization,
embedding, convolution and attention. ``import minilm.functional as F``.

Conventions that differ from PyTorch, because they read like the maths:
``linear`` takes ``weight`` of shape (in, out) and computes ``x @ weight + b``;
``cross_entropy`` takes classes on the *last* axis, (..., C).
"""

from __future__ import annotations

import math
import operator

from . import backend, fast, ops, precision
from .ops import CrossEntropy, Gelu, LayerNorm, LogSoftmax, MatMul, Softmax
from .ops.index import out_of_range
from .tensor import Tensor, as_tensor, tensor  # noqa: F401 - used by the docstring examples

__all__ = [
    "softmax",
    "log_softmax",
    "cross_entropy",
    "nll_loss",
    "mse_loss",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy",
    "gelu",
    "leaky_relu",
    "relu",
    "sigmoid",
    "tanh",
    "dropout",
    "layer_norm",
    "embedding",
    "linear",
    "conv1d",
    "conv2d",
    "max_pool1d",
    "avg_pool1d",
    "max_over_time",
    "mean_over_time",
    "scaled_dot_product_attention",
    "one_hot",
    "lstm_gates",
    "gru_gates",
]

relu, sigmoid, softplus, tanh = ops.relu, ops.sigmoid, ops.softplus, ops.tanh

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    _check_reduction(reduction)
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


# ---- softmax family ----


def softmax(x: Tensor, axis: int = -1, mask=None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis``; rows sum to 1.

    ``mask``: boolean, broadcastable to x, True on the entries to keep; the
    others get weight exactly 0 and no gradient (a row with none kept comes out
    uniform instead of NaN).

    >>> softmax(tensor([0.0, 0.0])).tolist()
    [0.5, 0.5]
    >>> [round(v, 4) for v in softmax(tensor([1.0, 2.0, 3.0]), mask=[True, True, False]).tolist()]
    [0.2689, 0.7311, 0.0]
    """
    x = precision.to_float32(x)  # under autocast: in float32 (so are the functions below)
    return Softmax.apply(x, axis=axis, mask=None if mask is None else mask_array(mask, x))


def mask_array(mask, like: Tensor):
    """A boolean mask (a Tensor, array or nested list) as an array on ``like``'s device."""
    if isinstance(mask, Tensor):  # a copy: the softmax keeps it for its backward
        return like.xp.array(mask.data, dtype=bool)
    return like.xp.asarray(mask, dtype=bool)


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """log(softmax(x)), computed without overflow even for logits of size 1e4."""
    return LogSoftmax.apply(precision.to_float32(x), axis=axis)


def _targets_array(logits: Tensor, targets) -> object:
    t = targets.data if isinstance(targets, Tensor) else logits.xp.asarray(targets)
    if t.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: targets must be integer class indices, got {t.dtype}")
    if t.shape != logits.shape[:-1]:
        raise ValueError(
            f"cross_entropy: logits {logits.shape} need targets of shape {logits.shape[:-1]} "
            f"(classes on the last axis), got {t.shape}"
        )
    return t


def cross_entropy(logits, targets, ignore_index=-100, label_smoothing=0.0, reduction="mean"):
    """Softmax cross-entropy of integer ``targets`` (...,) under ``logits`` (..., C).

    ``ignore_index``: targets with this value add nothing and are not counted.
    ``label_smoothing``: the target puts ``1 - eps`` on the class and spreads
    ``eps`` uniformly. One op; :func:`nll_loss` of :func:`log_softmax` is
    the same number.

    >>> logits = tensor([[2.0, 0.0, 0.0]])
    >>> round(cross_entropy(logits, tensor([0])).item(), 4)
    0.2395
    """
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    t = _targets_array(logits, targets)
    logits = precision.to_float32(logits)
    return CrossEntropy.apply(
        logits,
        targets=t,
        ignore_index=ignore_index,
        label_smoothing=label_smoothing,
        reduction=reduction,
    )


def nll_loss(log_probs, targets, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of ``targets`` given ``log_probs`` (..., C)."""
    _check_reduction(reduction)
    t = _targets_array(log_probs, targets)
    C = log_probs.shape[-1]
    flat, tf = log_probs.reshape(-1, C), t.reshape(-1)
    keep = tf != ignore_index
    xp = log_probs.xp
    picked = flat[xp.arange(len(tf)), xp.where(keep, tf, 0)]  # (N,)
    loss = -picked * as_tensor(keep.astype(log_probs.dtype))
    if reduction == "mean":
        return loss.sum() * (1.0 / max(int(keep.sum()), 1))
    return loss.sum() if reduction == "sum" else loss.reshape(t.shape)


def mse_loss(pred, target, reduction="mean"):
    """Mean squared error."""
    d = pred - target
    return _reduce(d * d, reduction)


def binary_cross_entropy_with_logits(logits, targets, reduction="mean", pos_weight=None):
    """BCE of targets in [0, 1] under sigmoid(logits), stable for any logit:
    ``softplus(x) - x*y``, with ``softplus(x) = log(1 + exp(x))`` computed stably.

    >>> round(binary_cross_entropy_with_logits(tensor([0.0]), tensor([1.0])).item(), 4)
    0.6931
    """
    x, y = logits, targets
    if (
        pos_weight is None
    ):  # y softplus(-x) + (1-y) softplus(x), since softplus(-x) = softplus(x) - x
        loss = ops.softplus(x) - x * y
    else:  # -log sigmoid(x) = softplus(-x): weight the positive term
        loss = pos_weight * y * ops.softplus(-x) + (1 - y) * ops.softplus(x)
    return _reduce(loss, reduction)


def binary_cross_entropy(probs, targets, reduction="mean", eps=1e-12):
    """BCE on probabilities; prefer the ``_with_logits`` form for stability."""
    p = ops.clip(probs, eps, 1 - eps)
    return _reduce(-(targets * ops.log(p) + (1 - targets) * ops.log(1 - p)), reduction)


# ---- activations ----


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """GELU: x * Phi(x). ``approximate="tanh"`` uses the tanh formula (GPT-2's).

    >>> round(gelu(tensor(1.0)).item(), 4)
    0.8413
    """
    if approximate in ("none", "tanh"):
        return Gelu.apply(x, approximate=approximate)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x where x > 0, else ``negative_slope * x`` (slope ``negative_slope`` at 0, as
    PyTorch). Written as ``relu(x) + slope * (x - relu(x))``, exact on both
    sides, so that its derivative stays in the graph: the second derivative is 0."""
    r = ops.relu(x)
    return r + negative_slope * (x - r)


def one_hot(indices, num_classes: int, dtype="float32") -> Tensor:
    """One-hot rows (no gradient)."""
    idx = indices.data if isinstance(indices, Tensor) else backend.np.asarray(indices)
    xp = backend.get_array_module(idx)
    bad = out_of_range(idx, 0, num_classes)
    if bad is not None:
        raise IndexError(f"one_hot: index {bad} is outside [0, {num_classes})")
    return as_tensor(xp.eye(num_classes, dtype=dtype)[idx])


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p)
    (inverted dropout), so evaluation needs no rescaling. Identity when not training."""
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout probability must be in [0, 1), got {p}")
    if not training or p == 0.0:
        return x
    keep = backend.rng(x.device).random(x.shape) >= p
    return x * as_tensor((keep / (1 - p)).astype(x.dtype))


# ---- layers as functions ----


def layer_norm(x: Tensor, weight=None, bias=None, eps: float = 1e-5) -> Tensor:
    """Normalize over the last axis to mean 0 and variance 1, then scale by
    ``weight`` and shift by ``bias`` (each of shape (D,)).

    >>> y = layer_norm(tensor([[1.0, 2.0, 3.0]]))
    >>> [round(v, 3) for v in y.tolist()[0]]
    [-1.225, 0.0, 1.225]
    """
    D, x = x.shape[-1], precision.to_float32(x)
    if weight is None:
        weight = as_tensor(x.xp.ones(D, dtype=x.dtype))
    if bias is None:
        bias = as_tensor(x.xp.zeros(D, dtype=x.dtype))
    return LayerNorm.apply(x, weight, bias, eps=eps)


def embedding(indices, weight: Tensor) -> Tensor:
    """Rows of ``weight`` (V, D) picked by integer ``indices`` (...) -> (..., D)."""
    idx = indices.data if isinstance(indices, Tensor) else weight.xp.asarray(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got {idx.dtype}")
    bad = out_of_range(idx, 0, weight.shape[0])
    if bad is not None:
        raise IndexError(
            f"embedding: index {bad} is out of range for a table of {weight.shape[0]} rows"
        )
    return weight[idx]


def linear(x: Tensor, weight: Tensor, bias=None) -> Tensor:
    """``x @ weight + bias`` with ``weight`` of shape (in, out).

    PyTorch stores (out, in) and computes ``x @ W.T``; minilm keeps the
    shape that reads like the maths.
    """
    if x.shape[-1] != weight.shape[0]:
        raise ValueError(
            f"linear: input has {x.shape[-1]} features (shape {x.shape}) but the weight "
            f"{weight.shape} expects {weight.shape[0]}"
        )
    if precision.active():  # autocast: operands and result in the low precision
        x, weight, bias = precision.to_low(x), precision.to_low(weight), precision.to_low(bias)
    one_op = fast.lookup("linear", x.device) if bias is not None and x.ndim > 1 else None
    if one_op is not None:  # the fast layer's: the bias added into the product's array
        return precision.to_low(one_op(x, weight, bias))
    y = MatMul.apply(x, weight)
    return precision.to_low(y + bias if bias is not None else y)


def conv1d(x: Tensor, weight: Tensor, bias=None, stride: int = 1, padding: int = 0) -> Tensor:
    """1-D convolution (cross-correlation, as in PyTorch).

    x: (N, C_in, L), weight: (C_out, C_in, K), bias: (C_out,) -> (N, C_out, L_out)
    with ``L_out = (L + 2*padding - K) // stride + 1``.
    """
    if x.ndim != 3 or weight.ndim != 3 or x.shape[1] != weight.shape[1]:
        raise ValueError(
            f"conv1d: need x (N, C_in, L) and weight (C_out, C_in, K) with matching C_in, "
            f"got {x.shape} and {weight.shape}"
        )
    if stride < 1 or padding < 0:
        raise ValueError(f"conv1d: need stride >= 1 and padding >= 0, got {stride}, {padding}")
    if padding:
        x = ops.pad(x, ((0, 0), (0, 0), (padding, padding)))
    N, C, L = x.shape
    C_out, _, K = weight.shape
    L_out = (L - K) // stride + 1
    if L_out < 1:
        raise ValueError(f"conv1d: kernel {K} is longer than the padded input {L}")
    xp = x.xp
    idx = xp.arange(L_out)[:, None] * stride + xp.arange(K)[None, :]  # (L_out, K)
    cols = x[:, :, idx]  # (N, C, L_out, K)
    cols = cols.transpose((0, 2, 1, 3)).reshape(N, L_out, C * K)  # (N, L_out, C*K)
    y = cols @ weight.reshape(C_out, C * K).T  # (N, L_out, C_out)
    if bias is not None:
        y = y + bias
    return y.transpose((0, 2, 1))  # (N, C_out, L_out)


def _pair(v, what: str, least: int, who: str = "conv2d") -> tuple[int, int]:
    """``v`` as (height, width): an int for both, or a pair of ints, each >= ``least``.

    NumPy integers count as ints; bools and floats do not.
    """

    def as_int(p):
        if isinstance(p, bool):
            return None
        try:
            return operator.index(p)
        except TypeError:
            return None

    pair = tuple(v) if isinstance(v, (tuple, list)) else (v, v)
    ints = [as_int(p) for p in pair]
    if len(ints) != 2 or any(i is None or i < least for i in ints):
        raise ValueError(
            f"{who}: {what} must be an int >= {least} or a (height, width) pair of them, got {v!r}"
        )
    return ints[0], ints[1]


def conv2d(x: Tensor, weight: Tensor, bias=None, stride=1, padding=0) -> Tensor:
    """2-D convolution (cross-correlation, as in PyTorch), by im2col as :func:`conv1d`.

    x: (N, C_in, H, W), weight: (C_out, C_in, kH, kW), bias: (C_out,) ->
    (N, C_out, H_out, W_out) with ``H_out = (H + 2*padding_h - kH) // stride_h + 1``
    (W likewise). ``stride`` and ``padding`` are an int or a (height, width) pair.
    Gather and matmul are engine ops, so the gradient is too (twice differentiable).

    >>> import minilm
    >>> conv2d(minilm.ones(2, 3, 8, 6), minilm.ones(4, 3, 3, 3), stride=2, padding=(1, 0)).shape
    (2, 4, 4, 2)
    """
    if x.ndim != 4:
        raise ValueError(
            f"conv2d: x must be (N, C_in, H, W), got shape {x.shape}; "
            "for a single image add a batch axis: x.reshape(1, *x.shape)"
        )
    if weight.ndim != 4 or min(weight.shape[2:]) < 1:
        raise ValueError(
            f"conv2d: weight must be (C_out, C_in, kH, kW) with kH, kW >= 1, "
            f"got shape {weight.shape}"
        )
    C_out, C, kH, kW = weight.shape
    if x.shape[1] != C:
        raise ValueError(
            f"conv2d: x {x.shape} has {x.shape[1]} channels (axis 1) but weight "
            f"{weight.shape} expects C_in = {C}"
        )
    if bias is not None and tuple(bias.shape) != (C_out,):
        raise ValueError(f"conv2d: bias must be (C_out,) = ({C_out},), got shape {bias.shape}")
    (sh, sw), (ph, pw) = _pair(stride, "stride", 1), _pair(padding, "padding", 0)
    if ph or pw:
        x = ops.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    N, _, H, W = x.shape
    if kH > H or kW > W:
        raise ValueError(
            f"conv2d: kernel {(kH, kW)} is bigger than the padded input {(H, W)}: "
            "use a smaller kernel or more padding"
        )
    H_out, W_out = (H - kH) // sh + 1, (W - kW) // sw + 1
    xp = x.xp
    ih = xp.arange(H_out)[:, None] * sh + xp.arange(kH)[None, :]  # (H_out, kH)
    iw = xp.arange(W_out)[:, None] * sw + xp.arange(kW)[None, :]  # (W_out, kW)
    # indices broadcast to (H_out, W_out, kH, kW): window (i, j)'s element (a, b) is
    # x[:, :, ih[i, a], iw[j, b]]
    cols = x[:, :, ih[:, None, :, None], iw[None, :, None, :]]  # (N, C, H_out, W_out, kH, kW)
    cols = cols.transpose((0, 2, 3, 1, 4, 5)).reshape(N, H_out * W_out, C * kH * kW)
    y = cols @ weight.reshape(C_out, C * kH * kW).T  # (N, H_out*W_out, C_out)
    if bias is not None:
        y = y + bias
    return y.transpose((0, 2, 1)).reshape(N, C_out, H_out, W_out)


# ---- pooling over time: the last axis, as in conv1d's (N, C, L) ----


def _pool_windows(x: Tensor, kernel_size: int, stride, padding: int, value: float, name: str):
    """The pooling windows of ``x`` (..., L), padded with ``value``: (..., L_out, K)."""
    stride = kernel_size if stride is None else stride
    for what, v, least in (("kernel_size", kernel_size, 1), ("stride", stride, 1),
                           ("padding", padding, 0)):  # fmt: skip
        if not isinstance(v, int) or isinstance(v, bool) or v < least:
            raise ValueError(f"{name}: {what} must be an int >= {least}, got {v!r}")
    if padding > kernel_size // 2:
        raise ValueError(f"{name}: padding {padding} is more than half of kernel_size "
                         f"{kernel_size}: a window could hold padding only")  # fmt: skip
    if x.ndim < 1:
        raise ValueError(f"{name}: need an input (..., L) with time on the last axis, got a scalar")
    if padding:
        x = ops.pad(x, ((0, 0),) * (x.ndim - 1) + ((padding, padding),), value=value)
    L = x.shape[-1]
    if L < kernel_size:
        raise ValueError(f"{name}: kernel_size {kernel_size} is longer than the input's "
                         f"{L} time steps (padding included): use a smaller kernel or pad "
                         "the input")  # fmt: skip
    L_out = (L - kernel_size) // stride + 1
    xp = x.xp
    idx = xp.arange(L_out)[:, None] * stride + xp.arange(kernel_size)[None, :]  # (L_out, K)
    return x[..., idx]  # (..., L_out, K)


def max_pool1d(x: Tensor, kernel_size: int, stride: int | None = None, padding: int = 0) -> Tensor:
    """The max of each window of ``kernel_size`` steps, every ``stride`` steps
    (default: ``kernel_size``, windows side by side), along the last axis.

    x: (N, C, L) (or any (..., L)) -> (..., L_out) with
    ``L_out = (L + 2*padding - kernel_size) // stride + 1``, as PyTorch's
    ``max_pool1d``. ``padding`` steps of -inf go on each side, at most half a
    window. The gradient of a window goes to its largest element; elements tied
    for the largest **share it equally** (as :func:`minilm.max` does), where
    PyTorch gives it all to one of them. Overlapping windows (``stride <
    kernel_size``) add up their gradients on the elements they share.

    >>> max_pool1d(tensor([[[1.0, 3.0, 2.0, 5.0, 4.0]]]), 2).tolist()
    [[[3.0, 5.0]]]
    >>> max_pool1d(tensor([[[1.0, 3.0, 2.0, 5.0, 4.0]]]), 3, stride=1).tolist()
    [[[3.0, 5.0, 5.0]]]
    """
    windows = _pool_windows(x, kernel_size, stride, padding, float("-inf"), "max_pool1d")
    return windows.max(axis=-1)


def avg_pool1d(x: Tensor, kernel_size: int, stride: int | None = None, padding: int = 0) -> Tensor:
    """The mean of each window, laid out as :func:`max_pool1d`. ``padding`` steps
    of zeros go on each side and count in the mean (PyTorch's default,
    ``count_include_pad=True``).

    >>> avg_pool1d(tensor([[[1.0, 3.0, 2.0, 6.0]]]), 2).tolist()
    [[[2.0, 4.0]]]
    """
    return _pool_windows(x, kernel_size, stride, padding, 0.0, "avg_pool1d").mean(axis=-1)


def _time_mask(x: Tensor, mask, name: str):
    """``mask`` (..., L) as a boolean array broadcastable to x (..., C, L), each row
    keeping at least one step."""
    m = mask_array(mask, x)
    if x.ndim < 2 or m.shape != x.shape[:-2] + x.shape[-1:]:
        raise ValueError(f"{name}: need x (..., C, L) and a mask (..., L), got {x.shape} "
                         f"and {m.shape}")  # fmt: skip
    if not bool(m.any(axis=-1).all()):
        raise ValueError(f"{name}: a row of the mask keeps no time step, so it has no value")
    return m[..., None, :]  # (..., 1, L)


def max_over_time(x: Tensor, mask=None) -> Tensor:
    """Max-over-time pooling (Collobert et al. 2011; Kim 2014): the largest value of
    each channel over the whole sequence. x: (N, C, L) -> (N, C).

    ``mask``: boolean (N, L), True on the time steps that count (the padding of
    a batch of unequal lengths must not win the max); each row needs one. Ties
    share the gradient equally, as in :func:`max_pool1d`.

    >>> x = tensor([[[1.0, 4.0, 9.0], [2.0, 0.0, 7.0]]])  # (1, 2, 3); the last step is padding
    >>> max_over_time(x).tolist(), max_over_time(x, mask=[[True, True, False]]).tolist()
    ([[9.0, 7.0]], [[4.0, 2.0]])
    """
    if mask is None:
        return x.max(axis=-1)
    return ops.where(_time_mask(x, mask, "max_over_time"), x, float("-inf")).max(axis=-1)


def mean_over_time(x: Tensor, mask=None) -> Tensor:
    """The mean of each channel over time, x: (N, C, L) -> (N, C); with ``mask``
    (N, L), the mean over the steps it keeps (each row needs one).

    >>> x = tensor([[[1.0, 3.0, 8.0]]])
    >>> mean_over_time(x).tolist(), mean_over_time(x, mask=[[True, True, False]]).tolist()
    ([[4.0]], [[2.0]])
    """
    if mask is None:
        return x.mean(axis=-1)
    m = _time_mask(x, mask, "mean_over_time")
    count = as_tensor(m.sum(axis=-1).astype(x.dtype))  # (..., 1)
    return ops.where(m, x, 0.0).sum(axis=-1) / count


# ---- recurrent cells' gate arithmetic ----


def lstm_gates(a, c, sigmoid=ops.sigmoid, tanh=ops.tanh):
    """The LSTM update from gate preactivations ``a`` (B, 4H) (gates i, f, g, o
    side by side) and cell ``c`` (B, H): returns i, f, g, o, c', tanh(c').
    Written with operators only, so it also runs on raw arrays given array
    ``sigmoid`` and ``tanh`` (as the fast layer's one-op cells do)."""
    H = c.shape[-1]
    i, f = sigmoid(a[:, :H]), sigmoid(a[:, H : 2 * H])
    g, o = tanh(a[:, 2 * H : 3 * H]), sigmoid(a[:, 3 * H :])
    c_new = f * c + i * g
    return i, f, g, o, c_new, tanh(c_new)


def gru_gates(xw, hw, h, sigmoid=ops.sigmoid, tanh=ops.tanh):
    """The GRU update from ``xw = x W_ih + b_ih`` and ``hw = h W_hh + b_hh``
    (B, 3H) (gates r, z, n) and ``h`` (B, H): returns r, z, n, h'. Operators
    only, like :func:`lstm_gates`."""
    H = h.shape[-1]
    r = sigmoid(xw[:, :H] + hw[:, :H])
    z = sigmoid(xw[:, H : 2 * H] + hw[:, H : 2 * H])
    n = tanh(xw[:, 2 * H :] + r * hw[:, 2 * H :])
    return r, z, n, (1 - z) * n + z * h


def causal_mask(T: int, device: str = "cpu", S: int | None = None):
    """Boolean (T, S) mask, True where query t may attend to key s (s <= t + S - T)."""
    S = T if S is None else S
    xp = backend.xp_for(device)
    return xp.tril(xp.ones((T, S), dtype=bool), k=S - T)


def scaled_dot_product_attention(q, k, v, mask=None, causal=False, return_weights=False,
                                 dropout_p: float = 0.0):  # fmt: skip
    """softmax(q k^T / sqrt(d) + mask) v.

    q: (..., T, d), k: (..., S, d), v: (..., S, dv) -> (..., T, dv).
    ``mask``: boolean, broadcastable to (..., T, S), **True where attention is
    allowed** (PyTorch's boolean convention). ``causal=True`` also forbids keys
    after the query (aligned at the end when S > T, as with a KV cache).
    A row with every key masked attends uniformly instead of giving NaN.
    ``dropout_p``: dropout on the attention weights before they mix ``v`` (as in
    PyTorch, applied whenever it is > 0: pass 0 in evaluation); the weights
    returned by ``return_weights`` are the ones before dropout.
    """
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"attention: q {q.shape}, k {k.shape}, v {v.shape} don't fit: need "
            "q (..., T, d), k (..., S, d), v (..., S, dv)"
        )
    T, S, d = q.shape[-2], k.shape[-2], q.shape[-1]
    scores = q @ k.swapaxes(-1, -2) / math.sqrt(d)  # (..., T, S): how well query t matches key s
    allowed = None if mask is None else mask_array(mask, q)
    if causal:
        past = causal_mask(T, q.device, S)  # (T, S): key s is not after query t
        allowed = past if allowed is None else allowed & past
    # full_rows: a causal mask alone keeps key 0 for every query, so no row is empty
    weights = Softmax.apply(scores, axis=-1, mask=allowed, full_rows=mask is None and S >= T)
    out = dropout(weights, dropout_p) @ v  # (..., T, dv): each query's mix of the values
    return (out, weights) if return_weights else out
