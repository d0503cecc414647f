"""Weight initialization, in place, as in ``torch.nn.init``.

Fan-in and fan-out follow minilm's layouts: a 2-D weight is (in, out) (so
``y = x @ W``), a convolution weight is (C_out, C_in, K). Random numbers come
from minilm's seeded generator, so ``minilm.manual_seed`` makes them repeatable.

>>> import minilm
>>> from minilm.nn import init
>>> w = init.xavier_uniform_(minilm.zeros(100, 50))
>>> bool(abs(w.numpy()).max() <= (6 / 150) ** 0.5)
True
"""

from __future__ import annotations

import math

from .. import backend
from ..tensor import Tensor

__all__ = [
    "calculate_gain", "fans", "uniform_", "normal_", "constant_", "zeros_", "ones_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
    "glorot_uniform_", "glorot_normal_", "he_uniform_", "he_normal_",
]  # fmt: skip


def calculate_gain(nonlinearity: str = "linear", param: float | None = None) -> float:
    """The factor that keeps activations' variance steady through ``nonlinearity``."""
    if nonlinearity in ("linear", "sigmoid", "conv1d"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope**2))
    raise ValueError(
        f"unknown nonlinearity {nonlinearity!r}: use linear, sigmoid, tanh, relu or leaky_relu"
    )


def fans(shape) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight: (in, out) for 2-D, (C_out, C_in, K...) for conv."""
    if len(shape) < 2:
        raise ValueError(f"fan-in and fan-out need a weight with >= 2 dims, got shape {shape}")
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _fill(t: Tensor, values) -> Tensor:
    t.data[...] = backend.to_device(values, t.device).astype(t.dtype, copy=False)
    return t


def _rng(t: Tensor):
    # only random() and standard_normal(): the calls NumPy's and CuPy's generators share
    return backend.rng(t.device)


def uniform_(t: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill with samples from U(a, b)."""
    return _fill(t, a + (b - a) * _rng(t).random(t.shape))


def normal_(t: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill with samples from N(mean, std^2)."""
    return _fill(t, mean + std * _rng(t).standard_normal(t.shape))


def constant_(t: Tensor, value: float) -> Tensor:
    t.data[...] = value
    return t


def zeros_(t: Tensor) -> Tensor:
    return constant_(t, 0.0)


def ones_(t: Tensor) -> Tensor:
    return constant_(t, 1.0)


def xavier_uniform_(t: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot & Bengio (2010): U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = fans(t.shape)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(t, -a, a)


def xavier_normal_(t: Tensor, gain: float = 1.0) -> Tensor:
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = fans(t.shape)
    return normal_(t, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def _kaiming_std(t, a, mode, nonlinearity):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = fans(t.shape)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(t, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"):
    """He et al. (2015): U(-b, b) with b = gain * sqrt(3 / fan)."""
    bound = math.sqrt(3.0) * _kaiming_std(t, a, mode, nonlinearity)
    return uniform_(t, -bound, bound)


def kaiming_normal_(t, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"):
    """N(0, std^2) with std = gain / sqrt(fan)."""
    return normal_(t, 0.0, _kaiming_std(t, a, mode, nonlinearity))


glorot_uniform_, glorot_normal_ = xavier_uniform_, xavier_normal_
he_uniform_, he_normal_ = kaiming_uniform_, kaiming_normal_
