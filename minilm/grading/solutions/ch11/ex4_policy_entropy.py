"""Reference solution: chapters/11_reinforcement_learning/exercises/ex4_policy_entropy.py."""

from minilm.backend import np


def policy_entropy(logits):
    z = logits - logits.max(axis=-1, keepdims=True)  # largest 0: no overflow
    log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    return -(np.exp(log_p) * log_p).sum(axis=-1)
