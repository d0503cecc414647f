"""Exercise 2 (4 points): one-hot vectors and bag-of-words.

Once text is token ids, the simplest vectors are:

- **one-hot**: token id i in a vocabulary of V tokens is the length-V vector
  with a 1 at position i and 0 elsewhere;
- **bag-of-words**: a document is the sum of its tokens' one-hot vectors, the
  count of each vocabulary token in it (word order is thrown away); with
  ``binary=True``, 1 if the token occurs at all, else 0.

1. ``one_hot(ids, V)``: ``ids`` a list of N ints in [0, V); return an (N, V)
   float array.
2. ``bag_of_words(docs, V, binary=False)``: ``docs`` a list of N documents, each
   a list of token ids (possibly empty); return an (N, V) float array.

Checked against ``minilm.functional.one_hot`` (summed over each document for the
bag of words) on random ids: one-hot (1 point), counts (2 points), binary
(1 point).

    python -m minilm grade chapters/04_text_representation/exercises/ex2_bag_of_words.py
"""

from minilm.backend import np  # noqa: F401 - NumPy, for your solution


def one_hot(ids, V):
    """(N, V) float array: row n is 1 at ids[n], 0 elsewhere."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write one_hot")
    ### END YOUR SOLUTION


def bag_of_words(docs, V, binary=False):
    """(N, V) float array: how often (or, if binary, whether) each id occurs in each doc."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write bag_of_words")
    ### END YOUR SOLUTION
