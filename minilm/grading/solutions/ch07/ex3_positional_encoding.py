"""Reference solution: chapters/07_transformers/exercises/ex3_positional_encoding.py."""

from minilm.backend import np


def positional_encoding(num_positions, d):
    pos = np.arange(num_positions)[:, None]  # (P, 1)
    two_i = np.arange(0, d, 2)[None, :]  # (1, ceil(d/2))
    angle = pos / 10000 ** (two_i / d)
    P = np.zeros((num_positions, d))
    P[:, 0::2] = np.sin(angle)
    P[:, 1::2] = np.cos(angle[:, : d // 2])
    return P
