"""Counting every n-gram of orders 1..n at once, with NumPy, and looking them up.

An n-gram of token ids is named by an integer built from the shorter gram it
ends with: the k-gram ``(t1, ..., tk)`` has key ``id(t2..tk) * V + t1``, where
``id(t2..tk)`` is the row of the (k-1)-gram ``(t2, ..., tk)`` in its own table
(and the empty gram has id 0). So counting order k is one ``np.unique`` over
the keys at every position, and looking a gram up is one ``np.searchsorted``
per order, for a whole batch of grams at a time.
"""

from __future__ import annotations

from ..backend import np


class NgramCounts:
    """Counts of every k-gram (k = 1..order) in a list of id sequences.

    Grams never cross from one sequence into the next. Per order ``k``
    (``1 <= k <= order``) the tables, one row per distinct gram, sorted by key:

    - ``keys[k]``: the sort key; ``counts[k]``: how often the gram occurs.
    - ``context[k]``: row of its first k-1 tokens in the (k-1) table (0 for k=1).
    - ``suffix[k]``: row of its last k-1 tokens in the (k-1) table (0 for k=1).
    - ``last[k]``: its last token.
    - ``continuation[k]`` (k < order): for how many distinct tokens ``u`` the
      gram ``(u, *gram)`` occurs, Kneser-Ney's N1+(. gram).

    ``zero_last`` names a token (the sentence-start pad) whose grams ending in
    it are kept as rows, so they can be contexts, but get count 0: it is never
    predicted.

    The sequences come concatenated in ``tokens``, with their ``lengths``
    (:meth:`from_sequences` takes a list of them).

    >>> c = NgramCounts.from_sequences([[0, 1, 2, 1, 2]], order=2, vocab_size=3)
    >>> c.count([1, 2]), c.count([2]), c.count([2, 0])
    (2, 2, 0)
    """

    def __init__(self, tokens, lengths, order: int, vocab_size: int,
                 zero_last: int | None = None):  # fmt: skip
        if order < 1:
            raise ValueError(f"order must be >= 1, got {order}")
        self.order, self.V = order, vocab_size
        tok = np.asarray(tokens, dtype=np.int64)
        offset = positions_in_sequences(lengths)

        self.keys, self.counts, self.context, self.suffix, self.last = {}, {}, {}, {}, {}
        self.size = {0: 1}
        prev = np.zeros(len(tok), np.int64)  # id of the (k-1)-gram ending at each position
        for k in range(1, order + 1):
            ok = np.flatnonzero(offset >= k - 1)  # positions where a k-gram ends
            keys = prev[ok] * vocab_size + tok[ok - (k - 1)]
            uniq, first, inverse, counts = np.unique(
                keys, return_index=True, return_inverse=True, return_counts=True
            )
            pos = ok[first]  # where each distinct gram first ends
            self.keys[k], self.counts[k], self.last[k] = uniq, counts.astype(np.int64), tok[pos]
            self.context[k] = prev[pos - 1] if k > 1 else np.zeros(len(uniq), np.int64)
            self.suffix[k] = prev[pos] if k > 1 else np.zeros(len(uniq), np.int64)
            if zero_last is not None:
                self.counts[k][self.last[k] == zero_last] = 0
            self.size[k] = len(uniq)
            prev = np.full(len(tok), -1, np.int64)
            prev[ok] = inverse.reshape(-1)

        self.continuation = {}
        for k in range(1, order):
            seen = self.counts[k + 1] > 0
            self.continuation[k] = np.bincount(self.suffix[k + 1][seen], minlength=self.size[k])

    @classmethod
    def from_sequences(cls, sequences, order: int, vocab_size: int,
                       zero_last: int | None = None) -> NgramCounts:  # fmt: skip
        seqs = [np.asarray(s, dtype=np.int64) for s in sequences]
        tokens = np.concatenate(seqs) if seqs else np.zeros(0, np.int64)
        return cls(tokens, [len(s) for s in seqs], order, vocab_size, zero_last)

    def lookup(self, grams) -> list:
        """Rows of the trailing grams: ``out[k][i]`` is the row of ``grams[i, -k:]`` in the
        order-k table, or -1 if that gram never occurred (``out[0]`` is all 0)."""
        grams = np.asarray(grams, dtype=np.int64).reshape(len(grams), -1)  # (N, L)
        N, L = grams.shape
        ids = [np.zeros(N, np.int64)]
        for k in range(1, min(L, self.order) + 1):
            keys = ids[-1] * self.V + grams[:, L - k]
            table = self.keys[k]
            if len(table) == 0:
                ids.append(np.full(N, -1, np.int64))
                continue
            pos = np.minimum(np.searchsorted(table, keys), len(table) - 1)
            found = (ids[-1] >= 0) & (table[pos] == keys)
            ids.append(np.where(found, pos, -1))
        return ids

    def count(self, gram) -> int:
        """How often one gram (a sequence of ids, length <= order) occurred."""
        gram = list(gram)
        row = self.lookup(np.array([gram]))[len(gram)][0]
        return int(self.counts[len(gram)][row]) if row >= 0 else 0

    def per_context(self, k: int, values) -> np.ndarray:
        """Sum ``values`` (one per order-k row) over the rows of each context: ``(size[k-1],)``."""
        return np.bincount(self.context[k], weights=values, minlength=self.size[k - 1])


def positions_in_sequences(lengths) -> np.ndarray:
    """For concatenated sequences of these lengths, each token's index within its sequence.

    >>> positions_in_sequences([3, 1, 2]).tolist()
    [0, 1, 2, 0, 0, 1]
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.arange(int(lengths.sum())) - starts


def take(values, rows, default=0.0):
    """``values[rows]`` where ``rows >= 0``, else ``default`` (all of it for an empty table,
    as for a model fitted without boundaries on sentences shorter than its order).

    >>> take(np.array([5, 6]), np.array([1, -1])).tolist(), take(np.array([]), np.array([-1]))
    ([6.0, 0.0], array([0.]))
    """
    if len(values) == 0:
        return np.full(np.shape(rows), default)
    return np.where(rows >= 0, values[np.maximum(rows, 0)], default)
