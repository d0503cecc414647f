"""Exercise 2 (7 points): one step of continuous batching.

A server holds the requests it is generating for in ``running`` (a list) and
the ones that arrived since in ``waiting`` (a ``collections.deque``, oldest
first). Each is a ``Sequence`` (imported below from minilm.serve.batching):
its ``prompt``, the tokens it has ``generated`` so far, its model ``state``,
``cancelled`` (set when the client went away), ``finish_reason`` (None while
it runs), and ``seq.add(token, logits)``, which records a token and sets
``finish_reason`` to "stop" (the stop token) or "length" (the budget) when it
was the last. ``seq.choose(logits)`` picks the next token.

The model is two functions:

- ``prefill(seq) -> (logits, state)``: one sequence's ``prompt`` through the
  model: the logits of its first new token and its state (its KV cache);
- ``many(tokens, states) -> (logits (n, V), states)``: n sequences continued
  by one token each, in **one** batched call: ``tokens`` is a list of n
  one-token lists (``[[last token of seq 1], [last token of seq 2], ...]``),
  ``states`` their n states; it returns n rows of logits and n new states.

Write ``batch_step(running, waiting, prefill, many, max_batch)``, returning
the list of sequences still running after this step:

1. a running sequence that was ``cancelled`` leaves: its ``finish_reason``
   becomes "cancelled";
2. waiting sequences are admitted first come first served (``popleft``) while
   fewer than ``max_batch`` are running; one that was cancelled while it
   waited is dropped ("cancelled"), never prefilled; each admitted one is
   prefilled alone (its state saved in ``seq.state``) and gets its first
   token: ``seq.add(seq.choose(logits), logits)``;
3. the sequences that were running before this step (and not cancelled)
   advance together in one ``many`` call, each fed its last token; each gets
   its new state and its next token (no call when none were running);
4. the sequences that finished (in 2 or 3) are not returned.

Checked against ``minilm.serve.batching.batch_step``, driven in your process
by a toy model over schedules of arrivals and cancellations: admission
(2 points), the batched decoding step (2 points), finishing on the stop token
or the length (1 point), cancellations (1 point), requests arriving over time
(1 point).

    python -m minilm grade chapters/12_deployment_and_safety/exercises/ex2_batch_step.py
"""

from minilm.serve.batching import Sequence  # noqa: F401 - the requests batch_step moves


def batch_step(running, waiting, prefill, many, max_batch):
    """One scheduler step; returns the sequences still running after it."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write batch_step")
    ### END YOUR SOLUTION
