"""Ops that could be composed from smaller ones but are single Functions:
softmax, log-softmax, cross-entropy, layer norm and GELU.

As one Function each is numerically stable for huge logits (the max is
subtracted before exp) and gets a backward written from its own formula
rather than through a dozen intermediate nodes; the tests check each against
its composition from smaller ops. The backward passes are Tensor ops, so they
are twice differentiable. Faster array-level versions live in
:mod:`minilm.fast`.
"""

import math

from .. import backend
from ..autograd import Function
from .index import out_of_range, where
from .unary import erf

_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


def row_max(x, axis):
    """The max along ``axis`` (kept), 0 for a row of -inf (so it shifts by 0, not by -inf)."""
    xp = backend.get_array_module(x)
    if x.size == 0:  # an empty row has no max; nothing is shifted
        return xp.zeros(tuple(1 if i == axis % x.ndim else n for i, n in enumerate(x.shape)),
                        dtype=x.dtype)  # fmt: skip
    m = x.max(axis=axis, keepdims=True)
    return xp.where(xp.isfinite(m), m, 0)


class Softmax(Function):
    """Softmax over ``axis``. With a boolean ``mask`` (broadcastable to x, True
    where an entry is kept) the other entries get weight exactly 0 and no
    gradient; a row with nothing kept comes out uniform. ``full_rows=True`` is
    the caller's promise that every row keeps an entry (a causal mask with as
    many keys as queries), which a fast backward may use to skip the masking.
    """

    saves_inputs, saves_output, floating = (), True, True

    def __init__(self, axis=-1, mask=None, full_rows=False):
        self.axis, self.mask, self.full_rows = axis, mask, full_rows

    def forward(self, x):
        xp = backend.get_array_module(x)
        if self.mask is not None:
            x = xp.where(self.mask, x, backend.np.finfo(x.dtype).min)
        e = xp.exp(x - row_max(x, self.axis))
        return e / e.sum(axis=self.axis, keepdims=True)

    def backward(self, g):
        y = self.output
        gx = y * (g - (g * y).sum(axis=self.axis, keepdims=True))
        if self.mask is not None:  # a row with nothing kept is constant in x
            gx = where(self.mask, gx, 0)
        return (gx,)


class LogSoftmax(Function):
    saves_inputs, saves_output, floating = (), True, True

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        xp = backend.get_array_module(x)
        z = x - row_max(x, self.axis)
        return z - xp.log(xp.exp(z).sum(axis=self.axis, keepdims=True))

    def backward(self, g):
        p = self.output.exp()
        return (g - p * g.sum(axis=self.axis, keepdims=True),)


class CrossEntropy(Function):
    """Mean (or summed, or per-row) negative log-likelihood of integer targets
    under softmax(logits), classes on the last axis.

    With label smoothing eps the target distribution is
    ``q = (1 - eps) * onehot + eps / C``; rows whose target is ``ignore_index``
    contribute nothing and are not counted in the mean. The gradient with
    respect to the logits is ``(softmax(logits) - q) * weight``.
    """

    floating = True

    def __init__(self, targets, ignore_index=-100, label_smoothing=0.0, reduction="mean"):
        self.targets, self.ignore_index = targets, ignore_index
        self.eps, self.reduction = label_smoothing, reduction

    def forward(self, logits):
        xp = backend.get_array_module(logits)
        C = logits.shape[-1]
        t = self.targets.reshape(-1)  # (N,)
        keep = t != self.ignore_index
        t_safe = xp.where(keep, t, 0)
        bad = out_of_range(t_safe, 0, C)
        if bad is not None:
            raise IndexError(f"target {bad} is out of range for {C} classes")
        z = logits.reshape(-1, C)  # (N, C)
        z = z - row_max(z, -1)
        logz = xp.log(xp.exp(z).sum(axis=-1))  # (N,)
        nll = logz - z[xp.arange(len(t)), t_safe]
        if self.eps:
            nll = (1 - self.eps) * nll + self.eps * (logz - z.mean(axis=-1))
        nll = nll * keep
        self.keep, self.t_safe = keep, t_safe
        # 1 / (rows counted), kept on the device (no GPU -> host read); computed in
        # float64 and then cast, so a float16 count past 65504 is no trouble
        self.inv_count = (1.0 / xp.maximum(keep.sum(), 1)).astype(logits.dtype)
        if self.reduction == "none":
            return nll.reshape(self.targets.shape)
        total = nll.sum()
        return total * self.inv_count if self.reduction == "mean" else total

    def weight(self, g):
        """The gradient's scale per row, (N, 1): upstream gradient, ignored rows, mean."""
        keep = self.inputs[0]._make(self.keep.astype(g.dtype)[:, None])
        if self.reduction == "none":
            return g.reshape(-1, 1) * keep
        return g * keep * (self.inv_count if self.reduction == "mean" else 1)

    def backward(self, g):
        logits = self.inputs[0]
        N, C = self.t_safe.shape[0], logits.shape[-1]
        q = logits.xp.full((N, C), self.eps / C, dtype=logits.dtype)
        q[logits.xp.arange(N), self.t_safe] += 1 - self.eps
        p = Softmax.apply(logits.reshape(N, C))
        return (((p - q) * self.weight(g)).reshape(logits.shape),)


