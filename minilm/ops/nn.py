"""Fused primitives for the functions every network calls: softmax,
log-softmax, cross-entropy, layer norm and GELU.

Each could be written from smaller ops (the tests check that the two agree);
as single Functions they are numerically stable for huge logits and make
fewer passes over memory. Their backward passes are Tensor ops, so they are
twice differentiable. Where the backward reuses arrays cached by the forward
(a fast path), it does so only when no graph is being built
(``is_grad_enabled()`` is False inside a plain backward); under
``create_graph=True`` it recomputes them with differentiable ops.
"""

import math

from .. import backend
from ..tensor import Function, Tensor, is_grad_enabled
from . import fused
from .index import Where, out_of_range


def _row_max(xp, x, axis):
    m = x.max(axis=axis, keepdims=True)
    return xp.where(xp.isfinite(m), m, 0)  # an all -inf row shifts by 0, not by -inf


def _stable_shift(xp, x, axis):
    return x - _row_max(xp, x, axis)


class Softmax(Function):
    """Softmax over ``axis``. With a boolean ``mask`` (broadcastable to x, True
    where an entry is kept) the other entries get weight exactly 0 and no
    gradient; a row with nothing kept comes out uniform. ``full_rows=True`` is
    the caller's promise that every row keeps an entry (a causal mask with as
    many keys as queries): y is then exactly 0 wherever the mask is False, so
    the gradient needs no masking pass.
    """

    def __init__(self, axis=-1, mask=None, full_rows=False):
        self.axis, self.mask, self.full_rows = axis, mask, full_rows

    def forward(self, x):
        xp = backend.get_array_module(x)
        if self.mask is not None:
            self.mask = xp.broadcast_to(xp.asarray(self.mask, dtype=bool), x.shape)
            x = xp.where(self.mask, x, float(backend.np.finfo(x.dtype).min))
        m = _row_max(xp, x, self.axis)
        e = fused.run("exp_shift", x, m)  # one pass on the GPU
        if e is None:
            e = xp.exp(x - m)
        return e / e.sum(axis=self.axis, keepdims=True)

    def backward(self, g):
        y = self.output
        masked = self.mask is not None and not self.full_rows
        if not is_grad_enabled():  # fast path on arrays: y (g - sum(g y))
            s = (g.data * y.data).sum(axis=self.axis, keepdims=True)
            gx = fused.run("softmax_bwd", y.data, g.data, s)
            if gx is None:
                gx = y.data * (g.data - s)
            return (Tensor._wrap(y.xp.where(self.mask, gx, 0) if masked else gx),)
        gx = y * (g - (g * y).sum(axis=self.axis, keepdims=True))
        if self.mask is not None:  # a row with nothing kept: constant in x
            gx = Where.apply(gx, Tensor._wrap(y.xp.zeros((), dtype=y.dtype)), cond=self.mask)
        return (gx,)


class LogSoftmax(Function):
    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        xp = backend.get_array_module(x)
        z = _stable_shift(xp, x, self.axis)
        return z - xp.log(xp.exp(z).sum(axis=self.axis, keepdims=True))

    def backward(self, g):
        p = self.output.exp()
        return (g - p * g.sum(axis=self.axis, keepdims=True),)


class CrossEntropy(Function):
    """Mean (or summed, or per-row) negative log-likelihood of integer targets
    under softmax(logits), classes on the last axis.

    With label smoothing eps the target distribution is
    ``q = (1 - eps) * onehot + eps / C``; rows whose target is ``ignore_index``
    contribute nothing and are not counted in the mean.
    """

    def __init__(self, targets, ignore_index=-100, label_smoothing=0.0, reduction="mean"):
        self.targets, self.ignore_index = targets, ignore_index
        self.eps, self.reduction = label_smoothing, reduction

    def forward(self, logits):
        xp = backend.get_array_module(logits)
        C = logits.shape[-1]
        flat = logits.reshape(-1, C)  # (N, C)
        t = self.targets.reshape(-1)  # (N,)
        keep = t != self.ignore_index
        t_safe = xp.where(keep, t, 0)
        bad = out_of_range(t_safe, 0, C)
        if bad is not None:
            raise IndexError(f"target {bad} is out of range for {C} classes")
        z = _stable_shift(xp, flat, -1)
        e = xp.exp(z)
        s = e.sum(axis=-1, keepdims=True)  # (N, 1)
        self.probs = e / s  # (N, C), reused by the fast backward
        logz = xp.log(s[:, 0])  # (N,)
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

    def backward(self, g):
        # d loss_i / d logits_i = (softmax_i - q_i) * weight_i
        logits = self.inputs[0]
        xp = logits.xp
        C = logits.shape[-1]
        N = self.t_safe.shape[0]
        rows = xp.arange(N)
        weight = Tensor._wrap(self.keep.astype(logits.dtype)[:, None])  # (N, 1)
        if self.reduction == "none":
            scale = g.reshape(-1, 1) * weight
        else:
            scale = g * weight * (self.inv_count if self.reduction == "mean" else 1)
        if not is_grad_enabled():  # fast path: reuse the forward's softmax
            s = scale.data  # (N, 1)
            out = self.probs * s
            out[rows, self.t_safe] -= (1 - self.eps) * s[:, 0]
            if self.eps:
                out -= (self.eps / C) * s
            return (Tensor._wrap(out.reshape(logits.shape)),)
        q = xp.full((N, C), self.eps / C, dtype=logits.dtype)
        q[rows, self.t_safe] += 1 - self.eps
        p = Softmax.apply(logits.reshape(-1, C))  # (N, C)
        return (((p - Tensor._wrap(q)) * scale).reshape(logits.shape),)


