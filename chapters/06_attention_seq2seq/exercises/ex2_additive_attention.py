"""Exercise 2 (3 points): Bahdanau's additive attention scores.

For one decoder state per batch row, query (B, dq), encoder outputs keys
(B, S, dk), and weights W_q (dq, h), W_k (dk, h), b_k (h,), v (h,):

    score[b, s] = v . tanh(query[b] W_q + keys[b, s] W_k + b_k)

Return the attention weights, softmax(score) over s, with the keys where the
padding ``mask`` (B, S) is False given weight exactly 0.

Checked against ``minilm.nn.AdditiveAttention`` holding the same weights:
without padding (2 points), with padding (1).

    python -m minilm grade chapters/06_attention_seq2seq/exercises/ex2_additive_attention.py
"""

from minilm.backend import np  # noqa: F401 - NumPy, for your solution


def additive_weights(query, keys, W_q, W_k, b_k, v, mask):
    """Attention weights (B, S) of additive attention."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write additive_weights")
    ### END YOUR SOLUTION
