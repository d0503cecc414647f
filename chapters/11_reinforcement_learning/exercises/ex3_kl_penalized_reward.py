"""Exercise 3 (4 points): the KL-penalized reward of RL fine-tuning.

A policy pi (the model being tuned) wrote B samples; a reward model scored them
(``scores`` (B,)). ``logp`` and ``ref_logp`` (B, T) are the log-probabilities of
each sampled token under pi and under the frozen reference model; ``mask``
(B, T) is 1 on each sample's tokens. The reward RL maximizes is

    R = score - beta * sum_t mask_t * (logp_t - ref_logp_t)

(the sum is a one-sample estimate of KL(pi || pi_ref) for that sample). Write
``kl_penalized_reward(scores, logp, ref_logp, mask, beta)`` on NumPy arrays.

Checked against ``minilm.rl.rlhf.kl_penalized_reward``: beta = 0 (1 point),
beta > 0 (2 points), samples of different lengths (1 point).

    python -m minilm grade chapters/11_reinforcement_learning/exercises/ex3_kl_penalized_reward.py
"""

from minilm.backend import np  # noqa: F401 - NumPy, for your solution


def kl_penalized_reward(scores, logp, ref_logp, mask, beta):
    """R (B,) = scores - beta * per-sample sum of mask * (logp - ref_logp)."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write kl_penalized_reward")
    ### END YOUR SOLUTION
