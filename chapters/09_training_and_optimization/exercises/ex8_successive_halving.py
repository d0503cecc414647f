"""Exercise 8 (5 points): one round of successive halving, and its rungs.

Successive halving (the core of Hyperband) spends a search's budget where it
pays: start ``n`` configurations with a few training steps each, keep the best
``1 / eta`` of them, give the survivors ``eta`` times the steps, and repeat
until one is left, trained longest. Bad learning rates show themselves early,
so most of the budget goes to the configurations still in the running.

Write two functions:

1. ``successive_halving_round(configs, scores, eta=3)``: ``configs`` a list of
   anything (dicts of hyperparameters, say) and ``scores`` a list of floats,
   one per config, *lower is better* (a validation loss). Return the list of
   the ``n_keep = max(1, len(configs) // eta)`` configs with the lowest scores,
   in order of increasing score. Equal scores keep their order in ``configs``
   (a stable sort), and a NaN score (a run that diverged) ranks after every
   number, +inf included. Return the configs themselves, not their indices.
2. ``halving_rungs(n, min_steps, eta=3)``: the plan, a list of
   ``(configurations, steps each)`` pairs, one per rung: ``(n, min_steps)``
   first, then ``max(1, k // eta)`` configurations at ``eta`` times the steps
   of the rung before, and so on, ending with the first rung of one
   configuration. For n = 27, min_steps = 10: [(27, 10), (9, 30), (3, 90), (1, 270)].

Checked against ``minilm.search.successive_halving_round`` and
``minilm.search.halving_rungs``: random rounds with distinct scores (2 points);
how many are kept, at the edges (fewer configs than eta, exact multiples, the
default eta) (1 point); ties, NaN and infinite scores (1 point); the rungs
(1 point).

    python -m minilm grade chapters/09_training_and_optimization/exercises/ex8_successive_halving.py
"""

import math  # noqa: F401 - math.isnan, for your solution


def successive_halving_round(configs, scores, eta=3):
    """The ``max(1, len(configs) // eta)`` configs of lowest score, best first."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write successive_halving_round")
    ### END YOUR SOLUTION


def halving_rungs(n, min_steps, eta=3):
    """``[(configurations, steps each), ...]``, one pair per rung, down to one configuration."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write halving_rungs")
    ### END YOUR SOLUTION
