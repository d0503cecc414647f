"""Reference solution: chapters/04_text_representation/exercises/ex2_bag_of_words.py."""

from minilm.backend import np


def one_hot(ids, V):
    out = np.zeros((len(ids), V))
    out[np.arange(len(ids)), ids] = 1.0
    return out


def bag_of_words(docs, V, binary=False):
    out = np.zeros((len(docs), V))
    for n, doc in enumerate(docs):
        np.add.at(out[n], doc, 1.0)
    return np.minimum(out, 1.0) if binary else out
