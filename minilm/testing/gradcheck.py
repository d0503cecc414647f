"""Check analytic gradients against central finite differences.

The check contracts the function's output with a fixed random vector ``v``
(a random projection), so one scalar ``f(x) = sum(fn(x) * v)`` stands for the
whole output; ``df/dx`` from the engine must match ``(f(x + eps) - f(x - eps)) / 2 eps``
element by element. Run it in float64: float32 rounding swamps the differences.
"""

from __future__ import annotations

from .. import backend
from ..tensor import Tensor, grad

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck", "numerical_grad"]


class GradcheckError(AssertionError):
    """Raised when an analytic gradient disagrees with finite differences."""


def _outputs(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _projection(outs, seed):
    gen = backend.np.random.default_rng(seed)
    return [backend.to_device(gen.standard_normal(o.shape).astype(o.dtype), o.device) for o in outs]


def _project(outs, vs) -> Tensor:
    total = None
    for o, v in zip(outs, vs):
        term = (o * Tensor._wrap(v)).sum()
        total = term if total is None else total + term
    return total


def numerical_grad(f, x: Tensor, eps: float):
    """d f / d x by central differences; ``f()`` reads ``x.data``, which is perturbed in place."""
    flat = x.data.reshape(-1)  # a view: writing it perturbs x
    out = backend.np.zeros(x.size)
    for j in range(x.size):
        old = flat[j].item()
        flat[j] = old + eps
        hi = f()
        flat[j] = old - eps
        lo = f()
        flat[j] = old
        out[j] = (hi - lo) / (2 * eps)
    return out.reshape(x.shape)


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0, name=None) -> bool:
    """Compare the engine's gradient of ``fn(*inputs)`` with finite differences.

    Checks every input with ``requires_grad``. Returns True, or raises
    :class:`GradcheckError` naming the input, the worst element and both values.

    >>> import minilm
    >>> x = minilm.tensor([0.5, 1.5], dtype="float64", requires_grad=True)
    >>> gradcheck(lambda t: (t * t).exp(), [x])
    True
    """
    inputs = list(inputs)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True")
    for i in checked:
        if inputs[i].dtype != backend.np.float64:
            raise TypeError(
                f"gradcheck: input {i} is {inputs[i].dtype}; use float64 (float32 rounding "
                "is larger than the finite-difference error)"
            )
        if not inputs[i].data.flags.c_contiguous:
            inputs[i] = Tensor._wrap(inputs[i].xp.ascontiguousarray(inputs[i].data), True)
    vs = _projection(_outputs(fn(*inputs)), seed)

    f_scalar = _project(_outputs(fn(*inputs)), vs)
    wrt = [inputs[i] for i in checked]
    if f_scalar.requires_grad:
        analytic = grad(f_scalar, wrt, allow_unused=True)
    else:  # fn does not depend on its inputs through the graph
        analytic = [None] * len(wrt)

    def f():  # grad mode stays on: fn may itself differentiate (gradgradcheck)
        return float(_project(_outputs(fn(*inputs)), vs).item())

    label = f"{name}: " if name else ""
    for i, x, a in zip(checked, wrt, analytic):
        a = backend.np.zeros(x.shape) if a is None else a.numpy()
        n = numerical_grad(f, x, eps)
        if a.shape != n.shape:
            raise GradcheckError(
                f"{label}gradient of input {i} has shape {a.shape}, expected {n.shape}"
            )
        err = backend.np.abs(a - n) - (atol + rtol * backend.np.abs(n))
        if err.size and err.max() > 0:
            j = tuple(int(k) for k in backend.np.unravel_index(err.argmax(), err.shape))
            raise GradcheckError(
                f"{label}gradient of input {i} (shape {x.shape}) is wrong at index {j}: "
                f"analytic {a[j]!r}, finite differences {n[j]!r} "
                f"(atol={atol}, rtol={rtol}, eps={eps})"
            )
    return True


def gradgradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0, name=None) -> bool:
    """Check second derivatives: gradcheck applied to the gradient of ``fn``.

    The gradient ``g(x) = d/dx sum(fn(x) * v)`` is computed with
    ``create_graph=True``, so it is itself differentiable; its derivative (a
    Hessian-vector product) is compared with finite differences of ``g``.

    >>> import minilm
    >>> x = minilm.tensor([0.5, 1.5], dtype="float64", requires_grad=True)
    >>> gradgradcheck(lambda t: t.tanh(), [x])
    True
    """
    inputs = list(inputs)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    vs = _projection(_outputs(fn(*inputs)), seed + 1)

    def first_derivative(*xs):
        f = _project(_outputs(fn(*xs)), vs)
        wrt = [xs[i] for i in checked]
        if not f.requires_grad:
            return [Tensor._wrap(x.xp.zeros_like(x.data)) for x in wrt]
        gs = grad(f, wrt, create_graph=True, allow_unused=True)
        return [Tensor._wrap(x.xp.zeros_like(x.data)) if g is None else g for x, g in zip(wrt, gs)]

    return gradcheck(first_derivative, inputs, eps, atol, rtol, seed, name=name and f"{name}''")
