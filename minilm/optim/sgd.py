"""Stochastic gradient descent with momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

from .. import backend, fast
from .optimizer import Optimizer


def sgd_step(p, g, buf, *, lr, momentum, dampening, weight_decay, nesterov, first):
    """One SGD step on raw arrays, in place: the readable reference.

    d = g + wd p;  buf = mu buf + (1 - dampening) d  (buf = d at the first step);
    d = d + mu buf (Nesterov) or buf;  p = p - lr d
    """
    d = g + weight_decay * p
    if momentum:
        buf[...] = d if first else momentum * buf + (1 - dampening) * d
        d = d + momentum * buf if nesterov else buf
    p -= lr * d


class SGD(Optimizer):
    """``p <- p - lr * d`` where d is the gradient, optionally with L2 weight decay
    and (Nesterov) momentum; the same equations as ``torch.optim.SGD``.

    >>> import minilm, minilm.optim as optim
    >>> w = minilm.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = optim.SGD([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()
    >>> w.tolist()   # w - 0.1 * 2w
    [0.800000011920929, -1.600000023841858]
    """

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
                 nesterov=False):  # fmt: skip
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))  # fmt: skip

    def _check(self, group):
        super()._check(group)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("SGD: Nesterov momentum needs momentum > 0 and dampening = 0")

    def update(self, p, g, state, group):
        momentum = group["momentum"]
        first = momentum and "momentum_buffer" not in state
        if first:
            state["momentum_buffer"] = backend.get_array_module(p).zeros_like(p)
        buf = state.get("momentum_buffer")
        step = fast.lookup("sgd_step", backend.device_of(p)) or sgd_step
        step(p, g, buf, lr=group["lr"], momentum=momentum, dampening=group["dampening"],
             weight_decay=group["weight_decay"], nesterov=group["nesterov"],
             first=first)  # fmt: skip
