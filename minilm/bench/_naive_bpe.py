"""The slow reference for BPE training: re-count every pair after every merge.

Same chunks, same tie-break and same merge rule as
:func:`minilm.text.bpe_train.learn_merges`, so both learn the same merges;
only the bookkeeping differs. Used by the ``bpe`` benchmark and the tests.
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
