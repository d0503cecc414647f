"""Exercise 1 (4 points): returns.

A batch of B episodes, padded to T steps: ``rewards`` (B, T) and ``mask`` (B, T)
(1 while the episode runs, 0 after it ended). The return from step t is

    G_t = r_t + gamma * r_{t+1} + gamma^2 * r_{t+2} + ...   (within the episode)

Write ``discounted_returns(rewards, mask, gamma)`` on NumPy arrays, returning
G (B, T), 0 at padded steps. Hint: G_t = r_t + gamma * G_{t+1}; go backwards.

Checked against ``minilm.rl.reinforce.discounted_returns``: gamma = 1
(1 point), gamma < 1 (2 points), episodes of different lengths (1 point).

    python -m minilm grade chapters/11_reinforcement_learning/exercises/ex1_discounted_returns.py
"""

from minilm.backend import np  # noqa: F401 - NumPy, for your solution


def discounted_returns(rewards, mask, gamma):
    """G (B, T) with G[b, t] = sum_{k >= t} gamma^(k-t) rewards[b, k] within episode b."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write discounted_returns")
    ### END YOUR SOLUTION
