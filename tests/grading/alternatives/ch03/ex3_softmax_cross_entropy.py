"""Softmax cross-entropy via log-sum-exp and an identity matrix for the one-hot."""

from minilm.backend import np


def softmax_cross_entropy(logits, targets):
    m = logits.max(-1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(logits - m).sum(-1))
    N = len(targets)
    loss = (lse - logits[np.arange(N), targets]).mean()
    p = np.exp(logits - lse[:, None])
    onehot = np.eye(logits.shape[1])[targets]
    return loss, (p - onehot) / N
