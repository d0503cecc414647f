"""Reinforcement learning for text: environments where an agent writes one
character at a time (:mod:`minilm.rl.env`), REINFORCE with baselines
(:mod:`minilm.rl.reinforce`), and RL fine-tuning of a language model toward a
reward model with a KL penalty (:mod:`minilm.rl.rlhf`).

>>> from minilm.rl import PatternEnv
>>> env = PatternEnv("cv")
>>> env.reset(seed=0)
''
"""

from .env import ACTIONS, END, NameEnv, PatternEnv, TextEnv
from .reinforce import (
    CharPolicy,
    Reinforce,
    ReinforceConfig,
    ReinforceHistory,
    Rollout,
    discounted_returns,
    gradient_variance,
    reinforce_loss,
    rollout,
)

__all__ = ["ACTIONS", "END", "TextEnv", "NameEnv", "PatternEnv", "CharPolicy", "Rollout",
           "rollout", "discounted_returns", "reinforce_loss", "ReinforceConfig",
           "ReinforceHistory", "Reinforce", "gradient_variance"]  # fmt: skip
