"""Exercise 1 (5 points): scaled dot-product attention with a mask.

For queries q (..., T, d), keys k (..., S, d) and values v (..., S, dv),

    scores = q k^T / sqrt(d)                       (..., T, S)
    weights = softmax(scores) over the keys, where mask is False the weight is 0
    out = weights v                                (..., T, dv)

``mask`` is None (attend everywhere) or a boolean array broadcastable to
(..., T, S), True where the query may attend to the key (PyTorch's and minilm's
convention). Every query is allowed at least one key. Return ``(out, weights)``.
Keep it stable for large scores, and make masked weights exactly 0.

Checked against ``minilm.functional.scaled_dot_product_attention``: without a
mask (1 point), with a padding mask (1), with a causal mask (1), weights sum to
1 and are 0 where masked (1), scores of size 1000 (1).

    python -m minilm grade chapters/06_attention_seq2seq/exercises/ex1_masked_attention.py
"""

from minilm.backend import np  # noqa: F401 - NumPy, for your solution


def attention(q, k, v, mask=None):
    """(out (..., T, dv), weights (..., T, S)) of masked scaled dot-product attention."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write attention")
    ### END YOUR SOLUTION
