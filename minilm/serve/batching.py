"""Continuous batching in miniature: many generation requests, one model, one
forward pass per step for all of them.

A server that generates for one request at a time leaves the model idle while
requests queue. Batching them together amortizes each step's fixed cost (the
Python overhead, the weights read once per matmul instead of once per request),
but requests arrive at different times and want different lengths. Continuous
batching (Yu et al. 2022, "Orca"; vLLM, TGI) solves that at the level of single
steps: at every step the scheduler

1. admits waiting requests while fewer than ``max_batch`` are running, and
   *prefills* each one alone (its prompt through the model, making its KV cache
   and its first token);
2. advances every request that was already running by one token, all in one
   batched call (``next_logits_many``: each row continues its own cache at its
   own position; :meth:`minilm.models.GPT.next_logits_many`);
3. retires the ones that finished (a stop token, their token budget, or a
   client that went away), so their slots go to the next waiting request at the
   next step, not at the end of the longest request in the batch.

:func:`batch_step` is that step on plain data (graded in chapter 12's exercise);
:class:`BatchScheduler` runs it in a background thread for the HTTP server.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from ..backend import np

__all__ = ["Sequence", "batch_step", "BatchScheduler"]


def greedy(logits) -> int:
    return int(np.argmax(logits))


@dataclass(eq=False)
class Sequence:
    """One generation request as the scheduler sees it.

    ``choose(logits) -> token`` picks each next token (greedy by default; a
    server passes its sampler); ``on_token(seq, token, logits)`` is told of each
    one as it is made (a server streams it). ``finish_reason`` is set when it
    is done: ``"stop"`` (it made ``stop_token``), ``"length"`` (it made
    ``max_new_tokens``) or ``"cancelled"`` (someone set ``cancelled``).
    """

    prompt: list[int]
    max_new_tokens: int
    stop_token: int | None = None
    choose: Callable = greedy
    on_token: Callable | None = None
    state: object = None
    generated: list[int] = field(default_factory=list)
    finish_reason: str | None = None
    cancelled: bool = False
    error: BaseException | None = None

    def add(self, token: int, logits) -> None:
        """Record the next token; finish if it was the last."""
        self.generated.append(token)
        if token == self.stop_token:
            self.finish_reason = "stop"
        elif len(self.generated) >= self.max_new_tokens:
            self.finish_reason = "length"
        if self.on_token is not None:  # it sees finish_reason set on the last token
            self.on_token(self, token, logits)


def batch_step(
    running: list, waiting: deque, prefill: Callable, many: Callable, max_batch: int
) -> list:
    """One scheduler step; returns the sequences still running after it.

    ``prefill(seq) -> (logits, state)`` starts one sequence from its ``prompt``;
    ``many(tokens, states) -> (logits (n, V), states)`` continues n at once.
    Cancelled sequences leave first (their ``finish_reason`` becomes
    ``"cancelled"``), waiting ones are admitted first come first served while
    fewer than ``max_batch`` run (a cancelled one is dropped, never prefilled),
    each admitted one is prefilled alone and gets its first token, and the
    ones that were running before this step advance together in **one** call
    of ``many``, each fed its last token. (A sequence whose own ``choose`` or
    ``on_token`` raises fails alone, with ``finish_reason`` "error".)

    >>> table = np.log(np.array([[0.1, 0.9], [0.8, 0.2]]))  # a bigram model
    >>> step = lambda tokens, state: (table[tokens[-1]], None)
    >>> many = lambda tokens, states: (np.stack([table[t[-1]] for t in tokens]), states)
    >>> a, b = Sequence([0], max_new_tokens=3), Sequence([1], max_new_tokens=1)
    >>> waiting = deque([a, b])
    >>> running = batch_step([], waiting, lambda s: step(s.prompt, None), many, 1)
    >>> [s.generated for s in (a, b)], len(waiting)
    ([[1], []], 1)
    >>> running = batch_step(running, waiting, lambda s: step(s.prompt, None), many, 2)
    >>> [s.generated for s in (a, b)], [s.finish_reason for s in (a, b)], running == [a]
    ([[1, 0], [0]], [None, 'length'], True)
    """
    if max_batch < 1:
        raise ValueError(f"max_batch must be >= 1, got {max_batch}")
    for s in running:
        if s.cancelled:
            s.finish_reason = "cancelled"
    decoding = [s for s in running if s.finish_reason is None]
    admitted = []
    while waiting and len(decoding) + len(admitted) < max_batch:
        s = waiting.popleft()
        if s.cancelled:
            s.finish_reason = "cancelled"
            continue
        logits, s.state = prefill(s)
        _advance(s, logits)
        admitted.append(s)
    if decoding:
        logits, states = many([[s.generated[-1]] for s in decoding], [s.state for s in decoding])
        for s, row, state in zip(decoding, logits, states):
            s.state = state
            _advance(s, row)
    return [s for s in decoding + admitted if s.finish_reason is None]


def _advance(s: Sequence, logits) -> None:
    """Choose and record ``s``'s next token. If its own sampler or callback
    raises, ``s`` alone fails (``finish_reason`` "error"); the batch goes on."""
    try:
        s.add(int(s.choose(logits)), logits)
    except Exception as e:
        s.finish_reason, s.error = "error", e
        if s.on_token is not None:
            s.on_token(s, None, None)


class BatchScheduler:
    """:func:`batch_step` in a background thread, fed by :meth:`submit`.

    ``max_batch=1`` serves one request at a time (the baseline the serving
    benchmark compares against). ``max_waiting`` bounds the queue: past it
    :meth:`submit` raises :class:`QueueFull` (the server answers 503).
    ``observe(batch_size, waiting)`` is called after every step (the server's
    metrics). A step that raises fails the sequences it held (``finish_reason``
    ``"error"``) and the scheduler goes on.
    """

    class QueueFull(Exception):
        pass

    def __init__(
        self,
        prefill: Callable,
        many: Callable,
        max_batch: int = 16,
        max_waiting: int = 256,
        observe: Callable | None = None,
    ):
        if max_batch < 1:
            raise ValueError(f"max_batch must be >= 1, got {max_batch}")
        self.prefill, self.many, self.max_batch = prefill, many, max_batch
        self.max_waiting, self.observe = max_waiting, observe
        self.waiting: deque = deque()
        self.running: list = []
        self._wake = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._loop, name="minilm-batcher", daemon=True)
        self._thread.start()

    def submit(self, seq: Sequence) -> None:
        with self._wake:
            if len(self.waiting) >= self.max_waiting:
                raise BatchScheduler.QueueFull(f"{len(self.waiting)} requests are waiting")
            self.waiting.append(seq)
            self._wake.notify()

    def cancel(self, seq: Sequence) -> None:
        """Ask for ``seq`` to stop: a waiting one leaves the queue now, a running
        one at the next step (its slot freed)."""
        seq.cancelled = True
        with self._wake:
            try:
                self.waiting.remove(seq)
                seq.finish_reason = "cancelled"
            except ValueError:  # running, being admitted, or done already
                pass
            self._wake.notify()

    def close(self) -> None:
        with self._wake:
            self._stopped = True
            self._wake.notify()
        self._thread.join(timeout=10)

    @property
    def depth(self) -> int:
        return len(self.waiting)

    def _loop(self) -> None:
        while True:
            with self._wake:
                while not self._stopped and not self.waiting and not self.running:
                    self._wake.wait()
                if self._stopped:
                    break
            with self._wake:  # take only what this step can admit; the rest stay queued
                live = sum(not s.cancelled for s in self.running)
                waiting = deque()
                while self.waiting and len(waiting) < max(0, self.max_batch - live):
                    waiting.append(self.waiting.popleft())
            taken, before = list(waiting), list(self.running)
            try:
                self.running = batch_step(self.running, waiting, self.prefill, self.many,
                                          self.max_batch)  # fmt: skip
            except Exception as e:  # prefill or the batched step raised: fail what it held
                left = set(map(id, waiting))
                for s in before + [s for s in taken if id(s) not in left]:
                    if s.finish_reason is None:
                        s.finish_reason, s.error = "error", e
                        if s.on_token is not None:
                            s.on_token(s, None, None)
                self.running = []
            finally:
                with self._wake:  # any it could not admit go back in front, in order
                    self.waiting.extendleft(reversed(waiting))
            if self.observe is not None:
                self.observe(len(self.running), len(self.waiting))
        for s in self.running + list(self.waiting):
            s.finish_reason = s.finish_reason or "cancelled"
