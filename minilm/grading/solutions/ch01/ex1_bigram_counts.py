"""Reference solution: chapters/01_language_models/exercises/ex1_bigram_counts.py."""

from minilm.backend import np


def bigram_counts(sentences, vocab):
    index = {tok: i for i, tok in enumerate(vocab)}
    counts = np.zeros((len(vocab), len(vocab)))
    for sentence in sentences:
        padded = ["<s>", *sentence, "</s>"]
        for h, w in zip(padded, padded[1:]):
            counts[index[h], index[w]] += 1
    return counts


def bigram_mle(counts):
    totals = counts.sum(axis=1, keepdims=True)
    return np.where(totals > 0, counts / np.maximum(totals, 1), 0.0)