class LayerNorm(Function):
    """``(x - mean) / sqrt(var + eps) * w + b`` over the last axis; inputs x,
    w (D,), b (D,).

    With xh = (x - mean) r the normalized input, r = 1/sqrt(var + eps), and
    gh = g w, the input gradient is ``r * (gh - mean(gh) - xh * mean(gh * xh))``
    (means over the last axis); ``dw = sum(g * xh)`` and ``db = sum(g)`` over
    every other axis (the engine does those sums).
    """

    floating = True

    def __init__(self, eps=1e-5):
        self.eps = eps

    def forward(self, x, w, b):
        xp = backend.get_array_module(x)
        d = x - x.mean(axis=-1, keepdims=True)
        r = 1 / xp.sqrt((d * d).mean(axis=-1, keepdims=True) + self.eps)
        return d * r * w + b

    def backward(self, g):
        x, w, _ = self.inputs
        d = x - x.mean(axis=-1, keepdims=True)
        r = 1 / ((d * d).mean(axis=-1, keepdims=True) + self.eps).sqrt()
        xh = d * r
        gh = g * w
        gm = gh.mean(axis=-1, keepdims=True)
        ghm = (gh * xh).mean(axis=-1, keepdims=True)
        return r * (gh - gm - xh * ghm), g * xh, g


class Gelu(Function):
    """GELU(x) = x * Phi(x), Phi the standard normal CDF; ``approximate="tanh"``
    replaces Phi(x) by 0.5 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))).

    Derivatives: exact, Phi(x) + x * phi(x); tanh form, with t the tanh,
    0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2).
    """

    floating = True

    def __init__(self, approximate="none"):
        self.approximate = approximate

    def forward(self, x):
        xp = backend.get_array_module(x)
        if self.approximate == "tanh":
            return 0.5 * x * (1 + xp.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)))
        return x * (0.5 * (1 + backend.erf(x * (1 / math.sqrt(2)))))

    def backward(self, g):
        x = self.inputs[0]
        if self.approximate == "tanh":
            t = (_SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)).tanh()
            inner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
            return (g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * inner),)
        cdf = 0.5 * (1 + erf(x * (1 / math.sqrt(2))))
        return (g * (cdf + x * (-0.5 * x * x).exp() * _INV_SQRT_2PI),)


# ---- Tensor's methods ----


class CompositeMethods:
    """Tensor's softmax methods (mixed into :class:`minilm.Tensor`)."""

    __slots__ = ()

    def softmax(self, axis=-1):
        return Softmax.apply(self, axis=axis)

    def log_softmax(self, axis=-1):
        return LogSoftmax.apply(self, axis=axis)