class LayerNorm(Function):
    """``(x - mean) / sqrt(var + eps) * w + b`` over the last axis; inputs x,
    w (D,), b (D,).

    With xh = (x - mean) r the normalized input, r = 1/sqrt(var + eps), and
    gh = g w, the input gradient is ``r * (gh - mean(gh) - xh * mean(gh * xh))``
    (means over the last axis); ``dw = sum(g * xh)`` and ``db = sum(g)`` over
    every other axis. On large GPU arrays :func:`fused.layer_norm` computes the
    same in fewer passes.
    """

    def __init__(self, eps=1e-5):
        self.eps = eps

    def forward(self, x, w, b):
        out = fused.layer_norm(x, w, b, self.eps)
        self.fused = out is not None  # the backward takes the same route
        if self.fused:
            y, self.xh, self.rstd = out
            return y
        xp = backend.get_array_module(x)
        d = x - x.mean(axis=-1, keepdims=True)
        self.rstd = 1 / xp.sqrt((d * d).mean(axis=-1, keepdims=True) + self.eps)  # (..., 1)
        d *= self.rstd
        self.xh = d
        return d * w + b

    def backward(self, g):
        x, w, _ = self.inputs
        if is_grad_enabled():  # differentiable path: xh and r as functions of x
            d = x - x.mean(axis=-1, keepdims=True)
            r = 1 / ((d * d).mean(axis=-1, keepdims=True) + self.eps).sqrt()
            xh = d * r
            gh = g * w
            gm = gh.mean(axis=-1, keepdims=True)
            ghm = (gh * xh).mean(axis=-1, keepdims=True)
            return r * (gh - gm - xh * ghm), g * xh, g  # the engine sums gw, gb to (D,)
        fast = self.fused and fused.layer_norm_backward(g.data, w.data, self.xh, self.rstd)
        if fast:
            return tuple(Tensor._wrap(a) for a in fast)
        xh = self.xh.reshape(g.shape)  # (N, D) after the fused forward
        r = self.rstd.reshape(*g.shape[:-1], 1)
        gh = g.data * w.data
        gm = gh.mean(axis=-1, keepdims=True)
        ghm = (gh * xh).mean(axis=-1, keepdims=True)
        gx = gh - gm
        gx -= xh * ghm
        gx *= r
        gw = Tensor._wrap(g.data * xh) if self.needs_grad[1] else None
        return Tensor._wrap(gx), gw, g  # the engine sums gw, gb to (D,)


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


class Gelu(Function):
    """GELU(x) = x * Phi(x), Phi the standard normal CDF; ``approximate="tanh"``
    replaces Phi(x) by 0.5 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))).

    Derivatives: exact, Phi(x) + x * phi(x); tanh form,
    0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2).
    """

    def __init__(self, approximate="none"):
        self.approximate = approximate

    def forward(self, x):
        xp = backend.get_array_module(x)
        if self.approximate == "tanh":
            out = fused.run("gelu_tanh_fwd", x)  # one pass on the GPU
            if out is not None:
                y, self.t = out
                return y
            # in place: each temporary is a full-size array
            u = xp.asarray(x * x)  # an array even for 0-d x, so out= works
            u *= 0.044715 * _SQRT_2_OVER_PI
            u += _SQRT_2_OVER_PI
            u *= x
            self.t = xp.tanh(u, out=u)  # tanh(sqrt(2/pi) (x + 0.044715 x^3))
            y = self.t + 1
            y *= x
            y *= 0.5
            return y
        self.cdf = 0.5 * (1 + backend.erf(x * (1 / math.sqrt(2))))
        return x * self.cdf

    def backward(self, g):
        x = self.inputs[0]
        if not is_grad_enabled():  # fast path on the forward's arrays
            xd, xp = x.data, x.xp
            if self.approximate == "tanh":
                t = self.t
                gx = fused.run("gelu_tanh_bwd", xd, t, g.data)  # one pass on the GPU
                if gx is not None:
                    return (Tensor._wrap(gx),)
                d = xd * xd  # d = 0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2)
                d *= 3 * 0.044715 * _SQRT_2_OVER_PI
                d += _SQRT_2_OVER_PI
                d *= xd
                d *= 1 - t * t
                d += t
                d += 1
                d *= 0.5
            else:
                d = self.cdf + xd * (_INV_SQRT_2PI * xp.exp(-0.5 * xd * xd))
            return (g * Tensor._wrap(d.astype(xd.dtype, copy=False)),)
        if self.approximate == "tanh":
            t = (_SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)).tanh()
            inner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
            return (g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * inner),)
        from .unary import Erf

        cdf = 0.5 * (1 + Erf.apply(x * (1 / math.sqrt(2))))
        return (g * (cdf + x * (-0.5 * x * x).exp() * _INV_SQRT_2PI),)
