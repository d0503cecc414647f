"""Training and scoring the neural bigram (:class:`minilm.models.bigram.BigramLM`)
on a :class:`~minilm.data.lm_corpus.CharCorpus`: every (previous, next) token
pair of the train split, random batches, Adam and a cosine schedule."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .. import functional as F
from .. import optim
from ..backend import np
from ..data.lm_corpus import CharCorpus, context_windows
from ..models.bigram import BigramLM
from ..tensor import no_grad, tensor
from ..train import fit
from .common import val_loss_fn

__all__ = ["BigramTrainConfig", "train_bigram", "evaluate_bigram"]


@dataclass
class BigramTrainConfig:
    steps: int = 300
    batch_size: int = 4096
    lr: float = 0.5  # a lone table of logits learns fast: no layer before it to break
    accumulate: int = 1
    precision: str = "fp32"  # or fp16, bf16 (minilm.precision)
    loss_scale: object = "dynamic"  # fp16's loss scaling: dynamic, or a fixed number
    seed: int = 0


def _pairs(corpus: CharCorpus, split: str):
    X, Y = context_windows(corpus.split(split), 1, corpus.pad_id)
    return X[:, 0], Y


def train_bigram(model: BigramLM, corpus: CharCorpus, config: BigramTrainConfig,
                 progress: bool = True, eval_every: int | None = None, world=None):  # fmt: skip
    """Adam with a cosine schedule on random batches of (previous, next) pairs."""
    X, Y = _pairs(corpus, "train")
    device = model.table.weight.device
    rng = np.random.default_rng(config.seed)

    def batch():
        i = rng.integers(0, len(X), config.batch_size)
        return tensor(X[i], device=device), tensor(Y[i], device=device)

    opt = optim.Adam(model.parameters(), lr=config.lr)
    sched = optim.CosineAnnealingLR(opt, T_max=config.steps)
    return fit(model, opt, batch, config.steps, scheduler=sched, seed=config.seed,
               accumulate=config.accumulate, precision=config.precision,
               loss_scale=config.loss_scale, world=world, progress=progress,
               eval_fn=val_loss_fn(evaluate_bigram, corpus, eval_every), eval_every=eval_every,
               config=asdict(config))  # fmt: skip


def evaluate_bigram(model: BigramLM, corpus: CharCorpus, split: str = "test") -> float:
    """Mean nats per predicted token on a split."""
    X, Y = _pairs(corpus, split)
    device = model.table.weight.device
    with no_grad():
        return F.cross_entropy(model(tensor(X, device=device)), tensor(Y, device=device)).item()
