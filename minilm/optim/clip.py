"""Gradient clipping, by total norm or by value. Both replace each ``.grad`` with a
new array (a gradient array may be shared between tensors, so never scale in place)."""

from __future__ import annotations

import math

from ..tensor import Tensor, as_tensor, tensor


def _with_grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:  # fmt: skip
    """Scale all gradients together so their joint norm is at most ``max_norm``;
    return the norm *before* clipping (handy to log).

    >>> import minilm
    >>> w = minilm.tensor([3.0, 4.0], requires_grad=True)
    >>> w.grad = minilm.tensor([3.0, 4.0])
    >>> clip_grad_norm_([w], max_norm=1.0).item(), [round(x, 3) for x in w.grad.tolist()]
    (5.0, [0.6, 0.8])
    """
    params = _with_grads(parameters)
    if not params:
        return tensor(0.0)
    xp = params[0].grad.xp
    if norm_type == math.inf:
        norms = [xp.abs(p.grad.data).max() for p in params]
        total = xp.max(xp.stack(norms))
    else:
        sums = [(xp.abs(p.grad.data.astype(xp.float64)) ** norm_type).sum() for p in params]
        total = xp.stack(sums).sum() ** (1.0 / norm_type)
    total = float(total)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the gradients' total norm is {total}; "
                           "pass error_if_nonfinite=False to clip anyway")  # fmt: skip
    coef = max_norm / (total + 1e-6)
    if coef < 1:
        for p in params:
            p.grad = as_tensor(p.grad.data * p.grad.dtype.type(coef))
    return tensor(total)


def clip_grad_value_(parameters, clip_value: float) -> None:
    """Clip every gradient element to [-clip_value, clip_value].

    >>> import minilm
    >>> w = minilm.tensor([1.0, 1.0], requires_grad=True)
    >>> w.grad = minilm.tensor([-5.0, 0.5])
    >>> clip_grad_value_([w], 1.0); w.grad.tolist()
    [-1.0, 0.5]
    """
    for p in _with_grads(parameters):
        p.grad = as_tensor(p.grad.xp.clip(p.grad.data, -clip_value, clip_value))
