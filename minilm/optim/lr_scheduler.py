"""Learning-rate schedules. Each computes the learning rate at step t in closed form
from the group's starting rate (``initial_lr``), so the formula in each docstring
is exactly what runs. Call ``scheduler.step()`` once after each ``optimizer.step()``.

>>> import minilm, minilm.optim as optim
>>> w = minilm.zeros(1, requires_grad=True)
>>> opt = optim.SGD([w], lr=1.0)
>>> sched = optim.StepLR(opt, step_size=2, gamma=0.5)
>>> lrs = []
>>> for _ in range(5):
...     lrs.append(sched.get_last_lr()[0]); opt.step(); sched.step()
>>> lrs
[1.0, 1.0, 0.5, 0.5, 0.25]
"""

from __future__ import annotations

import math


class LRScheduler:
    """Base class: subclasses define ``lr_at(base_lr, t)``; ``last_epoch`` is t, the
    number of ``step()`` calls so far (PyTorch's name for it)."""

    def __init__(self, optimizer, last_epoch: int = -1):
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [g["initial_lr"] for g in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def lr_at(self, base_lr: float, t: int) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def get_lr(self) -> list[float]:
        return [self.lr_at(base, self.last_epoch) for base in self.base_lrs]

    def step(self) -> None:
        """Advance one step and set every group's ``lr``."""
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [g["lr"] for g in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The learning rate of each group, as last set."""
        return list(self._last_lr)

    def state_dict(self) -> dict:
        """The schedule's numbers (not the optimizer, not functions)."""
        return {k: v for k, v in vars(self).items() if k != "optimizer" and not callable(v)
                and k != "lr_lambdas"}  # fmt: skip

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict`'s numbers. Only the names this schedule has may
        be set, each with a value of the same kind, so a loaded dict cannot replace
        the optimizer, a method or anything else."""
        mine = self.state_dict()
        if not isinstance(state, dict):
            raise ValueError(f"{type(self).__name__}.load_state_dict: expected a dict")
        unknown = sorted(set(state) - set(mine))
        if unknown:
            raise ValueError(f"{type(self).__name__}.load_state_dict: unknown entries {unknown}; "
                             f"this schedule has {sorted(mine)}")  # fmt: skip
        number = (int, float)
        for k, v in state.items():
            if isinstance(mine[k], int) and not isinstance(mine[k], bool) and type(v) is not int:
                raise ValueError(f"{type(self).__name__}.load_state_dict: {k} = {v!r} must be "
                                 "a whole number")  # fmt: skip
            ok = (isinstance(v, number) and isinstance(mine[k], number)) or (
                isinstance(v, (list, tuple)) and isinstance(mine[k], (list, tuple))
                and all(isinstance(x, number) for x in v)
            ) or type(v) is type(mine[k])  # fmt: skip
            if not ok or isinstance(v, bool) != isinstance(mine[k], bool):
                raise ValueError(f"{type(self).__name__}.load_state_dict: {k} = {v!r} is not "
                                 f"like this schedule's {mine[k]!r}")  # fmt: skip
        vars(self).update({k: (list(v) if isinstance(v, tuple) else v) for k, v in state.items()})


class StepLR(LRScheduler):
    """lr_t = base * gamma ** (t // step_size)."""

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        if step_size < 1:
            raise ValueError(f"StepLR: step_size must be >= 1, got {step_size}")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr, t):
        return base_lr * self.gamma ** (t // self.step_size)


class ExponentialLR(LRScheduler):
    """lr_t = base * gamma ** t."""

    def __init__(self, optimizer, gamma: float, last_epoch: int = -1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr, t):
        return base_lr * self.gamma**t


class CosineAnnealingLR(LRScheduler):
    """lr_t = eta_min + (base - eta_min) * (1 + cos(pi * t / T_max)) / 2
    (half a cosine from base down to eta_min over T_max steps)."""

    def __init__(self, optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):
        if T_max < 1:
            raise ValueError(f"CosineAnnealingLR: T_max must be >= 1, got {T_max}")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr, t):
        return (
            self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * t / self.T_max)) / 2
        )


class WarmupCosineLR(LRScheduler):
    """Linear warmup, then cosine decay: the schedule GPT-style training uses.

    - t < warmup_steps:          lr_t = base * (t + 1) / warmup_steps
    - warmup_steps <= t <= total: lr_t = eta_min + (base - eta_min) * (1 + cos(pi * r)) / 2,
      with r = (t - warmup_steps) / (total_steps - warmup_steps)
    - t > total_steps:            lr_t = eta_min
    """

    def __init__(self, optimizer, warmup_steps: int, total_steps: int, eta_min: float = 0.0,
                 last_epoch: int = -1):  # fmt: skip
        if not 0 <= warmup_steps < total_steps:
            raise ValueError(f"WarmupCosineLR: need 0 <= warmup_steps < total_steps, got "
                             f"{warmup_steps} and {total_steps}")  # fmt: skip
        self.warmup_steps, self.total_steps, self.eta_min = warmup_steps, total_steps, eta_min
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr, t):
        if t < self.warmup_steps:
            return base_lr * (t + 1) / self.warmup_steps
        if t > self.total_steps:
            return self.eta_min
        r = (t - self.warmup_steps) / (self.total_steps - self.warmup_steps)
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * r)) / 2


class LambdaLR(LRScheduler):
    """lr_t = base * f(t), with one function for all groups or one per group.

    Functions are not saved in ``state_dict``; rebuild the scheduler with them.
    """

    def __init__(self, optimizer, lr_lambda, last_epoch: int = -1):
        n = len(optimizer.param_groups)
        fns = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * n
        if len(fns) != n:
            raise ValueError(f"LambdaLR: got {len(fns)} functions for {n} parameter groups")
        self.lr_lambdas = fns
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * f(self.last_epoch) for base, f in zip(self.base_lrs, self.lr_lambdas)]
