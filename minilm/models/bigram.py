"""The neural bigram: a (V, V) table of next-token logits, one row per previous token.

The smallest neural language model there is, and the first of the course: it
is trained by gradient descent, yet it can only learn what counting learns
(``python -m minilm demo`` shows the two agree).

>>> import minilm
>>> model = BigramLM(BigramConfig(vocab_size=5))
>>> model(minilm.tensor([[0, 3]])).shape
(1, 2, 5)
"""

from __future__ import annotations

from dataclasses import dataclass

from ..nn import Embedding, Module
from ..tensor import no_grad, tensor

__all__ = ["BigramConfig", "BigramLM"]


@dataclass
class BigramConfig:
    vocab_size: int
    pad_id: int = 0  # the "previous token" before the first one

    def num_parameters(self) -> int:
        return self.vocab_size * self.vocab_size


class BigramLM(Module):
    """ids (...) -> logits (..., V): row ``ids`` of the table."""

    def __init__(self, config: BigramConfig, device: str = "cpu"):
        super().__init__()
        self.config = config
        self.table = Embedding(config.vocab_size, config.vocab_size, device=device)

    def forward(self, ids):
        return self.table(ids)

    def next_logits(self, tokens, state=None):
        """For :mod:`minilm.generate`: the state is the last token."""
        last = tokens[-1] if len(tokens) else (self.config.pad_id if state is None else state)
        with no_grad():
            logits = self(tensor([int(last)], device=self.table.weight.device))
        return logits.numpy()[0], int(last)
