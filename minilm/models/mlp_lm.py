"""The neural probabilistic language model of Bengio et al. (2003), for characters.

The previous ``context`` tokens are looked up in an embedding table, their
vectors concatenated and passed through one hidden layer::

    e = [E[x_{t-n}], ..., E[x_{t-1}]]          (B, n*d)   embeddings, concatenated
    h = tanh(e W_1 + b_1)                      (B, hidden)
    logits = h W_2 + b_2                       (B, V)     scores of the next token

Unlike an n-gram table, similar contexts share statistical strength through
their embeddings, and the parameters grow linearly, not exponentially, with n.

>>> import minilm
>>> model = MLPLM(MLPLMConfig(vocab_size=27, context=3, embed_dim=4, hidden=16))
>>> model(minilm.tensor([[0, 5, 7], [0, 0, 3]])).shape
(2, 27)
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import nn
from ..tensor import no_grad, tensor

__all__ = ["MLPLMConfig", "MLPLM"]


@dataclass
class MLPLMConfig:
    vocab_size: int
    context: int = 8  # n: how many previous tokens the model sees
    embed_dim: int = 24
    hidden: int = 512
    dropout: float = 0.0
    pad_id: int = 0  # fills the context before the first token

    def num_parameters(self) -> int:
        """What :class:`MLPLM` allocates, from the config alone (no arrays made)."""
        V, d, h = self.vocab_size, self.embed_dim, self.hidden
        return V * d + (self.context * d + 1) * h + (h + 1) * V


class MLPLM(nn.Module):
    """Bengio et al.'s MLP language model: context ids (B, n) -> next-token logits (B, V)."""

    def __init__(self, config: MLPLMConfig, device: str = "cpu"):
        super().__init__()
        c = self.config = config
        self.embed = nn.Embedding(c.vocab_size, c.embed_dim, device=device)
        self.hidden = nn.Linear(c.context * c.embed_dim, c.hidden, device=device)
        self.drop = nn.Dropout(c.dropout)
        self.out = nn.Linear(c.hidden, c.vocab_size, device=device)

    def forward(self, ctx):
        B, n = ctx.shape
        if n != self.config.context:
            raise ValueError(f"MLPLM: expected contexts of {self.config.context} tokens, got {n}")
        e = self.embed(ctx).reshape(B, -1)  # (B, n*d)
        h = self.hidden(e).tanh()  # (B, hidden)
        return self.out(self.drop(h))  # (B, V)

    def next_logits(self, tokens, state):
        """For ``minilm.generate``: the state is the last ``context`` tokens."""
        n = self.config.context
        ctx = (tuple(state) if state is not None else (self.config.pad_id,) * n) + tuple(tokens)
        ctx = ctx[-n:]
        was = self.training
        self.eval()
        with no_grad():
            logits = self(tensor([ctx], device=self.embed.weight.device))
        self.train(was)
        return logits.numpy()[0], ctx
