"""Exercise 4 (5 points): BLEU from its parts (Papineni et al. 2002).

Sentences are lists of tokens (strings); each hypothesis has a list of one or
more references.

1. ``clipped_precision(hyp, refs, n) -> (matches, total)``: ``total`` is the
   number of n-grams in ``hyp`` (0 when it has fewer than n tokens);
   ``matches`` counts each distinct n-gram of ``hyp`` at most as often as it
   occurs in the one reference where it occurs most often. Two ints.
2. ``brevity_penalty(c, r) -> float``: 1 when the hypothesis length ``c`` is
   at least the reference length ``r``, else exp(1 - r / c); 0.0 when c is 0.
3. ``corpus_bleu(hypotheses, references, max_n=4) -> float`` in [0, 1]: add up
   the matches and totals of each order n = 1..max_n over the whole corpus, and
   the lengths: c is the total hypothesis length and r the sum, over sentences,
   of the reference length closest to the hypothesis's (the shorter one on a
   tie). BLEU = brevity_penalty(c, r) * exp(mean over n of log(matches_n /
   total_n)); it is 0.0 when any order has no matches. No smoothing.

Checked against minilm's BLEU: clipped unigram precision against one reference
(1 point), every order against several references (1), the brevity penalty
(1), corpus BLEU for max_n = 1..4 (2). You may not call
``minilm.metrics.corpus_bleu``.

    python -m minilm grade chapters/06_attention_seq2seq/exercises/ex4_bleu.py
"""

import math  # noqa: F401 - for your solution
from collections import Counter  # noqa: F401 - for your solution


def clipped_precision(hyp, refs, n):
    """(matches, total) of hyp's n-grams, clipped by the references."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write clipped_precision")
    ### END YOUR SOLUTION


def brevity_penalty(c, r):
    """BLEU's brevity penalty for hypothesis length c and reference length r."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write brevity_penalty")
    ### END YOUR SOLUTION


def corpus_bleu(hypotheses, references, max_n=4):
    """Corpus BLEU in [0, 1], no smoothing."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write corpus_bleu")
    ### END YOUR SOLUTION
