"""The continuous-batching scheduler on a toy model: every sequence gets the
tokens it would get alone, whatever the arrivals, batch limit and cancellations."""

from __future__ import annotations

import threading
import time
from collections import deque

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minilm.backend import np
from minilm.serve.batching import BatchScheduler, Sequence, batch_step

V = 7
TABLE = np.log(np.random.default_rng(0).dirichlet(np.ones(V), size=(V, V)))  # a trigram table


def step(tokens, state):
    ids = (state or []) + list(tokens)
    return TABLE[ids[-2] if len(ids) > 1 else 0, ids[-1]], ids


class Recorder:
    """``prefill`` and ``many`` of the toy model, recording every call."""

    def __init__(self):
        self.prefilled, self.batches = [], []

    def prefill(self, seq):
        self.prefilled.append(seq)
        return step(seq.prompt, None)

    def many(self, tokens, states):
        self.batches.append(len(tokens))
        out = [step(t, s) for t, s in zip(tokens, states)]
        return np.stack([o[0] for o in out]), [o[1] for o in out]


def sampler(seed):
    rng = np.random.default_rng(seed)
    return lambda logits: int(rng.choice(V, p=np.exp(logits) / np.exp(logits).sum()))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 5))
def test_every_sequence_gets_what_it_would_get_alone(seed, max_batch):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 12))
    seqs = [Sequence([int(t) for t in rng.integers(0, V, size=rng.integers(1, 4))],
                     int(rng.integers(1, 9)), stop_token=int(rng.integers(0, V)),
                     choose=sampler(i))  # fmt: skip
            for i in range(n)]  # fmt: skip
    arrivals = sorted(int(a) for a in rng.integers(0, 10, size=n))
    cancel_at = {i: int(rng.integers(0, 12)) for i in range(n) if rng.random() < 0.2}
    rec, waiting, running, t = Recorder(), deque(), [], 0
    while t < 200 and (running or waiting or any(a >= t for a in arrivals)):
        waiting.extend(s for s, a in zip(seqs, arrivals) if a == t)
        for i, when in cancel_at.items():
            if when == t:
                seqs[i].cancelled = True
        before = [s for s in running if not s.cancelled]
        batches = len(rec.batches)
        running = batch_step(running, waiting, rec.prefill, rec.many, max_batch)
        assert len(running) <= max_batch
        if before:  # one batched call, over exactly the ones already running
            assert rec.batches[batches:] == [len(before)]
        else:
            assert len(rec.batches) == batches
        t += 1
    for i, s in enumerate(seqs):
        if s.finish_reason == "cancelled":
            assert i in cancel_at
            continue
        want = _alone(s.prompt, s.max_new_tokens, s.stop_token, i)
        assert s.generated == want, (i, s.generated, want)
        assert s.finish_reason == ("stop" if want[-1] == s.stop_token else "length")
    # a sequence cancelled while it waited was never prefilled
    for s in seqs:
        if s.finish_reason == "cancelled" and not s.generated:
            assert s not in rec.prefilled


def _alone(prompt, n, stop, seed):
    choose, out, state, new = sampler(seed), [], None, list(prompt)
    for _ in range(n):
        logits, state = step(new, state)
        out.append(choose(logits))
        new = [out[-1]]
        if out[-1] == stop:
            break
    return out


def test_admission_is_first_come_first_served_and_cancelled_waiters_are_dropped():
    rec = Recorder()
    a, b, c = (Sequence([1], 5) for _ in range(3))
    b.cancelled = True
    waiting = deque([a, b, c])
    running = batch_step([], waiting, rec.prefill, rec.many, max_batch=2)
    assert running == [a, c] and rec.prefilled == [a, c] and b.finish_reason == "cancelled"
    assert rec.batches == []  # nobody was running before: prefills only
    with pytest.raises(ValueError, match="max_batch"):
        batch_step([], deque(), rec.prefill, rec.many, max_batch=0)


