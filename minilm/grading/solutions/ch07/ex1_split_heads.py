"""Reference solution: chapters/07_transformers/exercises/ex1_split_heads.py."""

from minilm.backend import np


def split_heads(x, num_heads):
    B, T, d = x.shape
    return np.transpose(x.reshape(B, T, num_heads, d // num_heads), (0, 2, 1, 3))


def merge_heads(x):
    B, H, T, hd = x.shape
    return np.transpose(x, (0, 2, 1, 3)).reshape(B, T, H * hd)
