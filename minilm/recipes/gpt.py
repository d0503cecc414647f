"""Training and scoring a GPT on a character corpus (:class:`CharCorpus`).

- a **stream** (tinyshakespeare): random windows of ``block_size`` characters
  (``minilm.data.lm_batch``); scored on consecutive non-overlapping windows of
  the split, every position counted (so early positions see short contexts,
  as in nanoGPT's validation loss).
- **documents** (names): padded batches of whole names, each scored from its
  start, exactly as the RNN rungs of the tour are.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .. import functional as F
from .. import optim
from ..backend import np
from ..data import lm_batch, lm_batches
from ..data.lm_corpus import CharCorpus, padded_batch
from ..models.gpt import CONFIGS, GPT, GPTConfig
from ..tensor import no_grad
from ..train import cross_entropy_loss, fit

__all__ = ["GPTSetup", "SETUPS", "GPTTrainConfig", "train_gpt", "evaluate_gpt"]


@dataclass(frozen=True)
class GPTSetup:
    """A GPT size with the batch and device it is trained on."""

    model: GPTConfig
    batch_size: int
    device: str


SETUPS = {
    "small": GPTSetup(CONFIGS["small"], 32, "cpu"),  # the CPU benchmark and gpt-train default
    "standard": GPTSetup(CONFIGS["standard"], 64, "cuda"),  # the GPU char-GPT
}


@dataclass
class GPTTrainConfig:
    steps: int = 2000
    batch_size: int = 32
    lr: float = 1e-3
    min_lr_ratio: float = 0.1
    warmup: int = 100
    weight_decay: float = 0.1
    clip: float = 1.0
    accumulate: int = 1  # micro-batches per optimizer step
    precision: str = "fp32"  # or fp16, bf16 (minilm.precision)
    loss_scale: object = "dynamic"  # fp16's loss scaling: dynamic, or a fixed number
    seed: int = 0


def _windows_batch(corpus, config, block_size, device, gen):
    ids = corpus.split("train")[0]
    return lambda: lm_batch(ids, config.batch_size, block_size, rng=gen, device=device)


def _names_batch(corpus, config, device, gen):
    seqs = corpus.split("train")
    return lambda: padded_batch([seqs[i] for i in gen.integers(0, len(seqs), config.batch_size)],
                                device)  # fmt: skip


def train_gpt(model: GPT, corpus: CharCorpus, config: GPTTrainConfig, progress: bool = True,
              eval_every: int | None = None, eval_split: str | None = "val", world=None,
              loss_fn=cross_entropy_loss, wrap_optimizer=None):  # fmt: skip
    """AdamW (no decay on biases and norms), linear warmup then cosine decay,
    gradient clipping; returns :func:`minilm.train.fit`'s history. ``world``:
    data-parallel processes; ``loss_fn(model, batch)``: the training loss;
    ``wrap_optimizer(opt) -> opt``: an optimizer around AdamW (pruning's
    :class:`minilm.prune.MaskedOptimizer`); ``eval_split=None``: no evaluation
    (otherwise every ``eval_every`` steps and at the end)."""
    device = model.wte.weight.device
    gen = np.random.default_rng(config.seed)
    if corpus.stream:
        batch = _windows_batch(corpus, config, model.config.block_size, device, gen)
    else:
        batch = _names_batch(corpus, config, device, gen)
    decay = [p for p in model.parameters() if p.ndim >= 2]
    rest = [p for p in model.parameters() if p.ndim < 2]
    opt = optim.AdamW([{"params": decay}, {"params": rest, "weight_decay": 0.0}], lr=config.lr,
                      betas=(0.9, 0.99), weight_decay=config.weight_decay)  # fmt: skip
    warmup = min(config.warmup, config.steps - 1) if config.steps > 1 else 0
    sched = optim.WarmupCosineLR(opt, warmup, max(config.steps, 1),
                                 eta_min=config.lr * config.min_lr_ratio)  # fmt: skip
    if wrap_optimizer is not None:
        opt = wrap_optimizer(opt)
    evaluate = None if eval_split is None else (lambda m: evaluate_gpt(m, corpus, eval_split))
    return fit(model, opt, batch, config.steps, loss_fn=loss_fn, scheduler=sched,
               clip_grad_norm=config.clip,
               accumulate=config.accumulate, precision=config.precision,
               loss_scale=config.loss_scale, world=world,
               seed=config.seed, eval_fn=evaluate,
               eval_every=eval_every, progress=progress, config=asdict(config))  # fmt: skip


def evaluate_gpt(model: GPT, corpus: CharCorpus, split: str = "test", batch_size: int = 64,
                 max_chars: int | None = None) -> float:  # fmt: skip
    """Mean nats per predicted character on a split (eval mode, no gradients)."""
    device = model.wte.weight.device
    was = model.training
    model.eval()
    total, count = 0.0, 0
    with no_grad():
        if corpus.stream:
            ids = corpus.split(split)[0][:max_chars]
            for x, y in lm_batches(ids, batch_size, model.config.block_size, device=device):
                total += F.cross_entropy(model(x), y, reduction="sum").item()
                count += y.size
        else:
            seqs = sorted(corpus.split(split), key=len)
            for i in range(0, len(seqs), batch_size * 4):
                x, y = padded_batch(seqs[i : i + batch_size * 4], device)
                total += F.cross_entropy(model(x), y, reduction="sum").item()
                count += int((y.data != -100).sum())
    model.train(was)
    return total / count
