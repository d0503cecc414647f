"""The optimizers' updates as one CUDA kernel per parameter.

Each optimizer in :mod:`minilm.optim` writes its update as a function on raw
arrays (``sgd_step``, ``adam_step``, ...): the reference, several passes over
memory on the GPU. Here each becomes one ``cupy.ElementwiseKernel`` with the
same signature, registered as ``"<name>_step"`` on the GPU; the optimizers
look them up with ``fast.lookup``. ``tests/test_fast.py`` runs each kernel's
C body on the CPU as a host loop against the reference.
"""

from __future__ import annotations

import math

from .. import backend
from . import register

_KERNELS: dict = {}


def kernel(name: str, inputs: str, outputs: str, body: str):
    """A CuPy ElementwiseKernel (built once per distinct source): one GPU kernel
    that reads ``inputs`` and updates the ``outputs`` arrays in place."""
    key = (name, inputs, outputs, body)
    if key not in _KERNELS:  # pragma: no cover - GPU only
        _KERNELS[key] = backend.cp.ElementwiseKernel(inputs, outputs, body, name)
    return _KERNELS[key]  # pragma: no cover - GPU only


def sgd_source(momentum: bool, nesterov: bool):
    body = "T d = g + weight_decay * p;\n"
    if momentum:
        body += "buf = momentum * buf + scale * d;\n"  # scale: 1 at the first step
        body += "d = d + momentum * buf;\n" if nesterov else "d = buf;\n"
    body += "p = p - lr * d;"
    outputs = "T p, T buf" if momentum else "T p"
    return "minilm_sgd", "T g, T lr, T weight_decay, T momentum, T scale", outputs, body


@register("sgd_step", "cuda")
def sgd_step(
    p, g, buf, *, lr, momentum, dampening, weight_decay, nesterov, first
):  # pragma: no cover - GPU only
    scale = 1.0 if first else 1 - dampening
    outs = (p, buf) if momentum else (p,)
    kernel(*sgd_source(bool(momentum), nesterov))(g, lr, weight_decay, momentum, scale, *outs)


def adam_source(amsgrad: bool):
    body = """
    p = p * (1 - decay);
    T d = g + l2 * p;
    m = beta1 * m + (1 - beta1) * d;
    v = beta2 * v + (1 - beta2) * d * d;
    """
    body += "vmax = max(vmax, v);\nT s = vmax;\n" if amsgrad else "T s = v;\n"
    body += "p = p - step_size * m / (sqrt(s) / bc2_sqrt + eps);"
    inputs = "T g, T beta1, T beta2, T eps, T l2, T decay, T step_size, T bc2_sqrt"
    outputs = "T p, T m, T v" + (", T vmax" if amsgrad else "")
    return "minilm_adam", inputs, outputs, body


@register("adam_step", "cuda")
def adam_step(
    p, g, m, v, vmax, *, lr, beta1, beta2, eps, l2, decay, step
):  # pragma: no cover - GPU only
    outs = (p, m, v, vmax) if vmax is not None else (p, m, v)
    step_size, bc2_sqrt = lr / (1 - beta1**step), math.sqrt(1 - beta2**step)
    kernel(*adam_source(vmax is not None))(g, beta1, beta2, eps, l2, decay, step_size, bc2_sqrt,
                                           *outs)  # fmt: skip


def rmsprop_source(centered: bool, momentum: bool):
    body = "T d = g + weight_decay * p;\nsq = alpha * sq + (1 - alpha) * d * d;\n"
    if centered:
        body += "gavg = alpha * gavg + (1 - alpha) * d;\nT r = sqrt(sq - gavg * gavg) + eps;\n"
    else:
        body += "T r = sqrt(sq) + eps;\n"
    if momentum:
        body += "buf = momentum * buf + d / r;\np = p - lr * buf;"
    else:
        body += "p = p - lr * d / r;"
    outputs = "T p, T sq" + (", T gavg" if centered else "") + (", T buf" if momentum else "")
    return "minilm_rmsprop", "T g, T lr, T alpha, T eps, T weight_decay, T momentum", outputs, body


@register("rmsprop_step", "cuda")
def rmsprop_step(
    p, g, sq, gavg, buf, *, lr, alpha, eps, weight_decay, momentum, centered
):  # pragma: no cover - GPU only
    outs = [a for a in (p, sq, gavg, buf) if a is not None]
    kernel(*rmsprop_source(centered, bool(momentum)))(g, lr, alpha, eps, weight_decay, momentum,
                                                      *outs)  # fmt: skip


def adagrad_source():
    body = """
    T d = g + weight_decay * p;
    acc = acc + d * d;
    p = p - lr * d / (sqrt(acc) + eps);
    """
    return "minilm_adagrad", "T g, T lr, T weight_decay, T eps", "T p, T acc", body


@register("adagrad_step", "cuda")
def adagrad_step(p, g, acc, *, lr, weight_decay, eps):  # pragma: no cover - GPU only
    kernel(*adagrad_source())(g, lr, weight_decay, eps, p, acc)


# ---- on the CPU: the same update in place, one temporary instead of a dozen ----


@register("adam_step", "cpu")
def adam_step_in_place(p, g, m, v, vmax, *, lr, beta1, beta2, eps, l2, decay, step):
    """:func:`minilm.optim.adam.adam_step` with its intermediates written into
    one scratch array (each temporary of a 10M-parameter model is 40 MB, and
    a fresh one is a fresh set of page faults)."""
    xp = backend.get_array_module(p)
    if decay:
        p *= 1 - decay
    d = g
    if l2:
        d = xp.multiply(p, l2)
        d += g
    tmp = xp.empty_like(p)
    m *= beta1
    m += xp.multiply(d, 1 - beta1, out=tmp)
    v *= beta2
    xp.multiply(d, 1 - beta2, out=tmp)
    v += xp.multiply(tmp, d, out=tmp)
    if vmax is not None:
        xp.maximum(vmax, v, out=vmax)
    xp.sqrt(v if vmax is None else vmax, out=tmp)
    tmp /= math.sqrt(1 - beta2**step)
    tmp += eps
    xp.divide(m, tmp, out=tmp)
    tmp *= lr / (1 - beta1**step)
    p -= tmp
