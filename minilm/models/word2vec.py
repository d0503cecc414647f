"""word2vec (Mikolov et al., 2013): word vectors learned by predicting neighbours.

Every word w has two vectors: ``v_w`` (row w of ``W_in``, used when w is the
centre) and ``u_w`` (row w of ``W_out``, used when w is a context word).

- **skip-gram** predicts each context word o within ``window`` of a centre c
  from ``v_c``;
- **CBOW** (continuous bag of words) predicts the centre from the mean of its
  context words' ``v`` vectors.

A softmax over the whole vocabulary for every prediction would be slow, so
both use **negative sampling**: tell the true pair (score s = u_o . v_c) from
K random "noise" words n_1..n_K (scores s_k = u_k . v_c) by logistic
regression::

    loss = -log sigma(s) - sum_k log sigma(-s_k)
         = softplus(-s) + sum_k softplus(s_k)

Noise words are drawn from the unigram distribution raised to the power 3/4
(:func:`sampling_table`), which gives rare words more chances than their
frequency; frequent words ("the", ",") are **subsampled**: each occurrence is
kept with probability ``min(1, sqrt(t/f) + t/f)`` for a word of frequency f
(:func:`keep_probability`, the formula in the original C code).

After training, ``v`` vectors of words used in similar contexts point in
similar directions: :meth:`Word2Vec.most_similar` ranks words by cosine
similarity, :meth:`Word2Vec.analogy` answers "a is to b as c is to ?" with the
word nearest ``v_b - v_a + v_c``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import nn, ops
from ..backend import np
from ..tensor import Tensor, no_grad, tensor

__all__ = [
    "Word2VecConfig",
    "Word2Vec",
    "sampling_table",
    "keep_probability",
    "subsample",
    "skipgram_pairs",
    "cbow_examples",
    "negative_sampling_loss",
]


@dataclass
class Word2VecConfig:
    mode: str = "skipgram"  # or "cbow"
    dim: int = 50
    window: int = 3  # context words on each side (skip-gram draws 1..window per centre)
    negatives: int = 5  # K noise words per true pair
    min_count: int = 5  # rarer words are dropped
    subsample: float = 1e-3  # t; 0 keeps every word
    power: float = 0.75  # noise distribution: unigram ** power
    lower: bool = True
    steps: int = 3000
    batch_size: int = 512
    lr: float = 3e-3
    seed: int = 0


def sampling_table(counts, power: float = 0.75) -> np.ndarray:
    """Noise distribution: ``counts ** power``, normalized.

    >>> sampling_table([1, 16], power=0.75).round(3).tolist()
    [0.111, 0.889]
    """
    w = np.asarray(counts, dtype=np.float64) ** power
    return w / w.sum()


def keep_probability(counts, t: float) -> np.ndarray:
    """Chance that one occurrence of each word survives subsampling:
    ``min(1, sqrt(t/f) + t/f)`` with f the word's frequency (t = 0: keep all).

    >>> keep_probability([1, 1000], t=1e-3).round(3).tolist()
    [1.0, 0.033]
    """
    counts = np.asarray(counts, dtype=np.float64)
    if t <= 0:
        return np.ones_like(counts)
    f = counts / counts.sum()
    return np.minimum(1.0, np.sqrt(t / f) + t / f)


def subsample(ids, keep, rng) -> np.ndarray:
    """``ids`` with each occurrence dropped with probability ``1 - keep[id]``."""
    ids = np.asarray(ids)
    return ids[rng.random(len(ids)) < keep[ids]]


def skipgram_pairs(ids, window: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """(centre, context) pairs: for each position a window size b is drawn from
    1..``window`` (nearer words are sampled more often, as in the C code) and
    every word within b positions is a context.

    >>> c, o = skipgram_pairs(np.array([7, 8, 9]), 1, np.random.default_rng(0))
    >>> sorted(zip(c.tolist(), o.tolist()))
    [(7, 8), (8, 7), (8, 9), (9, 8)]
    """
    ids = np.asarray(ids)
    n = len(ids)
    b = rng.integers(1, window + 1, size=n)
    centres, contexts = [], []
    for d in range(1, window + 1):
        pos = np.arange(n)
        for j in (pos - d, pos + d):  # the word d to the left, then to the right
            ok = (j >= 0) & (j < n) & (b >= d)
            centres.append(ids[pos[ok]])
            contexts.append(ids[j[ok]])
    return np.concatenate(centres), np.concatenate(contexts)


def cbow_examples(ids, window: int) -> tuple[np.ndarray, np.ndarray]:
    """(contexts (N, 2*window), centre (N,)): the words around each position,
    -1 where the window runs past either end.

    >>> ctx, c = cbow_examples(np.array([4, 5, 6]), 1)
    >>> ctx.tolist(), c.tolist()
    ([[-1, 5], [4, 6], [5, -1]], [4, 5, 6])
    """
    ids = np.asarray(ids)
    n = len(ids)
    offsets = np.concatenate([np.arange(-window, 0), np.arange(1, window + 1)])
    j = np.arange(n)[:, None] + offsets  # (N, 2w)
    ok = (j >= 0) & (j < n)
    return np.where(ok, ids[np.clip(j, 0, n - 1)], -1), ids


def negative_sampling_loss(v, u_pos, u_neg) -> Tensor:
    """Mean over the batch of ``softplus(-u_pos.v) + sum_k softplus(u_neg_k.v)``.

    ``v`` (B, D): the input vectors (centre, or mean of contexts for CBOW);
    ``u_pos`` (B, D): the output vectors of the true words;
    ``u_neg`` (B, K, D): the output vectors of the noise words.

    >>> import minilm
    >>> v = minilm.tensor([[1.0, 0.0]])
    >>> loss = negative_sampling_loss(v, minilm.tensor([[0.0, 0.0]]), minilm.zeros(1, 3, 2))
    >>> round(loss.item(), 4)   # 4 * log 2: every score 0, every guess a coin flip
    2.7726
    """
    pos = (u_pos * v).sum(axis=-1)  # (B,)
    neg = (u_neg @ v.expand_dims(-1)).squeeze(-1)  # (B, K, D) @ (B, D, 1) -> (B, K)
    return (ops.softplus(-pos) + ops.softplus(neg).sum(axis=-1)).mean()


class Word2Vec(nn.Module):
    """Input and output embedding tables over a vocabulary, and the queries on them.

    >>> m = Word2Vec(["a", "b", "c"], [5, 3, 1], dim=4)
    >>> m.W_in.weight.shape, m.vocab["b"]
    ((3, 4), 1)
    """

    def __init__(self, words, counts, dim: int = 50, mode: str = "skipgram", device="cpu"):
        super().__init__()
        if mode not in ("skipgram", "cbow"):
            raise ValueError(f"Word2Vec: mode must be 'skipgram' or 'cbow', got {mode!r}")
        self.words, self.counts, self.mode = list(words), np.asarray(counts), mode
        self.vocab = {w: i for i, w in enumerate(self.words)}
        V = len(self.words)
        self.W_in = nn.Embedding(V, dim, device=device)
        self.W_out = nn.Embedding(V, dim, device=device)
        with no_grad():  # as the C code: small random inputs, zero outputs
            self.W_in.weight.data[...] = (np.random.default_rng(0).random((V, dim)) - 0.5) / dim
            self.W_out.weight.data[...] = 0.0

    def loss(self, inputs, targets, noise) -> Tensor:
        """Skip-gram: ``inputs`` are centre ids (B,); CBOW: context ids (B, 2w) with
        -1 for missing words. ``targets`` (B,) are the words to predict, ``noise`` (B, K)."""
        if self.mode == "skipgram":
            v = self.W_in(inputs)  # (B, D)
        else:
            mask = inputs >= 0  # (B, 2w)
            vs = self.W_in(np.where(mask, inputs, 0))  # (B, 2w, D)
            m = tensor((mask / np.maximum(mask.sum(1, keepdims=True), 1)).astype(np.float32))
            v = (vs * m.expand_dims(-1)).sum(axis=1)  # mean of the context vectors, (B, D)
        return negative_sampling_loss(v, self.W_out(targets), self.W_out(noise))

    def vectors(self) -> np.ndarray:
        """The word vectors (``W_in``), scaled to unit length: (V, D)."""
        w = self.W_in.weight.numpy().astype(np.float64)
        return w / np.maximum(np.linalg.norm(w, axis=1, keepdims=True), 1e-12)

    def word_id(self, word) -> int:
        if word not in self.vocab:
            raise KeyError(f"{word!r} is not in the vocabulary ({len(self.words)} words; "
                           f"rare words were dropped by min_count)")  # fmt: skip
        return self.vocab[word]

    def nearest(self, query, k: int = 5, exclude=()) -> list[tuple[str, float]]:
        """The ``k`` words whose vectors have the highest cosine similarity with
        ``query`` (a vector), skipping the words in ``exclude``."""
        q = np.asarray(query, dtype=np.float64)
        sims = self.vectors() @ (q / max(np.linalg.norm(q), 1e-12))
        for w in exclude:
            sims[self.word_id(w)] = -np.inf
        best = np.argsort(-sims)[:k]
        return [(self.words[i], float(sims[i])) for i in best]

    def most_similar(self, word: str, k: int = 5) -> list[tuple[str, float]]:
        """Nearest neighbours of a word by cosine similarity (the word itself excluded)."""
        return self.nearest(self.vectors()[self.word_id(word)], k, exclude=[word])

    def analogy(self, a: str, b: str, c: str, k: int = 1) -> list[tuple[str, float]]:
        """ "``a`` is to ``b`` as ``c`` is to ?": the words nearest ``v_b - v_a + v_c``
        (unit vectors), other than a, b and c."""
        V = self.vectors()
        return self.nearest(
            V[self.word_id(b)] - V[self.word_id(a)] + V[self.word_id(c)], k, exclude=[a, b, c]
        )
