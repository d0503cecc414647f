"""Reference solution: chapters/12_deployment_and_safety/exercises/ex3_prompt_perplexity.py."""

import math
from collections import deque


class PromptPerplexity:
    def __init__(self, window=50):
        self.recent = deque(maxlen=window)

    def add(self, nats, tokens):
        if tokens > 0:
            self.recent.append((nats, tokens))

    @property
    def value(self):
        tokens = sum(t for _, t in self.recent)
        if tokens == 0:
            return math.nan
        return math.exp(sum(n for n, _ in self.recent) / tokens)
