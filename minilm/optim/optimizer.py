"""The Optimizer base class: parameter groups, per-parameter state, state dicts.

A subclass names its options in ``defaults`` and writes ``update(p, g, state,
group)``, which changes the parameter array ``p`` in place from its gradient
array ``g``. Every optimizer keeps two forms of its update side by side: the
plain array expression (the reference) and, registered in :mod:`minilm.fast.optim`
for the GPU, the same arithmetic as one CuPy elementwise kernel per parameter.
"""

from __future__ import annotations

import difflib
import math

from .. import backend
from ..tensor import Tensor, as_tensor


def _number(x) -> bool:
    """A finite int or float (not a bool, not nan or inf)."""
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


class Optimizer:
    """Base class. ``params`` is an iterable of Tensors, or of dicts (parameter
    groups) each with a ``"params"`` list and any options that override the
    defaults for that group.

    >>> import minilm, minilm.nn as nn, minilm.optim as optim
    >>> model = nn.Linear(2, 1)
    >>> opt = optim.SGD([{"params": [model.weight]},
    ...                  {"params": [model.bias], "lr": 0.0}], lr=0.1)
    >>> [g["lr"] for g in opt.param_groups]
    [0.1, 0.0]
    """

    defaults: dict

    def __init__(self, params, defaults: dict):
        self.defaults = dict(defaults)
        self.state: dict = {}
        self.param_groups: list[dict] = []
        if isinstance(params, Tensor):
            raise TypeError(f"{self.name}: params must be an iterable of tensors, "
                            "e.g. model.parameters() or [w, b]; got a single Tensor")  # fmt: skip
        groups = list(params)
        if not groups:
            raise ValueError(f"{self.name}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    @property
    def name(self) -> str:
        return type(self).__name__

    def add_param_group(self, group: dict) -> None:
        """Add a group of parameters with its own options (e.g. no weight decay)."""
        group = dict(group)
        params = group.get("params")
        params = [params] if isinstance(params, Tensor) else list(params or [])
        for key in group:
            if key != "params" and key not in self.defaults and key != "initial_lr":
                close = difflib.get_close_matches(key, self.defaults, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ValueError(
                    f"{self.name}: unknown option {key!r}{hint}; "
                    f"valid options are {', '.join(self.defaults)}"
                )
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{self.name}: parameter {i} is a {type(p).__name__}, not a Tensor")
            if p.dtype.kind != "f":
                raise TypeError(f"{self.name}: parameter {i} has dtype {p.dtype}; "
                                "only floating-point tensors can be optimized")  # fmt: skip
            if id(p) in seen:
                raise ValueError(
                    f"{self.name}: parameter {i} (shape {p.shape}) is listed twice; each "
                    "tensor may appear once across all parameter groups (tied weights: "
                    "pass model.parameters(), which lists a shared tensor once)"
                )
            seen.add(id(p))
        group["params"] = params
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._check(group)
        self.param_groups.append(group)

    def _check(self, group: dict) -> None:
        """Reject impossible option values; subclasses extend it."""
        if not _number(group["lr"]) or group["lr"] < 0:
            raise ValueError(f"{self.name}: learning rate must be a number >= 0, "
                             f"got lr={group['lr']!r}")  # fmt: skip
        for key in ("weight_decay", "eps", "momentum"):
            if key in group and (not _number(group[key]) or group[key] < 0):
                raise ValueError(f"{self.name}: {key} must be >= 0, got {group[key]}")

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (``.grad = None``)."""
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = None

    def step(self, closure=None):
        """Update every parameter that has a gradient. ``closure``, if given,
        recomputes and returns the loss (it is called first, with gradients on)."""
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad.data
                if g.shape != p.shape or backend.device_of(g) != p.device:
                    raise RuntimeError(
                        f"{self.name}: gradient {g.shape} on {backend.device_of(g)} does "
                        f"not match its parameter {p.shape} on {p.device}"
                    )
                state = self.state.setdefault(p, {})
                self.update(p.data, g.astype(p.dtype, copy=False), state, group)
                p._bump()  # an in-place change: a backward that saved p must notice
        return loss

    def update(self, p, g, state: dict, group: dict) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    # ---- state dicts ----
    def state_dict(self) -> dict:
        """``{"state": {index: {...}}, "param_groups": [{options, "params": [index]}]}``:
        parameters are named by their position, as in PyTorch, so the dict can be
        loaded into an optimizer built over a fresh copy of the model."""
        index, groups = {}, []
        for group in self.param_groups:
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            g = {k: v for k, v in group.items() if k != "params"}
            g["params"] = [index[id(p)] for p in group["params"]]
            groups.append(g)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if self.state.get(p):
                    state[index[id(p)]] = {
                        k: as_tensor(v) if hasattr(v, "dtype") and v.ndim else v
                        for k, v in self.state[p].items()
                    }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore options and per-parameter state (copied onto each parameter's device).

        Everything is checked before anything is written, so a bad dict (unknown
        options, impossible values, a state index with no parameter, a wrong
        shape) raises ``ValueError`` and leaves the optimizer as it was."""
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            raise ValueError(f"{self.name}.load_state_dict: expected a dict with 'state' and "
                             "'param_groups' (from state_dict())")  # fmt: skip
        saved, states = state_dict["param_groups"], state_dict["state"]
        if not isinstance(saved, (list, tuple)) or not all(isinstance(s, dict) for s in saved):
            raise ValueError(f"{self.name}.load_state_dict: 'param_groups' is not a list of dicts")
        if len(saved) != len(self.param_groups) or any(
            len(s.get("params", ())) != len(g["params"]) for s, g in zip(saved, self.param_groups)
        ):
            raise ValueError(
                f"{self.name}.load_state_dict: saved groups have sizes "
                f"{[len(s.get('params', ())) for s in saved]}, this optimizer's have "
                f"{[len(g['params']) for g in self.param_groups]}"
            )
        by_index, groups = {}, []
        for s, g in zip(saved, self.param_groups):
            by_index.update(zip(s["params"], g["params"]))
            options = {k: v for k, v in s.items() if k != "params"}
            unknown = sorted(set(options) - set(self.defaults) - {"initial_lr"})
            if unknown:
                raise ValueError(f"{self.name}.load_state_dict: unknown options {unknown}")
            merged = {**g, **options}
            self._check(merged)
            groups.append(merged)
        if not isinstance(states, dict):
            raise ValueError(f"{self.name}.load_state_dict: 'state' is not a dict")
        new_state = {}
        for i, st in states.items():
            try:
                p = by_index[int(i)]
            except (KeyError, TypeError, ValueError):
                names = sorted(by_index)
                raise ValueError(f"{self.name}.load_state_dict: state for parameter {i!r}, but "
                                 f"the groups name parameters {names}") from None  # fmt: skip
            if not isinstance(st, dict):
                raise ValueError(f"{self.name}.load_state_dict: state {i!r} is not a dict")
            new_state[p] = {k: self._restore(v, p) for k, v in st.items()}
        for g, merged in zip(self.param_groups, groups):  # all checked: now write
            g.update(merged)
        self.state = new_state

    @staticmethod
    def _restore(value, p):
        if isinstance(value, Tensor):
            value = value.data
        if hasattr(value, "dtype") and getattr(value, "ndim", 0):
            if value.shape != p.shape:
                raise ValueError(f"optimizer state of shape {value.shape} does not fit "
                                 f"its parameter {p.shape}")  # fmt: skip
            return backend.to_device(value, p.device).astype(p.dtype, copy=True)
        return value

    def __repr__(self) -> str:
        lines = [f"{self.name} ("]
        for i, g in enumerate(self.param_groups):
            opts = ", ".join(f"{k}={v}" for k, v in g.items() if k != "params")
            lines.append(f"  group {i}: {len(g['params'])} tensors, {opts}")
        return "\n".join(lines + [")"])
