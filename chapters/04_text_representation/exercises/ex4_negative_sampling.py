"""Exercise 4 (4 points): word2vec's negative-sampling loss and its gradients.

For a batch of B examples, ``v`` (B, D) are input vectors (the centre word's,
in skip-gram), ``u_pos`` (B, D) the output vectors of the true context words,
and ``u_neg`` (B, K, D) the output vectors of K noise words per example. With
s = u_pos . v and s_k = u_neg_k . v (one score per row),

    loss = mean over the batch of [ -log sigmoid(s) - sum_k log sigmoid(-s_k) ]
         = mean of [ softplus(-s) + sum_k softplus(s_k) ],  softplus(x) = log(1 + e^x)

Write ``negative_sampling(v, u_pos, u_neg)`` on NumPy arrays, returning
``(loss, dv, du_pos, du_neg)``: the loss (a float) and its gradients with the
shapes of the inputs. Hint: d softplus(x)/dx = sigmoid(x). Compute softplus so
that it does not overflow for scores in the hundreds.

Checked against ``minilm.models.word2vec.negative_sampling_loss`` and the
gradients minilm's engine computes for it: the loss (1 point), the gradients
(2 points), and scores up to +-1000 (1 point).

    python -m minilm grade chapters/04_text_representation/exercises/ex4_negative_sampling.py
"""

from minilm.backend import np  # noqa: F401 - NumPy, for your solution


def negative_sampling(v, u_pos, u_neg):
    """(loss, dv, du_pos, du_neg) of the mean negative-sampling loss."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write negative_sampling")
    ### END YOUR SOLUTION
