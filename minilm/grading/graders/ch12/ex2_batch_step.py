"""Graders for ex2_batch_step, against ``minilm.serve.batching.batch_step``.

The student's ``batch_step`` is driven in its own process by
:func:`minilm.sandbox.probes.simulate_batching` (probe ``batching``): a toy
model whose logits depend on the last two tokens a sequence consumed, over a
schedule of arrivals and cancellations; the library's is driven here over the
same schedule, and the traces (what was prefilled, what each ``many`` call
held, what each request generated and why it finished) are compared. A
schedule is plain data made from one drawn seed.
"""

from hypothesis import strategies as st

from minilm.backend import np
from minilm.grading import check, prop
from minilm.sandbox.probes import simulate_batching
from minilm.serve.batching import batch_step

REIMPLEMENTS = ("minilm.serve.batching.batch_step",)

_seeds = st.integers(0, 2**32 - 1)


def schedule(seed, arrivals=False, stop=False, cancels=False):
    """A toy model and requests from ``seed``: ``requests`` holds
    ``(arrival step, prompt, max_new_tokens, cancelled at step or None)``."""
    rng = np.random.default_rng(seed)
    V = int(rng.integers(3, 7))
    n = int(rng.integers(1, 8))
    requests = []
    for _ in range(n):
        arrive = int(rng.integers(0, 6)) if arrivals else 0
        prompt = [int(t) for t in rng.integers(0, V, size=int(rng.integers(1, 4)))]
        cancel = arrive + int(rng.integers(0, 5)) if cancels and rng.random() < 0.4 else None
        requests.append((arrive, prompt, int(rng.integers(1, 7)), cancel))
    return {"table": rng.normal(size=(V + 1, V, V)), "max_batch": int(rng.integers(1, 5)),
            "stop_token": int(rng.integers(0, V)) if stop else None,
            "requests": requests}  # fmt: skip


def _traces(student, plan):
    got = student.probe("batching", "batch_step", plan)
    want = simulate_batching(batch_step, plan)
    assert isinstance(got, dict) and set(got) == set(want), "the simulation sent something else"
    return got, want


def _describe(plan):
    lines = [f"max_batch={plan['max_batch']}, stop_token={plan['stop_token']}, requests "
             "(arrives at step, prompt, max_new_tokens, cancelled at step):"]  # fmt: skip
    lines += [f"  {i}: {r}" for i, r in enumerate(plan["requests"])]
    return "\n".join(lines)


def _same_steps(got, want, plan, key, what):
    for t, (g, w) in enumerate(zip(got["steps"], want["steps"])):
        if key == "many":  # the order of a call's rows is free; which rows, not
            g_key, w_key = [sorted(c) for c in g[key]], [sorted(c) for c in w[key]]
        else:
            g_key, w_key = g[key], w[key]
        assert g_key == w_key, (
            f"step {t}: {what} {g_key}, expected {w_key} (requests by number)\n{_describe(plan)}"
        )
    assert len(got["steps"]) == len(want["steps"]), (
        f"the requests took {len(got['steps'])} steps to finish, expected "
        f"{len(want['steps'])}\n{_describe(plan)}"
    )


def _same_results(got, want, plan):
    for i, (g, w) in enumerate(zip(got["generated"], want["generated"])):
        assert g == w, f"request {i} generated {g}, expected {w}\n{_describe(plan)}"
    for i, (g, w) in enumerate(zip(got["finish_reason"], want["finish_reason"])):
        assert g == w, f"request {i} finished with {g!r}, expected {w!r}\n{_describe(plan)}"


@check(points=2)
@prop(seed=_seeds)
def admission(student, seed):
    """waiting requests are admitted first come first served, up to max_batch, each prefilled"""
    plan = schedule(seed)
    got, want = _traces(student, plan)
    _same_steps(got, want, plan, "prefilled", "prefilled")
    _same_steps(got, want, plan, "running", "still running")


@check(points=2)
@prop(seed=_seeds)
def batched_decoding(student, seed):
    """one many call per step, over exactly the sequences running before it"""
    plan = schedule(seed)
    got, want = _traces(student, plan)
    _same_steps(got, want, plan, "many", "the many calls held")
    _same_results(got, want, plan)


@check(points=1)
@prop(seed=_seeds)
def finishing(student, seed):
    """a sequence leaves on its stop token or at max_new_tokens"""
    plan = schedule(seed, stop=True)
    got, want = _traces(student, plan)
    _same_results(got, want, plan)
    _same_steps(got, want, plan, "running", "still running")


@check(points=1)
@prop(seed=_seeds)
def cancellations(student, seed):
    """cancelled sequences leave; a cancelled waiting one is never prefilled"""
    plan = schedule(seed, cancels=True)
    got, want = _traces(student, plan)
    _same_steps(got, want, plan, "prefilled", "prefilled")
    _same_results(got, want, plan)
    _same_steps(got, want, plan, "many", "the many calls held")


@check(points=1)
@prop(seed=_seeds)
def arrivals(student, seed):
    """requests that arrive over time, stop tokens and cancellations together"""
    plan = schedule(seed, arrivals=True, stop=True, cancels=True)
    got, want = _traces(student, plan)
    for key, what in (("prefilled", "prefilled"), ("many", "the many calls held"),
                      ("running", "still running")):  # fmt: skip
        _same_steps(got, want, plan, key, what)
    _same_results(got, want, plan)
