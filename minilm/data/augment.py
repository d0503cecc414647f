"""Text data augmentation: new training sentences made by small random edits.

Two of the four edits of EDA (Wei & Zou 2019, "EDA: Easy Data Augmentation
Techniques for Boosting Performance on Text Classification Tasks"), on a list of
tokens (words, or token ids):

- :func:`random_deletion`: drop each token with probability ``p`` (one is always
  kept, so a sentence never becomes empty);
- :func:`random_swap`: ``n`` times, swap the tokens at two distinct random positions.

The bet is that a sentence with a word missing or two words trading places still
has the label of the original, so the copies are more data for free. That is
often true for sentiment and false for tasks where one word decides the label
("not good"). Whether it helps is measured, not assumed: see
:mod:`minilm.recipes.augment_sentiment`. Note that a bag-of-words classifier cannot
see a swap at all (it counts words, not their order).

Every function takes ``rng``, a ``numpy.random.Generator`` (or an int seed for
one), and draws only from it: the same generator state gives the same edit.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..backend import np

__all__ = ["random_deletion", "random_swap", "augment", "augment_dataset"]


def _generator(rng, who: str):
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(f"{who}: rng must be a numpy.random.Generator or an int seed, got "
                    f"{type(rng).__name__} (use numpy.random.default_rng(seed))")  # fmt: skip


def random_deletion(tokens: Sequence, p: float, rng) -> list:
    """``tokens`` with each one dropped, independently, with probability ``p``.

    When every token would go, one of them (chosen uniformly) is kept instead, so
    a non-empty input gives a non-empty output; an empty input gives ``[]``. The
    kept tokens stay in their order. ``p=0`` returns a copy of ``tokens``.

    >>> random_deletion("the food was really great".split(), 0.3, rng=1)
    ['the', 'food', 'really', 'great']
    >>> random_deletion(["great"], 0.9, rng=0)
    ['great']
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"random_deletion: p is a probability in [0, 1], got {p}")
    gen = _generator(rng, "random_deletion")
    tokens = list(tokens)
    if not tokens:
        return []
    keep = gen.random(len(tokens)) >= p
    if not keep.any():
        return [tokens[int(gen.integers(len(tokens)))]]
    return [t for t, k in zip(tokens, keep) if k]


def random_swap(tokens: Sequence, n: int, rng) -> list:
    """``tokens`` after ``n`` swaps, each of the tokens at two distinct positions
    drawn uniformly. The same tokens come out (as a multiset), in a new order.

    Fewer than two tokens: nothing to swap, a copy comes back. Two swaps can undo
    each other, and swapping two equal tokens changes nothing, so the output can
    equal the input.

    >>> random_swap("the food was really great".split(), 1, rng=0)
    ['the', 'food', 'was', 'great', 'really']
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"random_swap: n is the number of swaps, an int >= 0, got {n!r}")
    gen = _generator(rng, "random_swap")
    out = list(tokens)
    if len(out) < 2:
        return out
    for _ in range(int(n)):
        i, j = gen.choice(len(out), size=2, replace=False)
        out[i], out[j] = out[j], out[i]
    return out


def augment(tokens: Sequence, rng, p_delete: float = 0.0, n_swap: int = 0) -> list:
    """:func:`random_deletion` with ``p_delete``, then :func:`random_swap` with ``n_swap``.

    >>> augment("a b c d e".split(), rng=1, p_delete=0.2, n_swap=1)
    ['a', 'd', 'b', 'e']
    """
    gen = _generator(rng, "augment")
    return random_swap(random_deletion(tokens, p_delete, gen), n_swap, gen)


def augment_dataset(sequences: Sequence[Sequence], labels: Sequence, copies: int, rng,
                    p_delete: float = 0.0, n_swap: int = 0) -> tuple[list[list], list]:  # fmt: skip
    """The originals followed by ``copies`` rounds of augmented copies (:func:`augment`),
    each copy keeping its original's label.

    Returns ``(sequences, labels)`` of length ``len(sequences) * (1 + copies)``: the
    originals in order, then the first copy of each in order, and so on.

    >>> seqs, ys = augment_dataset([["so", "good"], ["bad"]], [1, 0], 1, rng=0, n_swap=1)
    >>> seqs, ys
    ([['so', 'good'], ['bad'], ['good', 'so'], ['bad']], [1, 0, 1, 0])
    """
    if len(sequences) != len(labels):
        raise ValueError(f"augment_dataset: {len(sequences)} sequences but {len(labels)} labels")
    if isinstance(copies, bool) or not isinstance(copies, (int, np.integer)) or copies < 0:
        raise ValueError(f"augment_dataset: copies is an int >= 0, got {copies!r}")
    gen = _generator(rng, "augment_dataset")
    out, ys = [list(s) for s in sequences], list(labels)
    for _ in range(int(copies)):
        out += [augment(s, gen, p_delete, n_swap) for s in sequences]
        ys += list(labels)
    return out, ys
