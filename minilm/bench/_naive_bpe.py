"""The slow references for BPE: training that re-counts every pair after every merge,
and encoding that rescans the whole chunk after every merge.

Same chunks, same tie-break and same merge rule as
:func:`minilm.text.bpe_train.learn_merges` and
:meth:`minilm.text.BPETokenizer.encode_chunk`, so each gives the same result as
its fast twin; only the bookkeeping differs. Used by the ``bpe`` benchmark and
the tests.
"""

from __future__ import annotations

from collections import Counter

from minilm.text.bpe_train import best_pair, merge_pair


def learn_merges_naive(chunk_counts: Counter, num_merges: int, first_id: int = 256) -> list:
    words = [list(chunk) for chunk in chunk_counts]
    freqs = list(chunk_counts.values())
    merges = []
    for m in range(num_merges):
        pair_counts: Counter = Counter()
        for w, f in zip(words, freqs):
            for p in zip(w, w[1:]):
                pair_counts[p] += f
        if not pair_counts:
            break
        pair = best_pair(pair_counts)
        words = [merge_pair(w, pair, first_id + m) for w in words]
        merges.append(pair)
    return merges


def encode_chunk_naive(merges, chunk: bytes) -> list[int]:
    """The quadratic loop: while some adjacent pair has a merge, take the
    earliest-learned such pair and merge all its non-overlapping occurrences, left
    to right. The same ids as ``BPETokenizer(merges).encode_chunk(chunk)``."""
    ranks = {tuple(p): i for i, p in enumerate(merges)}
    symbols = list(chunk)
    while len(symbols) > 1:
        pair = min(zip(symbols, symbols[1:]), key=lambda p: ranks.get(p, len(ranks)))
        if pair not in ranks:
            break
        symbols = merge_pair(symbols, pair, 256 + ranks[pair])
    return symbols
