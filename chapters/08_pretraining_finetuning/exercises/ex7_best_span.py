"""Exercise 7 (5 points): the best answer span under a length limit.

An extractive QA model reads ``[CLS] question [SEP] context [SEP]`` and gives
every token position ``t`` two scores: ``start_logits[t]``, how likely the
answer starts there, and ``end_logits[t]``, how likely it ends there. The
answer is the span ``(start, end)`` with the highest

    score = start_logits[start] + end_logits[end]

among the spans that make sense:

- ``start <= end``, and at most ``max_answer_len`` tokens long:
  ``end <= start + max_answer_len - 1``;
- both ends at positions where ``allowed[t]`` is True (the context's tokens:
  an answer never starts in the question or on ``[SEP]``).

Ties: the **shorter** span wins, and among spans of one length the one that
starts **earlier**.

Trying all T^2 pairs works but is wasteful: for each length there is one
vector of scores, ``start_logits[i] + end_logits[i + k]`` for every start
``i``, so ``max_answer_len`` vector sums suffice.

Write ``best_span(start_logits, end_logits, max_answer_len, allowed)``: NumPy
float arrays of shape (T,), an int >= 1, and a bool array (T,) with at least one
True. Return ``(start, end)`` as Python ints.

Checked against ``minilm.qa.best_span`` (which you may not call) on random
logits: the best span with start <= end (2 points), the length limit (1 point),
the allowed positions (1 point), the tie rule (1 point).

    python -m minilm grade chapters/08_pretraining_finetuning/exercises/ex7_best_span.py
"""

from minilm.backend import np  # noqa: F401 - NumPy, for your solution


def best_span(start_logits, end_logits, max_answer_len, allowed):
    """(start, end) of the highest-scoring allowed span of at most max_answer_len tokens."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write best_span")
    ### END YOUR SOLUTION
