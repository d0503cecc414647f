"""Probes: code that runs beside a student's file and returns data about it.

Most exercises are functions of data, called straight across the boundary. An
exercise whose answer is a graph (a ``Function`` with a backward, a loss the
grader differentiates) or that takes an object (a fitted n-gram model, a
critic network) needs a few lines on the student's side: build the inputs,
call the student's code, take the gradients, and send back arrays. Those lines
are the probes; they return data, and the grader compares it with its own
reference, computed in the grader's process the same way.

A probe is ``probe(session, *args, **kwargs)``, where ``session.module`` is the
student's loaded module (:class:`minilm.sandbox.worker.Session`).
"""

from __future__ import annotations

__all__ = ["PROBES", "differentiate", "derivatives", "seeded_critic"]

PROBES = {}


def probe(fn):
    PROBES[fn.__name__] = fn
    return fn


def _leaf(a):
    from ..tensor import tensor

    return tensor(a, requires_grad=True)


def derivatives(fn, args, wrt=(0,), upstream=None, second=None, kwargs=None):
    """Call ``fn(*args, **kwargs)`` with ``args[i]`` for ``i in wrt`` as leaf
    Tensors, and differentiate ``(out * upstream).sum()`` (``out`` itself when
    ``upstream`` is None) with respect to them.

    With ``second`` (one direction per leaf), also the gradient of
    ``sum_i <grad_i, second_i>``: a Hessian-vector product, which is only
    right when the backward pass is itself differentiable.

    Returns a dict: ``value`` (the output's array), ``requires_grad``, ``grads``
    (one array per leaf, None where the output does not depend on it) and
    ``second``. The grader calls this on its reference in its own process and
    on the student's function through :func:`differentiate`.
    """
    import minilm

    from ..autograd import TensorBase
    from ..tensor import as_tensor

    args = list(args)
    leaves = []
    for i in wrt:
        args[i] = _leaf(args[i])
        leaves.append(args[i])
    out = fn(*args, **(kwargs or {}))
    if not isinstance(out, TensorBase):
        raise TypeError(f"expected a minilm Tensor as the result, got {type(out).__name__}")
    result = {"value": out.data, "requires_grad": bool(out.requires_grad), "grads": None,
              "second": None}  # fmt: skip
    if not out.requires_grad:
        return result
    total = out.sum() if upstream is None else (out * as_tensor(upstream)).sum()
    grads = minilm.grad(total, leaves, allow_unused=True, create_graph=second is not None)
    result["grads"] = [None if g is None else g.data for g in grads]
    if second is not None:
        terms = [(g * as_tensor(u)).sum() for g, u in zip(grads, second)
                 if g is not None and g.requires_grad]  # fmt: skip
        if terms:
            hvp = minilm.grad(sum(terms[1:], terms[0]), leaves, allow_unused=True)
            result["second"] = [None if h is None else h.data for h in hvp]
        else:
            result["second"] = [None] * len(leaves)
    return result


@probe
def differentiate(session, name, args, wrt=(0,), upstream=None, second=None, kwargs=None):
    """:func:`derivatives` of the student's ``name`` (a dotted name, e.g. ``Mul.apply``)."""
    return derivatives(session._resolve(name), args, wrt, upstream, second, kwargs)


def fitted_ngram(train, order, smoothing):
    """The n-gram model the chapter 01 perplexity exercise hands the student."""
    from ..ngram import NgramModel

    return NgramModel(order, smoothing).fit(train)


@probe
def ngram(session, name, train, order, smoothing, test):
    """The student's ``name(lm, test)`` for a model fitted here on ``train``."""
    lm = fitted_ngram(train, order, smoothing)
    return session._resolve(name)(lm, test)


def seeded_critic(seed: int, dim: int):
    """The small tanh critic of the gradient-penalty exercise, from its seed."""
    import minilm
    import minilm.nn as nn

    from ..backend import np

    minilm.manual_seed(seed)
    net = nn.Sequential(nn.Linear(dim, 4, dtype=np.float64), nn.Tanh(),
                        nn.Linear(4, 1, dtype=np.float64))  # fmt: skip
    return net


def penalty_and_grads(fn, seed, real, fake, eps, weight):
    """``fn(critic, real, fake, eps, weight)`` on the seeded critic, and its gradient
    in the critic's weights (the penalty is a loss the critic is trained on)."""
    import minilm

    from ..autograd import TensorBase
    from ..tensor import as_tensor

    net = seeded_critic(seed, real.shape[1])
    out = fn(lambda x: net(x).reshape(-1), as_tensor(real), as_tensor(fake), as_tensor(eps),
             weight)  # fmt: skip
    if not isinstance(out, TensorBase) or out.size != 1:
        raise TypeError("return the penalty as a one-number Tensor")
    grads = None
    if out.requires_grad:
        grads = [None if g is None else g.data
                 for g in minilm.grad(out, list(net.parameters()), allow_unused=True)]  # fmt: skip
    names = [name for name, _ in net.named_parameters()]
    return {"value": out.data, "requires_grad": bool(out.requires_grad), "grads": grads,
            "names": names}  # fmt: skip


@probe
def gradient_penalty(session, name, seed, real, fake, eps, weight):
    return penalty_and_grads(session._resolve(name), seed, real, fake, eps, weight)
