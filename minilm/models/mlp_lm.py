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

from dataclasses import asdict, dataclass

from .. import functional as F
from .. import nn, optim
from ..backend import np
from ..tensor import no_grad, tensor
from ..train import fit
from .char_data import CharCorpus, context_windows, val_loss_fn

__all__ = ["MLPLMConfig", "MLPLM", "MLPTrainConfig", "train_mlp_lm", "evaluate_mlp_lm"]


@dataclass
class MLPLMConfig:
    vocab_size: int
    context: int = 8  # n: how many previous tokens the model sees
    embed_dim: int = 24
    hidden: int = 512
    dropout: float = 0.0
    pad_id: int = 0  # fills the context before the first token


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


@dataclass
class MLPTrainConfig:
    steps: int = 4000
    batch_size: int = 256
    lr: float = 3e-3
    weight_decay: float = 0.01
    seed: int = 0


def train_mlp_lm(model: MLPLM, corpus: CharCorpus, config: MLPTrainConfig, progress=True,
                 eval_every: int | None = None):  # fmt: skip
    """Train on random (context, next char) pairs of the train split with AdamW and
    a cosine schedule; with ``eval_every``, evaluate on the val split that often.
    Returns the ``History``."""
    X, Y = context_windows(corpus.split("train"), model.config.context, corpus.pad_id)
    device = model.embed.weight.device
    rng = np.random.default_rng(config.seed)

    def batch():
        i = rng.integers(0, len(X), config.batch_size)
        return tensor(X[i], device=device), tensor(Y[i], device=device)

    decay = [p for p in model.parameters() if p.ndim >= 2]
    rest = [p for p in model.parameters() if p.ndim < 2]
    opt = optim.AdamW([{"params": decay}, {"params": rest, "weight_decay": 0.0}],
                      lr=config.lr, weight_decay=config.weight_decay)  # fmt: skip
    sched = optim.CosineAnnealingLR(opt, T_max=config.steps, eta_min=config.lr / 20)
    return fit(model, opt, batch, config.steps, scheduler=sched, seed=config.seed,
               eval_fn=val_loss_fn(evaluate_mlp_lm, corpus, eval_every), eval_every=eval_every,
               progress=progress, config=asdict(config))  # fmt: skip


def evaluate_mlp_lm(model: MLPLM, corpus: CharCorpus, split: str = "test",
                    batch_size: int = 8192) -> float:  # fmt: skip
    """Mean nats per predicted character on a split (no gradients, eval mode)."""
    X, Y = context_windows(corpus.split(split), model.config.context, corpus.pad_id)
    device = model.embed.weight.device
    was = model.training
    model.eval()
    total = 0.0
    with no_grad():
        for i in range(0, len(X), batch_size):
            x, y = tensor(X[i : i + batch_size], device=device), tensor(Y[i : i + batch_size])
            total += F.cross_entropy(model(x), y.to(device), reduction="sum").item()
    model.train(was)
    return total / len(Y)
