"""Adagrad: a per-coordinate step size that shrinks with the gradients seen so far."""

from __future__ import annotations

from .. import backend, fast
from .optimizer import Optimizer


def adagrad_step(p, g, acc, *, lr, weight_decay, eps):
    """One Adagrad step on raw arrays, in place: the readable reference.

    d = g + wd p;  acc = acc + d^2;  p = p - lr d / (sqrt(acc) + eps)
    """
    d = g + weight_decay * p
    acc += d * d
    p -= lr * d / (backend.get_array_module(p).sqrt(acc) + eps)


class Adagrad(Optimizer):
    """Duchi et al. (2011), with ``torch.optim.Adagrad``'s options: the step at time t
    uses ``lr / (1 + (t - 1) * lr_decay)``.

    >>> import minilm, minilm.optim as optim
    >>> w = minilm.tensor([3.0], requires_grad=True)
    >>> opt = optim.Adagrad([w], lr=1.0)
    >>> (w * w).sum().backward(); opt.step()
    >>> round(w.item(), 4)   # the first step moves every coordinate by about lr
    2.0
    """

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10):  # fmt: skip
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps))  # fmt: skip

    def _check(self, group):
        super()._check(group)
        for key in ("lr_decay", "initial_accumulator_value"):
            if group[key] < 0:
                raise ValueError(f"Adagrad: {key} must be >= 0, got {group[key]}")

    def update(self, p, g, state, group):
        if not state:
            state["step"] = 0
            xp = backend.get_array_module(p)
            state["sum"] = xp.full_like(p, group["initial_accumulator_value"])
        state["step"] += 1
        lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        step = fast.lookup("adagrad_step", backend.device_of(p)) or adagrad_step
        step(p, g, state["sum"], lr=lr, weight_decay=group["weight_decay"], eps=group["eps"])
