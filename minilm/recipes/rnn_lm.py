"""Training and scoring the recurrent language models (:class:`minilm.models.RNNLM`)
on a :class:`~minilm.data.lm_corpus.CharCorpus`: whole padded sequences for
documents, truncated backpropagation through time for a stream."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .. import functional as F
from .. import optim
from ..backend import np
from ..data.lm_corpus import CharCorpus, StreamBatches, padded_batch
from ..models.rnn_lm import RNNLM, detach_state
from ..tensor import no_grad
from ..train import fit
from .common import val_loss_fn

__all__ = ["RNNTrainConfig", "train_rnn_lm", "evaluate_rnn_lm"]


@dataclass
class RNNTrainConfig:
    steps: int = 2000
    batch_size: int = 32
    bptt: int = 64  # window length for a stream (names are whole sequences)
    lr: float = 3e-3
    weight_decay: float = 0.01
    clip: float = 1.0  # max gradient norm
    accumulate: int = 1  # micro-batches per optimizer step
    precision: str = "fp32"  # or fp16, bf16 (minilm.precision)
    loss_scale: object = "dynamic"  # fp16's loss scaling: dynamic, or a fixed number
    seed: int = 0


def _cross_entropy(logits, batch):
    return F.cross_entropy(logits, batch[1])


def train_rnn_lm(model: RNNLM, corpus: CharCorpus, config: RNNTrainConfig, progress=True,
                 eval_every: int | None = None, world=None,
                 logits_loss=_cross_entropy):  # fmt: skip
    """Train with AdamW, a cosine schedule and gradient clipping; with ``eval_every``,
    evaluate on the val split that often.

    Names: random batches of whole names, padded, state starting at zero.
    A stream: :class:`StreamBatches` windows with the state carried (detached).
    ``logits_loss(logits, (x, y))``: the training loss of the model's logits for
    a batch (the recipe runs the model, carrying its state); cross-entropy
    against ``y`` by default (:func:`minilm.distill.distill` passes its own)."""
    device = model.head.weight.device
    rng = np.random.default_rng(config.seed)
    carried = {"state": None}
    if corpus.stream:
        stream = StreamBatches(corpus.split("train")[0], config.batch_size, config.bptt, device)

        def batch():
            x, y, fresh = stream.next()
            if fresh:
                carried["state"] = None
            return x, y

        def loss_fn(model, batch):
            logits, state = model(batch[0], carried["state"])
            carried["state"] = detach_state(state)  # truncate: no gradient into the past
            return logits_loss(logits, batch)
    else:
        seqs = corpus.split("train")

        def batch():
            return padded_batch([seqs[i] for i in rng.integers(0, len(seqs), config.batch_size)],
                                device)  # fmt: skip

        def loss_fn(model, batch):
            return logits_loss(model(batch[0])[0], batch)

    decay = [p for p in model.parameters() if p.ndim >= 2]
    rest = [p for p in model.parameters() if p.ndim < 2]
    opt = optim.AdamW([{"params": decay}, {"params": rest, "weight_decay": 0.0}],
                      lr=config.lr, weight_decay=config.weight_decay)  # fmt: skip
    sched = optim.CosineAnnealingLR(opt, T_max=config.steps, eta_min=config.lr / 20)
    return fit(model, opt, batch, config.steps, loss_fn=loss_fn, scheduler=sched,
               clip_grad_norm=config.clip, seed=config.seed, accumulate=config.accumulate,
               precision=config.precision, loss_scale=config.loss_scale, world=world,
               eval_fn=val_loss_fn(evaluate_rnn_lm, corpus, eval_every), eval_every=eval_every,
               progress=progress, config=asdict(config))  # fmt: skip


def evaluate_rnn_lm(model: RNNLM, corpus: CharCorpus, split: str = "test",
                    batch_size: int = 256, bptt: int = 256) -> float:  # fmt: skip
    """Mean nats per predicted character on a split (no gradients, eval mode).

    Names are scored one padded batch at a time (sorted by length, so little
    padding); a stream is read as ``batch_size`` parallel rows with the state
    carried across windows, so almost every character has a long context."""
    device = model.head.weight.device
    was = model.training
    model.eval()
    total, count = 0.0, 0
    with no_grad():
        if corpus.stream:
            state = None
            for x, y in StreamBatches(corpus.split(split)[0], min(batch_size, 64), bptt, device):
                logits, state = model(x, state)
                total += F.cross_entropy(logits, y, reduction="sum").item()
                count += y.size
        else:
            seqs = sorted(corpus.split(split), key=len)
            for i in range(0, len(seqs), batch_size):
                x, y = padded_batch(seqs[i : i + batch_size], device)
                total += F.cross_entropy(model(x)[0], y, reduction="sum").item()
                count += int((y.data != -100).sum())
    model.train(was)
    return total / count
