"""Exercise 1 (3 points): the multi-head reshape.

Multi-head attention runs H attentions side by side on slices of the model
width d: head h owns features ``h*hd : (h+1)*hd`` with ``hd = d // H``.

- ``split_heads(x, H)``: (B, T, d) -> (B, H, T, hd), so that
  ``out[b, h, t] == x[b, t, h*hd:(h+1)*hd]``.
- ``merge_heads(x)``: the inverse, (B, H, T, hd) -> (B, T, H*hd).

Checked against ``minilm.nn.MultiHeadAttention.split_heads`` and ``merge_heads``:
split (1 point), merge (1), merge undoes split (1).

    python -m minilm grade chapters/07_transformers/exercises/ex1_split_heads.py
"""

from minilm.backend import np  # noqa: F401 - NumPy, for your solution


def split_heads(x, num_heads):
    """(B, T, d) -> (B, H, T, d // H)."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write split_heads")
    ### END YOUR SOLUTION


def merge_heads(x):
    """(B, H, T, hd) -> (B, T, H * hd)."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write merge_heads")
    ### END YOUR SOLUTION
