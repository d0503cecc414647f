"""Reference solution: chapters/11_reinforcement_learning/exercises/ex3_kl_penalized_reward.py."""


def kl_penalized_reward(scores, logp, ref_logp, mask, beta):
    kl = ((logp - ref_logp) * mask).sum(axis=1)
    return scores - beta * kl
