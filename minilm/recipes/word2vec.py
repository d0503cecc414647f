"""Training :class:`minilm.models.Word2Vec` on a text."""

from __future__ import annotations

from collections import Counter

from .. import optim
from ..backend import np
from ..models.word2vec import (
    Word2Vec,
    Word2VecConfig,
    cbow_examples,
    keep_probability,
    sampling_table,
    skipgram_pairs,
    subsample,
)
from ..text import split_words
from ..train import fit

__all__ = ["train_word2vec"]


def train_word2vec(text: str, config: Word2VecConfig | None = None, progress: bool = True):
    """Tokenize ``text`` into words, build the vocabulary, and train word2vec with
    Adam on batches of examples (subsampled afresh each pass). Returns the model."""
    c = config or Word2VecConfig()
    tokens = split_words(text, lower=c.lower)
    counts = Counter(tokens)
    words = sorted((w for w, n in counts.items() if n >= c.min_count), key=lambda w: -counts[w])
    if len(words) < 2:
        raise ValueError(f"train_word2vec: fewer than 2 words occur {c.min_count} times")
    model = Word2Vec(words, [counts[w] for w in words], c.dim, c.mode)
    ids = np.array([model.vocab[t] for t in tokens if t in model.vocab])
    keep = keep_probability(model.counts, c.subsample)
    cdf = np.cumsum(sampling_table(model.counts, c.power))
    rng = np.random.default_rng(c.seed)
    pool = {"x": None, "y": None, "at": 0}

    def refill():
        kept = subsample(ids, keep, rng)
        if c.mode == "skipgram":
            x, y = skipgram_pairs(kept, c.window, rng)
        else:
            x, y = cbow_examples(kept, c.window)
        order = rng.permutation(len(y))
        pool.update(x=x[order], y=y[order], at=0)

    def batch():
        if pool["x"] is None or pool["at"] + c.batch_size > len(pool["y"]):
            refill()
        j = slice(pool["at"], pool["at"] + c.batch_size)
        pool["at"] += c.batch_size
        noise = np.searchsorted(cdf, rng.random((len(pool["y"][j]), c.negatives)) * cdf[-1])
        return pool["x"][j], pool["y"][j], np.minimum(noise, len(words) - 1)

    opt = optim.Adam(model.parameters(), lr=c.lr)
    fit(model, opt, batch, c.steps, loss_fn=lambda m, b: m.loss(*b), seed=c.seed,
        progress=progress)  # fmt: skip
    return model
