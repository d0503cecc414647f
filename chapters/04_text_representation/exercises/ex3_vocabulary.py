"""Exercise 3 (4 points): a vocabulary with special and unknown tokens.

A vocabulary maps tokens to ids. minilm builds one from token counts:

- special tokens (``specials``, e.g. ``["<pad>", "<s>"]``) get the first ids, in
  the order given;
- then the unknown token ``unk`` (e.g. ``"<unk>"``), if there is one;
- then the words seen at least ``min_count`` times, most frequent first, ties in
  the order the words were first seen, at most ``max_size`` of them (``None``:
  no limit; the cut by ``max_size`` is made before the ``min_count`` filter).

Encoding maps each token to its id; a token not in the vocabulary becomes the
id of ``unk``, or, when ``unk`` is None, raises a ``KeyError`` (a silent wrong id
would be worse).

1. ``build_vocab(tokens, min_count=1, max_size=None, specials=(), unk=None)``:
   ``tokens`` a list of strings; return the list of vocabulary tokens in id order.
2. ``encode(tokens, itos, unk=None)``: ``itos`` is such a list; return the ids.

Checked against ``minilm.text.Vocab.from_counts`` and ``Vocab.encode`` on random
token lists: the vocabulary order (2 points), encoding with ``<unk>`` (1 point),
a ``KeyError`` without it (1 point).

    python -m minilm grade chapters/04_text_representation/exercises/ex3_vocabulary.py
"""

from collections import Counter  # noqa: F401 - for your solution


def build_vocab(tokens, min_count=1, max_size=None, specials=(), unk=None):
    """The vocabulary in id order: specials, unk, then the kept words by frequency."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write build_vocab")
    ### END YOUR SOLUTION


def encode(tokens, itos, unk=None):
    """Ids of ``tokens`` in ``itos``; unknown tokens become ``unk``'s id, or a KeyError."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write encode")
    ### END YOUR SOLUTION
