"""Exercise 1 (4 points): byte-pair encoding, one merge at a time.

BPE training starts from bytes and repeatedly merges the most frequent pair of
adjacent symbols into a new symbol. The text is first cut into chunks (words
with their leading space, punctuation runs, whitespace runs); merges never cross
a chunk, so each *distinct* chunk is stored once with its frequency:

    words = [[32, 108, 111, 119], [108, 111, 119]]   # b" low", b"low" as byte ids
    freqs = [5, 2]                                   # " low" occurs 5 times, "low" twice

1. ``count_pairs(words, freqs)``: a dict mapping each adjacent pair ``(a, b)`` to
   its total count, each occurrence in a chunk weighted by the chunk's frequency
   (above: (108, 111) -> 7, (32, 108) -> 5, (111, 119) -> 7).
2. ``merge(symbols, pair, new_id)``: a new list in which every occurrence of
   ``pair``, scanning left to right and never overlapping, is replaced by
   ``new_id`` (merging (2, 2) in [2, 2, 2] gives [new, 2]).
3. ``bpe_step(words, freqs, new_id)``: pick the most frequent pair (among equal
   counts, the smallest pair ``(a, b)``, so training is deterministic), merge it
   in every chunk, and return ``(pair, new_words)``; return None when no chunk
   has two symbols left. Do not modify ``words``.

Checked against ``minilm.text.bpe_train``: ``merge`` against ``merge_pair`` on
random symbol lists (1 point), ``count_pairs`` against a direct count (1 point),
and a dozen merges in a row with your ``bpe_step`` against ``learn_merges`` on
random texts (2 points).

    python -m minilm grade chapters/04_text_representation/exercises/ex1_bpe_merge.py
"""


def count_pairs(words, freqs):
    """{(a, b): total count of the adjacent pair, weighted by chunk frequency}."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write count_pairs")
    ### END YOUR SOLUTION


def merge(symbols, pair, new_id):
    """``symbols`` with each non-overlapping occurrence of ``pair`` replaced by ``new_id``."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write merge")
    ### END YOUR SOLUTION


def bpe_step(words, freqs, new_id):
    """(the merged pair, the chunks after merging it), or None when nothing is left to merge."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write bpe_step")
    ### END YOUR SOLUTION
