"""Adam and AdamW: momentum plus a per-coordinate step size, with bias correction."""

from __future__ import annotations

import math

from .. import backend, fast
from .optimizer import Optimizer


def adam_step(p, g, m, v, vmax, *, lr, beta1, beta2, eps, l2, decay, step):
    """One Adam(W) step on raw arrays, in place: the readable reference.

    p = p (1 - decay)                         AdamW's decoupled decay (decay = lr wd)
    d = g + l2 p                              Adam's L2 penalty
    m = b1 m + (1 - b1) d;  v = b2 v + (1 - b2) d^2
    m_hat = m / (1 - b1^t);  v_hat = v / (1 - b2^t)   (vmax: running max of v, AMSGrad)
    p = p - lr m_hat / (sqrt(v_hat) + eps)
    """
    xp = backend.get_array_module(p)
    p *= 1 - decay
    d = g + l2 * p
    m[...] = beta1 * m + (1 - beta1) * d
    v[...] = beta2 * v + (1 - beta2) * d * d
    if vmax is not None:
        xp.maximum(vmax, v, out=vmax)
        v = vmax
    bc1, bc2 = 1 - beta1**step, 1 - beta2**step
    p -= (lr / bc1) * m / (xp.sqrt(v) / math.sqrt(bc2) + eps)


class Adam(Optimizer):
    """Kingma & Ba (2015). ``weight_decay`` here is an L2 penalty added to the
    gradient (as in ``torch.optim.Adam``); for decoupled decay use :class:`AdamW`.

    >>> import minilm, minilm.optim as optim
    >>> w = minilm.tensor([1.0, -1.0], requires_grad=True)
    >>> opt = optim.Adam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()
    >>> [round(x, 4) for x in w.tolist()]   # the first step is lr * sign(g)
    [0.9, -0.9]
    """

    decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 amsgrad=False):  # fmt: skip
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad))  # fmt: skip

    def _check(self, group):
        super()._check(group)
        b1, b2 = group["betas"]
        if not (0.0 <= b1 < 1.0 and 0.0 <= b2 < 1.0):
            raise ValueError(f"{self.name}: betas must be in [0, 1), got {group['betas']}")

    def update(self, p, g, state, group):
        xp = backend.get_array_module(p)
        if not state:
            state["step"] = 0
            state["exp_avg"], state["exp_avg_sq"] = xp.zeros_like(p), xp.zeros_like(p)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = xp.zeros_like(p)
        state["step"] += 1
        t, lr, (b1, b2), wd = state["step"], group["lr"], group["betas"], group["weight_decay"]
        l2, decay = (0.0, lr * wd) if self.decoupled else (wd, 0.0)
        m, v, vmax = state["exp_avg"], state["exp_avg_sq"], state.get("max_exp_avg_sq")
        step = fast.lookup("adam_step", backend.device_of(p)) or adam_step
        step(p, g, m, v, vmax, lr=lr, beta1=b1, beta2=b2, eps=group["eps"], l2=l2, decay=decay,
             step=t)  # fmt: skip


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019): each step first
    shrinks the weights, ``p <- p (1 - lr wd)``, then takes a plain Adam step.

    >>> import minilm, minilm.optim as optim
    >>> w = minilm.tensor([1.0], requires_grad=True)
    >>> opt = optim.AdamW([w], lr=0.1, weight_decay=0.5)
    >>> w.grad = minilm.tensor([0.0]); opt.step()
    >>> round(w.item(), 4)   # a zero gradient: only the decay acts, 1 - 0.1 * 0.5
    0.95
    """

    decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False):  # fmt: skip
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)
