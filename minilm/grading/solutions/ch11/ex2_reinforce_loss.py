"""Reference solution: chapters/11_reinforcement_learning/exercises/ex2_reinforce_loss.py."""

import minilm


def reinforce_loss(log_probs, returns, baseline, mask):
    advantage = minilm.tensor((returns - baseline) * mask, dtype=log_probs.dtype)
    return -(log_probs * advantage).sum() / log_probs.shape[0]
