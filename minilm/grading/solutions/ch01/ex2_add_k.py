"""Reference solution: chapters/01_language_models/exercises/ex2_add_k.py."""


def add_k(counts, k=1.0):
    V = counts.shape[1]
    return (counts + k) / (counts.sum(axis=1, keepdims=True) + k * V)
