"""Exercise 2 (4 points): add-k (Laplace) smoothing.

Maximum likelihood gives every bigram it never saw probability 0, so one new
bigram in the test text makes its perplexity infinite. Add-k smoothing
pretends every bigram was seen k more times than it was:

    P(w | h) = (c(h w) + k) / (c(h) + k V)

where c(h) is the total count of context h and V the number of tokens that
can be predicted. k = 1 is Laplace smoothing. A context never seen gets the
uniform distribution 1/V.

Write ``add_k(counts, k)``: ``counts`` is a float array of shape (C, V), one
row per context, one column per token that can be predicted
(``counts[h, w] = c(h w)``); return the (C, V) array of probabilities.

Checked against ``minilm.ngram.NgramModel(2, AddK(k))`` on random corpora: with
k = 1 (1 point), with random k in [0.01, 3] (2 points), and every row is a
distribution (1 point).

    python -m minilm grade chapters/01_language_models/exercises/ex2_add_k.py
"""

from minilm.backend import np  # noqa: F401 - NumPy, for your solution


def add_k(counts, k=1.0):
    """(C, V) add-k probabilities from (C, V) counts (rows: contexts)."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write add_k")
    ### END YOUR SOLUTION