def test_the_scheduler_thread_serves_concurrent_submissions_and_survives_a_model_error():
    rec = Recorder()
    fail = {"now": False}

    def many(tokens, states):
        if fail["now"]:
            raise RuntimeError("boom")
        return rec.many(tokens, states)

    done = threading.Semaphore(0)
    on_token = lambda s, tok, logits: s.finish_reason and done.release()
    sched = BatchScheduler(rec.prefill, many, max_batch=3, max_waiting=50)
    try:
        seqs = [Sequence([i % V], 6, choose=sampler(i), on_token=on_token) for i in range(10)]
        for s in seqs:
            sched.submit(s)
        for _ in seqs:
            assert done.acquire(timeout=10)
        for i, s in enumerate(seqs):
            assert s.generated == _alone(s.prompt, 6, None, i)
        assert max(rec.batches) <= 3
        fail["now"] = True
        bad = Sequence([1], 6, on_token=on_token)
        sched.submit(bad)
        assert done.acquire(timeout=10)
        assert bad.finish_reason == "error" and isinstance(bad.error, RuntimeError)
        fail["now"] = False
        good = Sequence([2], 3, choose=sampler(0), on_token=on_token)
        sched.submit(good)
        assert done.acquire(timeout=10) and good.generated == _alone([2], 3, None, 0)
    finally:
        sched.close()


def test_a_full_queue_refuses_new_work():
    gate = threading.Event()

    def slow_prefill(seq):
        gate.wait(10)
        return step(seq.prompt, None)

    sched = BatchScheduler(slow_prefill, Recorder().many, max_batch=1, max_waiting=2)
    try:
        sched.submit(Sequence([1], 1))
        time.sleep(0.2)  # the first is being prefilled: two more fill the queue
        sched.submit(Sequence([1], 1))
        sched.submit(Sequence([1], 1))
        with pytest.raises(BatchScheduler.QueueFull):
            sched.submit(Sequence([1], 1))
    finally:
        gate.set()
        sched.close()


def test_a_sequence_whose_sampler_raises_fails_alone():
    rec = Recorder()

    def broken(logits):
        raise ValueError("bad sampler")

    told = []
    a = Sequence([1], 4, choose=sampler(0))
    b = Sequence([2], 4, choose=broken, on_token=lambda s, t, lg: told.append((s, t)))
    c = Sequence([3], 4, choose=sampler(2))
    running = batch_step([], deque([a, b, c]), rec.prefill, rec.many, max_batch=3)
    assert running == [a, c] and b.finish_reason == "error" and told == [(b, None)]
    while running:
        running = batch_step(running, deque(), rec.prefill, rec.many, max_batch=3)
    assert a.generated == _alone([1], 4, None, 0) and c.generated == _alone([3], 4, None, 2)


def test_the_queue_bound_holds_while_steps_run():
    """max_waiting counts every request not yet admitted, during a step too."""
    slow = threading.Event()

    def slow_many(tokens, states):
        slow.wait(0.05)
        return Recorder().many(tokens, states)

    sched = BatchScheduler(lambda s: step(s.prompt, None), slow_many, max_batch=1, max_waiting=4)
    accepted = refused = 0
    try:
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            try:
                sched.submit(Sequence([1], 50))
                accepted += 1
            except BatchScheduler.QueueFull:
                refused += 1
            assert sched.depth <= 4
            time.sleep(0.002)
        # one running (50 steps of 50 ms: it outlives the second) and 4 waiting at most
        assert accepted <= 5 and refused > 0, (accepted, refused)
    finally:
        for s in list(sched.waiting) + sched.running:
            sched.cancel(s)
        sched.close()


def test_a_request_cancelled_while_waiting_leaves_the_queue_at_once():
    gate = threading.Event()

    def slow_prefill(seq):
        gate.wait(10)
        return step(seq.prompt, None)

    sched = BatchScheduler(slow_prefill, Recorder().many, max_batch=1, max_waiting=2)
    try:
        sched.submit(Sequence([1], 1))
        time.sleep(0.2)  # the first is being prefilled; the next two wait
        waiting = [Sequence([1], 1), Sequence([1], 1)]
        for s in waiting:
            sched.submit(s)
        for s in waiting:
            sched.cancel(s)
        assert sched.depth == 0 and all(s.finish_reason == "cancelled" for s in waiting)
        sched.submit(Sequence([1], 1))  # the queue has room again
    finally:
        gate.set()
        sched.close()
