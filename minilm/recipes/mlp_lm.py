"""Training and scoring the MLP language model (:class:`minilm.models.MLPLM`) on a
:class:`~minilm.data.lm_corpus.CharCorpus`."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .. import functional as F
from .. import optim
from ..backend import np
from ..data.lm_corpus import CharCorpus, context_windows
from ..models.mlp_lm import MLPLM
from ..tensor import no_grad, tensor
from ..train import fit
from .common import val_loss_fn

__all__ = ["MLPTrainConfig", "train_mlp_lm", "evaluate_mlp_lm"]


@dataclass
class MLPTrainConfig:
    steps: int = 4000
    batch_size: int = 256
    lr: float = 3e-3
    weight_decay: float = 0.01
    accumulate: int = 1  # micro-batches per optimizer step
    precision: str = "fp32"  # or fp16, bf16 (minilm.precision)
    loss_scale: object = "dynamic"  # fp16's loss scaling: dynamic, or a fixed number
    seed: int = 0


def train_mlp_lm(model: MLPLM, corpus: CharCorpus, config: MLPTrainConfig, progress=True,
                 eval_every: int | None = None, world=None):  # fmt: skip
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
               accumulate=config.accumulate, precision=config.precision,
               loss_scale=config.loss_scale, world=world,
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
