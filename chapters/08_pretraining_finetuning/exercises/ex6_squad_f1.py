"""Exercise 6 (5 points): SQuAD's answer normalization, exact match and F1.

An extractive QA system answers with a span of text; SQuAD scores it against
one or more gold answers written by people, after **normalizing** both, in
this order (the official v1.1 evaluation script's rule):

1. lowercase;
2. delete every ASCII punctuation character (Python's ``string.punctuation``:
   ``"don't"`` becomes ``"dont"``, ``"U.S."`` becomes ``"us"``);
3. replace each whole word ``a``, ``an`` or ``the`` by a space (``\\b(a|an|the)\\b``
   as a regular expression: "theatre" and "anna" keep theirs);
4. collapse every run of whitespace to one space and strip both ends.

**Exact match** is 1.0 when the normalized prediction equals some normalized
gold answer, else 0.0. **F1** splits the normalized texts on spaces and counts
the overlap as a bag (a token that occurs twice in both counts twice):
precision = overlap / prediction tokens, recall = overlap / gold tokens, and
F1 their harmonic mean, 0 when there is no overlap. Both take the **best** over
the gold answers.

Write ``normalize_answer(text) -> str`` and ``em_f1(prediction, golds) ->
(exact_match, f1)``, with ``golds`` a non-empty list of strings.

Checked against ``minilm.metrics`` (``normalize_answer``, ``exact_match``,
``token_f1``, which you may not call): the normalization on random texts full
of capitals, punctuation, articles and spaces (2 points), exact match (1
point), F1 with repeated tokens (1 point), the best over several golds (1 point).

    python -m minilm grade chapters/08_pretraining_finetuning/exercises/ex6_squad_f1.py
"""

import re  # noqa: F401 - for your solution
import string  # noqa: F401 - for your solution
from collections import Counter  # noqa: F401 - for your solution


def normalize_answer(text):
    """``text`` lowercased, without punctuation or articles, whitespace collapsed."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write normalize_answer")
    ### END YOUR SOLUTION


def em_f1(prediction, golds):
    """(exact match, F1) of ``prediction`` against the best of ``golds``."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write em_f1")
    ### END YOUR SOLUTION
