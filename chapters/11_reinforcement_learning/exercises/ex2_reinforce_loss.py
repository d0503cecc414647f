"""Exercise 2 (4 points): the REINFORCE loss with a baseline.

For B episodes padded to T steps, ``log_probs`` (a minilm Tensor (B, T)) holds
log pi(a_t | s_t) of the actions taken; ``returns``, ``baseline`` and ``mask``
are NumPy arrays (B, T). The policy-gradient estimate is

    grad J ~ (1/B) sum_b sum_t mask * grad log pi(a_t | s_t) * (G_t - b_t)

Write ``reinforce_loss(log_probs, returns, baseline, mask)``: a one-number
Tensor whose gradient in ``log_probs`` is *minus* that estimate (optimizers
minimize). The advantage ``G - b`` is a constant: no gradient flows into it.

Checked against ``minilm.rl.reinforce.reinforce_loss``: the value (2 points)
and the gradient (2 points).

    python -m minilm grade chapters/11_reinforcement_learning/exercises/ex2_reinforce_loss.py
"""

import minilm  # noqa: F401


def reinforce_loss(log_probs, returns, baseline, mask):
    """-(1/B) sum mask * log_probs * (returns - baseline), as a Tensor."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write reinforce_loss")
    ### END YOUR SOLUTION
