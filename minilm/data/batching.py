"""Batches for training: random LM windows, padded sequences with masks, labelled examples.

Every helper returns minilm Tensors on the requested device. Randomness comes
from a ``numpy.random.Generator`` you pass (or an int seed); without one,
minilm's own seeded generator (:func:`minilm.manual_seed`) is used.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from .. import backend
from ..backend import np
from ..tensor import tensor


def _generator(rng):
    if rng is None:
        return backend.rng("cpu")
    if isinstance(rng, (int, np.integer)):
        return np.random.default_rng(int(rng))
    return rng


def lm_batch(ids, batch_size: int, block_size: int, rng=None, device: str = "cpu"):
    """``batch_size`` random windows of a token stream: inputs and next-token targets.

    ``x[b] = ids[s_b : s_b + block_size]`` and ``y[b] = ids[s_b + 1 : s_b + block_size + 1]``
    for random starts ``s_b``; both are int64 Tensors of shape ``(batch_size, block_size)``.

    >>> x, y = lm_batch(list(range(100)), batch_size=2, block_size=4, rng=0)
    >>> x.shape, bool((y.data - x.data == 1).all())
    ((2, 4), True)
    """
    ids = np.asarray(ids, dtype=np.int64)
    if ids.ndim != 1:
        raise ValueError(f"lm_batch: ids must be 1-D, got shape {ids.shape}")
    if len(ids) < block_size + 1:
        raise ValueError(
            f"lm_batch: a stream of {len(ids)} tokens is too short for block_size={block_size} "
            f"(needs at least {block_size + 1})"
        )
    starts = _generator(rng).integers(0, len(ids) - block_size, size=batch_size)
    offsets = starts[:, None] + np.arange(block_size)  # (B, T)
    return tensor(ids[offsets], device=device), tensor(ids[offsets + 1], device=device)


def lm_batches(ids, batch_size: int, block_size: int, device: str = "cpu") -> Iterator:
    """Every non-overlapping window of a stream, in order: for evaluating a whole split.

    Covers positions ``0 .. k*block_size`` with ``k = (len(ids) - 1) // block_size``;
    the last batch may be smaller.

    >>> [x.shape for x, y in lm_batches(list(range(10)), batch_size=2, block_size=3)]
    [(2, 3), (1, 3)]
    """
    ids = np.asarray(ids, dtype=np.int64)
    k = (len(ids) - 1) // block_size
    x = ids[: k * block_size].reshape(k, block_size)  # (k, T)
    y = ids[1 : k * block_size + 1].reshape(k, block_size)
    for i in range(0, k, batch_size):
        j = slice(i, i + batch_size)
        yield tensor(x[j], device=device), tensor(y[j], device=device)


def pad_batch(seqs: Sequence[Sequence[int]], pad_id: int = 0, max_len: int | None = None,
              device: str = "cpu"):  # fmt: skip
    """Right-pad sequences of token ids to one length; return ``(ids, mask)``.

    ``ids`` is an int64 Tensor ``(B, T)`` with ``T`` the longest length (or
    ``max_len``, which also truncates); ``mask`` is a bool Tensor, True on real tokens.

    >>> ids, mask = pad_batch([[5, 6, 7], [8]], pad_id=0)
    >>> ids.data.tolist(), mask.data.tolist()
    ([[5, 6, 7], [8, 0, 0]], [[True, True, True], [True, False, False]])
    """
    if len(seqs) == 0:
        raise ValueError("pad_batch: got no sequences")
    lengths = np.array([len(s) for s in seqs])
    T = int(lengths.max()) if max_len is None else max_len
    ids = np.full((len(seqs), T), pad_id, dtype=np.int64)
    for i, s in enumerate(seqs):
        n = min(len(s), T)
        ids[i, :n] = np.asarray(s[:n], dtype=np.int64)
    mask = np.arange(T) < np.minimum(lengths, T)[:, None]  # (B, T)
    return tensor(ids, device=device), tensor(mask, device=device)


def classification_batches(inputs, labels, batch_size: int, shuffle: bool = True, rng=None,
                           pad_id: int = 0, device: str = "cpu"):  # fmt: skip
    """Iterate over labelled examples in batches (one pass, an epoch).

    ``inputs`` is either an array ``(N, ...)`` of features, giving batches
    ``(x, y)``, or a list of token-id sequences of varying length, giving
    ``(ids, mask, y)`` padded with :func:`pad_batch`. ``labels`` are ints.

    >>> seqs, labels = [[1, 2], [3], [4, 5, 6]], [0, 1, 1]
    >>> batches = list(classification_batches(seqs, labels, 2, shuffle=False))
    >>> [b[0].shape for b in batches], batches[1][2].data.tolist()
    ([(2, 2), (1, 3)], [1])
    """
    labels = np.asarray(labels, dtype=np.int64)
    if len(inputs) != len(labels):
        raise ValueError(f"classification_batches: {len(inputs)} inputs but {len(labels)} labels")
    order = _generator(rng).permutation(len(labels)) if shuffle else np.arange(len(labels))
    ragged = not hasattr(inputs, "shape")
    for i in range(0, len(order), batch_size):
        idx = order[i : i + batch_size]
        y = tensor(labels[idx], device=device)
        if ragged:
            ids, mask = pad_batch([inputs[j] for j in idx], pad_id=pad_id, device=device)
            yield ids, mask, y
        else:
            yield tensor(np.asarray(inputs)[idx], device=device), y
