"""Exercise 1 (4 points): count bigrams, and turn the counts into MLE probabilities.

A bigram model predicts each token from the one before it. Its training is
counting: pad every sentence with a start token ``<s>`` and an end token
``</s>``,

    "emma"  ->  <s> e m m a </s>

and count how often each token follows each other token: here (<s>, e),
(e, m), (m, m), (m, a) and (a, </s>) once each. The end token is predicted
like any other (so the model learns where sentences stop); ``<s>`` never is.

1. ``bigram_counts(sentences, vocab)``: ``sentences`` is a list of sentences,
   each a sequence of tokens (a string is a sequence of characters; a list of
   words works the same way); ``vocab`` is a list of every token, ``"<s>"`` and
   ``"</s>"`` included. Return a float array ``counts`` of shape (V, V) with
   ``counts[i, j]`` = how often ``vocab[j]`` follows ``vocab[i]``. Bigrams never
   cross from one sentence into the next.
2. ``bigram_mle(counts)``: the maximum-likelihood estimate
   ``P(w | h) = c(h w) / c(h)``, with ``c(h)`` the total of row ``h``; a row
   whose context never occurred stays all zero (MLE says nothing there).

Checked against ``minilm.ngram.NgramModel(2, "mle")`` on random corpora of
characters and of words: the counts (2 points), the probabilities of every seen
context (1 point), every seen row sums to 1 and unseen rows are zero (1 point).

    python -m minilm grade chapters/01_language_models/exercises/ex1_bigram_counts.py
"""

from minilm.backend import np  # noqa: F401 - NumPy, for your solution


def bigram_counts(sentences, vocab):
    """(V, V) array: ``counts[i, j]`` = how often ``vocab[j]`` follows ``vocab[i]``."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write bigram_counts")
    ### END YOUR SOLUTION


def bigram_mle(counts):
    """Each row of ``counts`` divided by its total; all-zero rows stay zero."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write bigram_mle")
    ### END YOUR SOLUTION
