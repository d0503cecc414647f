"""``python -m minilm translation``: train and compare the translators
(:mod:`minilm.recipes.translation`)."""

from __future__ import annotations

import argparse
import time

from .. import argtypes
from ..metrics import corpus_bleu
from ..recipes.translation import (
    TranslationData,
    build_model,
    save_translator,
    train_translation,
    translate,
)


def main(argv=None) -> int:
    """Train the GRU encoder-decoder with attention and the encoder-decoder
    transformer on the eng-fra train split, the same way (same pairs, word
    vocabularies, batches, steps, optimizer and seed), and print their corpus BLEU
    on a held-out split, decoding greedily and by beam search, with a few example
    translations. ``--save PATH`` (with one ``--model``) writes the trained
    translator and its BLEU to a model file that ``python -m minilm serve`` serves."""
    p = argparse.ArgumentParser(prog="python -m minilm translation",
                                description=main.__doc__)  # fmt: skip
    p.add_argument("--model", choices=["rnn", "transformer", "both"], default="both")
    p.add_argument("--steps", type=argtypes.positive_int, default=2000, help="optimizer steps")
    p.add_argument("--batch-size", type=argtypes.batch_size, default=64, help="pairs per step")
    p.add_argument("--lr", type=argtypes.learning_rate, default=None,
                   help="peak learning rate (default: each model's own, see MODELS)")  # fmt: skip
    p.add_argument("--dropout", type=argtypes.probability, default=None,
                   help="dropout rate (default: each model's own, see MODELS)")  # fmt: skip
    p.add_argument("--beam", type=argtypes.nonnegative_int, default=4,
                   help="beam size for each model's second BLEU (0: greedy only)")  # fmt: skip
    p.add_argument("--length-penalty", type=argtypes.nonnegative_float, default=1.0,
                   metavar="ALPHA", help="beam search ranks hypotheses by log-probability / "
                   "length ** ALPHA (0: the raw sum, 1: per token; default 1)")  # fmt: skip
    p.add_argument("--seed", type=argtypes.seed, default=0)
    p.add_argument("--split", choices=["test", "val"], default="test",
                   help="the held-out split to score (tune on val, report test)")  # fmt: skip
    p.add_argument("--limit", type=argtypes.positive_int, default=None,
                   help="score only the split's first LIMIT English sentences")  # fmt: skip
    p.add_argument("--examples", type=argtypes.nonnegative_int, default=3,
                   help="example translations to print per model")  # fmt: skip
    p.add_argument("--device", default="cpu", type=argtypes.device, help="cpu or cuda")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--save", metavar="PATH",
                   help="write the trained translator (with its BLEU) to PATH "
                   "(.safetensors), for python -m minilm serve; needs --model rnn or "
                   "--model transformer")  # fmt: skip
    args = p.parse_args(argv)
    if args.save and args.model == "both":
        p.error("--save writes one translator: choose it with --model rnn or --model transformer")
    kinds = ["rnn", "transformer"] if args.model == "both" else [args.model]

    data = TranslationData.load()
    sources, refs = data.references(args.split)
    if args.limit is not None:
        sources, refs = sources[: args.limit], refs[: args.limit]
    print(
        f"eng-fra: {len(data.pairs['train'])} training pairs; {args.split} split: "
        f"{len(sources)} English sentences, every French translation a reference; "
        f"lower-cased words ({data.src_tok.vocab_size} English, "
        f"{data.tgt_tok.vocab_size} French ids)"
    )
    print(
        f"each model: {args.steps} steps x {args.batch_size} pairs, AdamW with warmup and "
        f"cosine decay, clip 1.0, seed {args.seed}; greedy decoding for both"
        + (f", then beam search of width {args.beam} (hypotheses ranked by log-prob / "
           f"length ** {args.length_penalty:g})" if args.beam else "")
    )  # fmt: skip
    shown = sorted({round(i * (len(sources) - 1) / max(args.examples - 1, 1))
                    for i in range(args.examples)}) if sources else []  # fmt: skip
    rows = []
    for kind in kinds:
        model, lr = build_model(kind, data, args.seed, args.dropout)
        model.to(args.device)
        t0 = time.perf_counter()
        hist = train_translation(model, data, args.steps, args.batch_size, args.lr or lr,
                                 args.seed, progress=not args.no_progress)  # fmt: skip
        train_s = time.perf_counter() - t0
        last = hist.loss[-100:]
        train_loss = sum(last) / len(last)
        hyps = translate(model, data, sources)
        greedy = corpus_bleu(hyps, refs)
        beam = beams = None
        if args.beam:
            beams = translate(model, data, sources, beam_size=args.beam,
                              progress=not args.no_progress,
                              length_penalty=args.length_penalty)  # fmt: skip
            beam = corpus_bleu(beams, refs)
        rows.append((kind, model.num_parameters(), args.steps, train_s, train_loss, greedy, beam))
        if args.save:
            metrics = {f"{args.split}_bleu_greedy": greedy, "bleu_sentences": len(sources),
                       "train_loss": train_loss}  # fmt: skip
            if beam is not None:
                metrics[f"{args.split}_bleu_beam{args.beam}"] = beam
            save_translator(args.save, model, data, metrics, step=args.steps)
        print(f"\n{kind} ({args.split} examples; ref: the first of its references):")
        for i in shown:
            print(f"  en:   {sources[i]}\n  ref:  {' '.join(refs[i][0])}\n"
                  f"  hyp:  {' '.join(hyps[i])}")  # fmt: skip
            if beams is not None:
                print(f"  beam: {' '.join(beams[i])}")
    beam_head = f"BLEU beam {args.beam}" if args.beam else "BLEU beam"
    print(f"\n| model | parameters | steps | train time (s) | train loss | {args.split} BLEU "
          f"greedy | {beam_head} |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |")  # fmt: skip
    for kind, n, steps, secs, loss, greedy, beam in rows:
        b = "-" if beam is None else f"{100 * beam:.1f}"
        print(f"| {kind} | {n:,} | {steps} | {secs:.0f} | {loss:.3f} | {100 * greedy:.1f} | {b} |")
    averaged = min(100, args.steps)
    print(
        f"train loss: nats per French word, mean of the last {averaged} steps (teacher-forced, "
        "with dropout)\nBLEU x100: corpus 4-gram BLEU, no smoothing, on lower-cased word tokens"
    )
    if args.save:
        print(f"wrote {args.save}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
