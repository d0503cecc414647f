"""Exercise 3 (5 points): the prompt perplexity, a drift alarm.

The server scores every prompt it prefills: a prompt of n tokens costs
``nats = -sum_{i>=2} log p(x_i | x_<i)`` over its ``n - 1`` predicted tokens.
It exports the perplexity of the last ``window`` prompts,

    exp( (sum of their nats) / (sum of their predicted tokens) ),

a ratio of sums (a long prompt weighs more than a short one), not the mean of
each prompt's perplexity. When the traffic stops looking like the training
text the value jumps.

Write the class ``PromptPerplexity(window=50)`` with ``add(nats, tokens)``
(one prompt; a prompt with ``tokens <= 0`` predicted tokens is ignored: it
tells nothing) and the property ``value``: the perplexity over the last
``window`` prompts that were added, NaN (``math.nan``) while there are none.

Checked against ``minilm.serve.engine.PromptPerplexity``: one prompt
(1 point), a ratio of sums over several (2 points), the window forgetting
the oldest prompts (1 point), empty prompts and NaN (1 point).

    python -m minilm grade chapters/12_deployment_and_safety/exercises/ex3_prompt_perplexity.py
"""

import math  # noqa: F401 - for your solution
from collections import deque  # noqa: F401 - a deque(maxlen=...) forgets the oldest for you


class PromptPerplexity:
    """The perplexity of the last ``window`` prompts."""

    def __init__(self, window=50):
        ### BEGIN YOUR SOLUTION
        raise NotImplementedError("write PromptPerplexity.__init__")
        ### END YOUR SOLUTION

    def add(self, nats, tokens):
        """One prompt: its nats and its number of predicted tokens."""
        ### BEGIN YOUR SOLUTION
        raise NotImplementedError("write PromptPerplexity.add")
        ### END YOUR SOLUTION

    @property
    def value(self):
        """exp(sum of nats / sum of tokens) over the window; NaN when it is empty."""
        ### BEGIN YOUR SOLUTION
        raise NotImplementedError("write PromptPerplexity.value")
        ### END YOUR SOLUTION
