"""Reference solution: chapters/01_language_models/exercises/ex3_kneser_ney.py."""

from minilm.backend import np


def continuation_probability(counts):
    contexts_before = (counts > 0).sum(axis=0)
    return contexts_before / contexts_before.sum()


def kneser_ney(counts, discount):
    p_cont = continuation_probability(counts)
    total = counts.sum(axis=1, keepdims=True)
    distinct_after = (counts > 0).sum(axis=1, keepdims=True)
    safe = np.maximum(total, 1)
    discounted = np.maximum(counts - discount, 0) / safe
    gamma = discount * distinct_after / safe
    return np.where(total > 0, discounted + gamma * p_cont, p_cont)
