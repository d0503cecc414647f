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


def replay_bucket(cls, rate, burst, start, events):
    """Chapter 12's token bucket ``cls(rate, burst, now=start)`` through ``events``,
    each ``("take" | "retry", now, cost)``: what ``take`` (a bool) or
    ``retry_after`` (seconds) answered, in order."""
    bucket = cls(rate, burst, now=start)
    replies = []
    for op, now, cost in events:
        if op == "take":
            took = bucket.take(cost, now=now)
            if not isinstance(took, bool):
                raise TypeError(f"take must return True or False, got {took!r}")
            replies.append(took)
        else:
            wait = bucket.retry_after(cost, now=now)
            if isinstance(wait, bool) or not isinstance(wait, (int, float)):
                raise TypeError(f"retry_after must return a number of seconds, got {wait!r}")
            replies.append(float(wait))
    return replies


@probe
def token_bucket(session, name, rate, burst, start, events):
    """:func:`replay_bucket` on the student's class ``name``, counted as the
    student's code (a class imported from minilm is refused, not replayed)."""
    cls = session._resolve(name)
    session.depth += 1
    try:
        return replay_bucket(cls, rate, burst, start, events)
    finally:
        session.depth -= 1


def simulate_batching(batch_step, schedule):
    """Chapter 12's ``batch_step`` driven over ``schedule`` (plain data, see
    ``minilm/grading/graders/ch12/ex2_batch_step.py``) with a toy model: the
    next token's logits are ``table[h[-2], h[-1]]`` for the tokens ``h`` the
    sequence has consumed (row ``V`` stands for "no token before"), so a state
    or token given to the wrong row changes what comes out.

    Returns plain data: each request's ``generated`` and ``finish_reason``, and
    per step the requests prefilled (in order), the requests of each ``many``
    call, and the requests still running."""
    from collections import deque

    from ..backend import np
    from ..serve.batching import Sequence

    table = np.asarray(schedule["table"], dtype=float)  # (V + 1, V, V)
    V = table.shape[1]
    log = {"prefilled": [], "many": []}
    seqs = [Sequence(list(prompt), max_new, stop_token=schedule["stop_token"])
            for _, prompt, max_new, _ in schedule["requests"]]  # fmt: skip

    def number(seq) -> int:
        for i, s in enumerate(seqs):
            if s is seq:
                return i
        raise TypeError(f"prefill takes one of the waiting sequences, got {seq!r}")

    def logits_after(history):
        return table[history[-2] if len(history) > 1 else V, history[-1]]

    def prefill(seq):
        state = (number(seq), tuple(int(t) for t in seq.prompt))  # (request, tokens consumed)
        log["prefilled"].append(state[0])
        return logits_after(state[1]), state

    def many(tokens, states):
        if len(tokens) != len(states):
            raise ValueError(f"many got {len(tokens)} token lists but {len(states)} states")
        rows, new = [], []
        for t, state in zip(tokens, states):
            if not isinstance(t, (list, tuple)) or len(t) != 1:
                raise TypeError(f"many: feed each sequence its last token as a list [token], "
                                f"got {t!r}")  # fmt: skip
            if not (isinstance(state, tuple) and len(state) == 2):
                raise TypeError(f"many: a state that prefill or many did not make: {state!r}")
            history = state[1] + (int(t[0]),)
            rows.append(logits_after(history))
            new.append((state[0], history))
        log["many"].append([s[0] for s in new])
        return np.stack(rows), new

    running, waiting, steps, known = [], deque(), [], set(map(id, seqs))
    pending = sorted(range(len(seqs)), key=lambda i: schedule["requests"][i][0])
    limit = 10 + sum(r[0] + r[2] + 1 for r in schedule["requests"])
    for t in range(limit):
        while pending and schedule["requests"][pending[0]][0] <= t:
            waiting.append(seqs[pending.pop(0)])
        for i, (_, _, _, cancel_at) in enumerate(schedule["requests"]):
            if cancel_at == t:
                seqs[i].cancelled = True
        if not (running or waiting or pending):
            break
        log["prefilled"], log["many"] = [], []
        running = batch_step(running, waiting, prefill, many, schedule["max_batch"])
        if not isinstance(running, list) or any(id(s) not in known for s in running):
            raise TypeError("batch_step must return a list of the sequences still running")
        steps.append({"prefilled": log["prefilled"], "many": log["many"],
                      "running": sorted(map(number, running))})  # fmt: skip
    return {"generated": [list(map(int, s.generated)) for s in seqs],
            "finish_reason": [s.finish_reason for s in seqs], "steps": steps}  # fmt: skip


@probe
def batching(session, name, schedule):
    """:func:`simulate_batching` on the student's ``name``, counted as the student's code."""
    fn = session._resolve(name)
    session.depth += 1
    try:
        return simulate_batching(fn, schedule)
    finally:
        session.depth -= 1


def replay_calls(cls, init, calls):
    """``cls(*init)``, then each ``(name, args)`` of ``calls`` in order: the
    method ``name`` called with ``args``, or the attribute read when ``args`` is
    None. Returns what each answered (chapter 12's drift meter and rate limiter)."""
    obj = cls(*init)
    out = []
    for name, args in calls:
        if name.startswith("_") and name != "__len__":
            raise AttributeError(f"{name!r} is not part of the exercise")
        value = getattr(obj, name) if args is None else getattr(obj, name)(*args)
        if isinstance(value, bool) or not isinstance(value, (int, float, type(None))):
            raise TypeError(f"{name} must give a number, got {value!r}")
        out.append(value)
    return out


@probe
def replay(session, name, init, calls):
    """:func:`replay_calls` on the student's class ``name``, counted as the student's code."""
    cls = session._resolve(name)
    session.depth += 1
    try:
        return replay_calls(cls, init, calls)
    finally:
        session.depth -= 1
