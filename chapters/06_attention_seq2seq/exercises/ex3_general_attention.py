"""Exercise 3 (4 points): Luong's "general" attention over padded keys.

For one decoder state per batch row, query (B, dq), encoder outputs keys
(B, S, dk) that are also the values, a weight matrix W (dq, dk) and a padding
mask (B, S) (True on real source positions; every row has at least one):

    score[b, s]  = query[b] W keys[b, s]                 (no 1/sqrt(d) here)
    weights[b]   = softmax(score[b]) over s, exactly 0 where mask is False
    context[b]   = sum_s weights[b, s] keys[b, s]        (B, dk)

Return ``(context, weights)`` as float64 arrays. Scores can be in the
thousands: keep the softmax finite.

Checked against ``minilm.nn.DotAttention(dq, dk)`` holding the same W:
weights without padding (1 point), padded keys get weight exactly 0 and every
row sums to 1 (1), the context vectors with padding (1), scores of size 1000 (1).
You may not call minilm's attention functions or modules.

    python -m minilm grade chapters/06_attention_seq2seq/exercises/ex3_general_attention.py
"""

from minilm.backend import np  # noqa: F401 - NumPy, for your solution


def general_attention(query, keys, W, mask):
    """(context (B, dk), weights (B, S)) of Luong's general attention."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write general_attention")
    ### END YOUR SOLUTION
