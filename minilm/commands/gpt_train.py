"""``python -m minilm gpt-train``: the char GPT on tinyshakespeare (:mod:`minilm.recipes.gpt`)."""

from __future__ import annotations

from ..data.lm_corpus import CharCorpus
from ..models.gpt import GPT, GPTConfig
from ..recipes.gpt import GPTTrainConfig, train_gpt


def main(argv=None) -> int:
    """``python -m minilm gpt-train``: train the char GPT on tinyshakespeare,
    print the validation loss as it goes (with the seconds since the start), the
    best one at the end, and a sample of the trained model's text."""
    import argparse
    import os
    import time

    from .. import argtypes
    from ..checkpoint import save_model
    from ..recipes.gpt import SETUPS

    p = argparse.ArgumentParser(prog="python -m minilm gpt-train", description=main.__doc__)
    p.add_argument("--config", choices=sorted(SETUPS), default="small",
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
                   help="write the trained model here (a model file: generate, export and "
                        "minilm.load_model read it)")  # fmt: skip
    args = p.parse_args(argv)
    bc = SETUPS[args.config]
    if args.max_chars is not None and args.max_chars <= bc.model.block_size + 1:
        block = bc.model.block_size
        p.error(f"argument --max-chars: must be more than {block + 1} (the --config "
                f"{args.config} GPT reads {block} characters at a time)")  # fmt: skip
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
        text = {"source": "tinyshakespeare", "split": "fixed", "stream": True,
                "boundary": "\n", "start_id": int(corpus.pad_id)}  # fmt: skip
        save_model(args.save, model.to("cpu"), {"text": corpus.tokenizer}, step=args.steps,
                   metrics={"best_val_nats_per_char": losses[best]}, text=text)  # fmt: skip
        print(f"saved to {os.path.abspath(args.save)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
