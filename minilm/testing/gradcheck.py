"""Check analytic gradients against central finite differences.

The check contracts the function's output with a fixed random vector ``v``
(a random projection), so one scalar ``f(x) = sum(fn(x) * v)`` stands for the
whole output; ``df/dx`` from the engine must match ``(f(x + eps) - f(x - eps)) / 2 eps``
element by element. Run it in float64: float32 rounding swamps the differences.

Two ways to compare, chosen per input:

* element by element (the default, every input): ``2 * size`` evaluations of
  ``fn`` per input; names the worst element when it fails.
* along random directions (``directions=k``, as Chainer's ``check_backward``):
  for ``k`` random unit-norm directions ``d`` the analytic directional
  derivative ``sum(df/dx * d)`` (from the one backward pass above) must match
  ``(f(x + eps d) - f(x - eps d)) / 2 eps``: two evaluations per direction,
  whatever the size. ``elementwise_max_size=n`` keeps the element-wise check
  for inputs of at most ``n`` elements and checks bigger inputs along the
  directions only, so big inputs become affordable.

>>> import minilm
>>> x = minilm.tensor(minilm.backend.np.linspace(-1, 1, 100), requires_grad=True)
>>> gradcheck(lambda t: t.tanh(), [x], directions=3, elementwise_max_size=32)
True
"""

from __future__ import annotations

from .. import backend
from ..tensor import Tensor, grad, tensor

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
        term = (o * tensor(v)).sum()
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


def directional_derivative(f, x: Tensor, d, eps: float) -> float:
    """``(f(x + eps d) - f(x - eps d)) / 2 eps``; ``f()`` reads ``x.data``, perturbed in place."""
    old = x.data.copy()
    step = backend.to_device(d, x.device) * eps
    try:
        x.data[...] = old + step
        hi = f()
        x.data[...] = old - step
        lo = f()
    finally:
        x.data[...] = old
    return (hi - lo) / (2 * eps)


def _directions(shape, count, seed):
    """``count`` random directions of ``shape``, each of unit norm."""
    gen = backend.np.random.default_rng([seed, 7919])
    out = []
    for _ in range(count):
        d = gen.standard_normal(shape)
        out.append(d / max(float(backend.np.linalg.norm(d)), 1e-300))
    return out


def gradcheck(
    fn,
    inputs,
    eps=1e-6,
    atol=1e-5,
    rtol=1e-3,
    seed=0,
    name=None,
    *,
    directions=0,
    elementwise_max_size=None,
) -> bool:
    """Compare the engine's gradient of ``fn(*inputs)`` with finite differences.

    Checks every input with ``requires_grad``. Returns True, or raises
    :class:`GradcheckError` naming the input, the worst element (or the
    direction) and both values.

    directions:           also compare along this many random unit-norm
                          directions per input (2 evaluations each).
    elementwise_max_size: compare element by element only inputs of at most
                          this many elements (None: all of them); bigger ones
                          are compared along the directions only, so this
                          needs ``directions > 0``.

    >>> import minilm
    >>> x = minilm.tensor([0.5, 1.5], dtype="float64", requires_grad=True)
    >>> gradcheck(lambda t: (t * t).exp(), [x])
    True
    """
    if elementwise_max_size is not None and directions <= 0:
        raise ValueError("gradcheck: elementwise_max_size needs directions > 0")
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
        if not inputs[i].data.flags.c_contiguous:  # numerical_grad writes through a flat view
            inputs[i] = tensor(inputs[i].xp.ascontiguousarray(inputs[i].data), requires_grad=True)
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
    np = backend.np
    for i, x, a in zip(checked, wrt, analytic):
        a = np.zeros(x.shape) if a is None else a.numpy()
        if a.shape != tuple(x.shape):
            raise GradcheckError(
                f"{label}gradient of input {i} has shape {a.shape}, expected {tuple(x.shape)}"
            )
        if elementwise_max_size is None or x.size <= elementwise_max_size:
            n = numerical_grad(f, x, eps)
            err = np.abs(a - n) - (atol + rtol * np.abs(n))
            if err.size and err.max() > 0:
                j = tuple(int(k) for k in np.unravel_index(err.argmax(), err.shape))
                raise GradcheckError(
                    f"{label}gradient of input {i} (shape {x.shape}) is wrong at index {j}: "
                    f"analytic {a[j]!r}, finite differences {n[j]!r} "
                    f"(atol={atol}, rtol={rtol}, eps={eps})"
                )
        if x.size == 0:
            continue
        for k, d in enumerate(_directions(x.shape, directions, seed + 31 * i)):
            want = directional_derivative(f, x, d, eps)
            got = float((a * d).sum())
            if abs(got - want) > atol + rtol * abs(want):
                raise GradcheckError(
                    f"{label}gradient of input {i} (shape {x.shape}) is wrong along random "
                    f"direction {k}: analytic sum(grad * d) = {got!r}, finite differences "
                    f"(f(x + eps d) - f(x - eps d)) / 2 eps = {want!r} "
                    f"(atol={atol}, rtol={rtol}, eps={eps})"
                )
    return True


def gradgradcheck(
    fn,
    inputs,
    eps=1e-6,
    atol=1e-5,
    rtol=1e-3,
    seed=0,
    name=None,
    *,
    directions=0,
    elementwise_max_size=None,
) -> bool:
    """Check second derivatives: gradcheck applied to the gradient of ``fn``.

    The gradient ``g(x) = d/dx sum(fn(x) * v)`` is computed with
    ``create_graph=True``, so it is itself differentiable; its derivative (a
    Hessian-vector product) is compared with finite differences of ``g``:
    element by element, and/or along ``directions`` random directions (the
    directional derivative of the vector-Jacobian product), as in
    :func:`gradcheck`.

    >>> import minilm
    >>> x = minilm.tensor([0.5, 1.5], dtype="float64", requires_grad=True)
    >>> gradgradcheck(lambda t: t.tanh(), [x])
    True
    """
    inputs = list(inputs)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    vs = _projection(_outputs(fn(*inputs)), seed + 1)

    def zeros(x):
        return tensor(x.xp.zeros_like(x.data))

    def first_derivative(*xs):
        f = _project(_outputs(fn(*xs)), vs)
        wrt = [xs[i] for i in checked]
        if not f.requires_grad:
            return [zeros(x) for x in wrt]
        gs = grad(f, wrt, create_graph=True, allow_unused=True)
        return [zeros(x) if g is None else g for x, g in zip(wrt, gs)]

    return gradcheck(
        first_derivative,
        inputs,
        eps,
        atol,
        rtol,
        seed,
        name=f"{name}''" if name else "second derivative",
        directions=directions,
        elementwise_max_size=elementwise_max_size,
    )
