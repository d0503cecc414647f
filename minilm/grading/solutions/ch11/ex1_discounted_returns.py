"""Reference solution: chapters/11_reinforcement_learning/exercises/ex1_discounted_returns.py."""

from minilm.backend import np


def discounted_returns(rewards, mask, gamma):
    rewards = rewards * mask
    G = np.zeros_like(rewards)
    running = np.zeros(rewards.shape[0])
    for t in reversed(range(rewards.shape[1])):
        running = rewards[:, t] + gamma * running
        G[:, t] = running
    return G * mask
