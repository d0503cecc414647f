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
from ..tensor import no_grad
from ..train import fit
from .char_data import CharCorpus, padded_batch
from .gpt import GPT, GPTConfig

__all__ = ["GPTTrainConfig", "train_gpt", "evaluate_gpt"]


@dataclass
class GPTTrainConfig:
    steps: int = 2000
    batch_size: int = 32
    lr: float = 1e-3
    min_lr_ratio: float = 0.1
    warmup: int = 100
    weight_decay: float = 0.1
    clip: float = 1.0
    seed: int = 0


def _windows_batch(corpus, config, block_size, device, gen):
    ids = corpus.split("train")[0]
    return lambda: lm_batch(ids, config.batch_size, block_size, rng=gen, device=device)


def _names_batch(corpus, config, device, gen):
    seqs = corpus.split("train")
    return lambda: padded_batch([seqs[i] for i in gen.integers(0, len(seqs), config.batch_size)],
                                device)  # fmt: skip


def train_gpt(model: GPT, corpus: CharCorpus, config: GPTTrainConfig, progress: bool = True,
              eval_every: int | None = None, eval_split: str = "val"):  # fmt: skip
    """AdamW (no decay on biases and norms), linear warmup then cosine decay,
    gradient clipping; returns :func:`minilm.train.fit`'s history."""
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
    return fit(model, opt, batch, config.steps, scheduler=sched, clip_grad_norm=config.clip,
               seed=config.seed, eval_fn=lambda m: evaluate_gpt(m, corpus, eval_split),
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


def main(argv=None) -> int:
    """``python -m minilm.models.gpt_train``: train the char GPT on tinyshakespeare,
    print the validation loss as it goes (with the seconds since the start), the
    best one at the end, and a sample of the trained model's text."""
    import argparse
    import time

    from .. import argtypes
    from ..bench.gpt import CONFIGS
    from ..io import save

    p = argparse.ArgumentParser(prog="python -m minilm.models.gpt_train", description=main.__doc__)
    p.add_argument("--config", choices=sorted(CONFIGS), default="small",
                   help="small: 4 layers, width 128, context 64 (CPU); standard: 6 layers, "
                        "width 384, context 256 (GPU)")  # fmt: skip
    p.add_argument("--steps", type=argtypes.positive_int, default=2000)
    p.add_argument("--lr", type=argtypes.learning_rate, default=1e-3)
    p.add_argument("--dropout", type=argtypes.probability, default=0.0)
    p.add_argument("--eval-every", type=argtypes.positive_int, default=250)
    p.add_argument("--device", default=None, type=argtypes.device,
                   help="cpu or cuda (default: the config's)")  # fmt: skip
    p.add_argument("--max-chars", type=argtypes.positive_int, default=None,
                   help="cut each split to this many characters (quick runs)")  # fmt: skip
    p.add_argument("--sample", type=argtypes.nonnegative_int, default=300,
                   help="characters to generate after training (0: none)")  # fmt: skip
    p.add_argument("--save", default=None, type=argtypes.output_file,
                   help="write the trained model here (minilm.save)")  # fmt: skip
    args = p.parse_args(argv)
    bc = CONFIGS[args.config]
    corpus = CharCorpus.load("tinyshakespeare", max_chars=args.max_chars)
    cfg = GPTConfig(**{**bc.model.to_dict(), "vocab_size": corpus.vocab_size,
                       "dropout": args.dropout})  # fmt: skip
    model = GPT(cfg).to(args.device or bc.device)
    print(f"GPT {args.config}: {model.num_parameters():,} parameters on {model.wte.weight.device}, "
          f"batch {bc.batch_size} x context {cfg.block_size}, dropout {args.dropout}, "
          f"{args.steps} steps")  # fmt: skip
    t0 = time.perf_counter()
    train_cfg = GPTTrainConfig(steps=args.steps, batch_size=bc.batch_size, lr=args.lr)
    hist = train_gpt(model, corpus, train_cfg, eval_every=args.eval_every)
    seconds = time.perf_counter() - t0
    steps, losses = hist.eval_metric("loss")
    best = min(range(len(losses)), key=losses.__getitem__)
    print(f"best val loss {losses[best]:.4f} nats/char at step {steps[best]} "
          f"(training and evaluation took {seconds:.0f} s)")  # fmt: skip
    if args.sample:
        prompt = corpus.tokenizer.encode("\n")
        text = corpus.decode(model.generate(prompt, args.sample, temperature=0.8, seed=0))
        print(f"--- sample (temperature 0.8) ---\n{text}")
    if args.save:
        save(model.state_dict(), args.save)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
