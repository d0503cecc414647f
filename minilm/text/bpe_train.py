"""Learning byte-pair-encoding merges, with incremental pair counts.

Training starts from bytes (ids 0..255) and repeatedly merges the most frequent
adjacent pair into a new id. Text is first cut into chunks (words with their
leading space, punctuation runs, whitespace runs); merges never cross a chunk
boundary, so the work is done once per *distinct* chunk, weighted by how often
it occurs.

The lesson is in :func:`learn_merges`. Re-counting every pair after each merge
costs a pass over the whole corpus per merge. But a merge of ``(a, b)`` only
changes the chunks that contain ``a b``: we keep, for each pair, the set of
chunks it occurs in, and after a merge we subtract the old pairs of just those
chunks and add their new pairs. The most frequent pair is kept at the top of a
heap, so finding it does not scan every pair either. Ties between equally
frequent pairs go to the smallest pair ``(a, b)``, so training is deterministic.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict

from ..progress import progress_bar


def merge_pair(symbols: list[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """Replace each non-overlapping occurrence of ``pair``, left to right, by ``new_id``.

    >>> merge_pair([1, 2, 2, 2, 3], (2, 2), 9)
    [1, 9, 2, 3]
    """
    a, b = pair
    out, i, n = [], 0, len(symbols)
    while i < n:
        if i + 1 < n and symbols[i] == a and symbols[i + 1] == b:
            out.append(new_id)
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return out


def best_pair(pair_counts: dict) -> tuple[int, int]:
    """The most frequent pair; among equals, the smallest ``(a, b)``."""
    return max(pair_counts, key=lambda p: (pair_counts[p], -p[0], -p[1]))


def learn_merges(chunk_counts: Counter, num_merges: int, first_id: int = 256,
                 verbose: bool = False) -> list[tuple[int, int]]:  # fmt: skip
    """Learn up to ``num_merges`` merges from ``{chunk bytes: count}``.

    Merge ``i`` makes id ``first_id + i``.

    Stops early when no pair is left (every chunk is a single token).

    >>> learn_merges(Counter({b"abab": 2, b"ab": 1}), 2)
    [(97, 98), (256, 256)]
    """
    words = [list(chunk) for chunk in chunk_counts]
    freqs = list(chunk_counts.values())
    pair_counts: dict[tuple[int, int], int] = defaultdict(int)
    where: dict[tuple[int, int], set[int]] = defaultdict(set)
    for i, w in enumerate(words):
        for p in zip(w, w[1:]):
            pair_counts[p] += freqs[i]
            where[p].add(i)
    # A max-heap of (-count, pair): the top is the best pair, ties to the smallest pair.
    # Entries go stale when a count changes; a fresh one is pushed and stale ones skipped.
    heap = [(-c, p) for p, c in pair_counts.items()]
    heapq.heapify(heap)

    merges = []
    for m in progress_bar(range(num_merges), desc="BPE merges", enabled=verbose):
        while heap and pair_counts.get(heap[0][1], 0) != -heap[0][0]:
            heapq.heappop(heap)
        if not heap:
            break
        pair = heapq.heappop(heap)[1]
        new_id = first_id + m
        touched = set()
        for i in where.pop(pair):
            old, f = words[i], freqs[i]
            new = merge_pair(old, pair, new_id)
            if len(new) == len(old):  # a stale entry: this chunk lost the pair earlier
                continue
            for p in zip(old, old[1:]):
                pair_counts[p] -= f
                if pair_counts[p] == 0:
                    del pair_counts[p]
            for p in zip(new, new[1:]):
                pair_counts[p] += f
                where[p].add(i)
            touched.update(zip(old, old[1:]), zip(new, new[1:]))
            words[i] = new
        for p in touched:
            if p in pair_counts:
                heapq.heappush(heap, (-pair_counts[p], p))
        merges.append(pair)
    return merges
