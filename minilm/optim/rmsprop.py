"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""

from __future__ import annotations

from .. import backend, fast
from .optimizer import Optimizer


def rmsprop_step(p, g, sq, gavg, buf, *, lr, alpha, eps, weight_decay, momentum, centered):
    """One RMSprop step on raw arrays, in place: the readable reference.

    d = g + wd p;  sq = a sq + (1 - a) d^2;  (centered: gavg = a gavg + (1 - a) d)
    r = sqrt(sq - gavg^2) + eps;  buf = mu buf + d / r;  p = p - lr buf  (mu = 0: p - lr d / r)
    """
    xp = backend.get_array_module(p)
    d = g + weight_decay * p
    sq[...] = alpha * sq + (1 - alpha) * d * d
    if centered:
        gavg[...] = alpha * gavg + (1 - alpha) * d
        r = xp.sqrt(sq - gavg * gavg) + eps
    else:
        r = xp.sqrt(sq) + eps
    if momentum:
        buf[...] = momentum * buf + d / r
        p -= lr * buf
    else:
        p -= lr * d / r


class RMSprop(Optimizer):
    """Tieleman & Hinton (2012), with ``torch.optim.RMSprop``'s options
    (``centered`` subtracts the squared running mean of the gradient).

    >>> import minilm, minilm.optim as optim
    >>> w = minilm.tensor([1.0], requires_grad=True)
    >>> opt = optim.RMSprop([w], lr=0.01)
    >>> (w * w).sum().backward(); opt.step()
    >>> round(w.item(), 3)   # 1 - 0.01 * 2 / sqrt(0.01 * 4) = 0.9
    0.9
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 centered=False):  # fmt: skip
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered))  # fmt: skip

    def _check(self, group):
        super()._check(group)
        if not 0.0 <= group["alpha"] <= 1.0:
            raise ValueError(f"RMSprop: alpha must be in [0, 1], got {group['alpha']}")

    def update(self, p, g, state, group):
        xp = backend.get_array_module(p)
        if not state:
            state["step"] = 0
            state["square_avg"] = xp.zeros_like(p)
            if group["centered"]:
                state["grad_avg"] = xp.zeros_like(p)
            if group["momentum"]:
                state["momentum_buffer"] = xp.zeros_like(p)
        state["step"] += 1
        sq, gavg, buf = state["square_avg"], state.get("grad_avg"), state.get("momentum_buffer")
        step = fast.lookup("rmsprop_step", backend.device_of(p)) or rmsprop_step
        step(p, g, sq, gavg, buf, lr=group["lr"], alpha=group["alpha"], eps=group["eps"],
             weight_decay=group["weight_decay"], momentum=group["momentum"],
             centered=group["centered"])  # fmt: skip
