"""``python -m minilm finetune``: the chapter 08 comparison (:mod:`minilm.recipes.finetune`)."""

from __future__ import annotations

from dataclasses import replace

from ..recipes.finetune import (
    CompareConfig,
    TextTask,
    compare,
    compare_nsp,
    format_nsp_table,
    format_tables,
    pretrain_encoder,
    save_classifier,
    save_encoder,
)


def main(argv=None) -> int:
    """``python -m minilm finetune``: pretrained vs from-scratch transformer vs
    bag of words on the sentiment test split, then the multi-label task; prints
    both tables (accuracy, F1, confusion matrix, per-label thresholds, micro and
    macro F1, seconds of training). ``--nsp`` pretrains BERT's way instead (MLM +
    next-sentence prediction on sentence pairs); ``--nsp-ablation`` measures what
    that does downstream, over ``--seeds``. ``--save PATH`` writes the pretrained +
    fine-tuned sentiment classifier (the table's first row) to a model file that
    ``python -m minilm serve`` serves."""
    import argparse

    from .. import argtypes

    d = CompareConfig()
    small = CompareConfig(
        d_model=16,
        n_layer=1,
        n_head=2,
        pretrain_steps=3,
        finetune_steps=3,
        bow_steps=3,
        eval_every=3,
    )
    p = argparse.ArgumentParser(prog="python -m minilm finetune", description=main.__doc__)
    p.add_argument(
        "--small",
        action="store_true",
        help="a tiny model and a few steps (seconds; for tests, not for numbers)",
    )
    p.add_argument(
        "--pretrain-steps",
        type=argtypes.positive_int,
        help=f"MLM steps (default {d.pretrain_steps})",
    )
    p.add_argument(
        "--finetune-steps",
        type=argtypes.positive_int,
        help=f"steps per transformer classifier (default {d.finetune_steps})",
    )
    p.add_argument(
        "--bow-steps",
        type=argtypes.positive_int,
        help=f"steps per bag-of-words classifier (default {d.bow_steps})",
    )
    p.add_argument(
        "--pretrain-batch",
        type=argtypes.positive_int,
        help=f"sequences per MLM step (default {d.pretrain_batch})",
    )
    p.add_argument(
        "--d-model", type=argtypes.positive_int, help=f"transformer width (default {d.d_model})"
    )
    p.add_argument(
        "--n-layer", type=argtypes.positive_int, help=f"transformer layers (default {d.n_layer})"
    )
    p.add_argument(
        "--n-head", type=argtypes.positive_int, help=f"attention heads (default {d.n_head})"
    )
    p.add_argument(
        "--eval-every",
        type=argtypes.positive_int,
        help=f"steps between validation checks (default {d.eval_every})",
    )
    p.add_argument("--seed", type=argtypes.seed, default=d.seed)
    p.add_argument("--no-multilabel", action="store_true", help="the sentiment table only")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument(
        "--pairs",
        action="store_true",
        help="pretrain on sentence pairs [CLS] A [SEP] B [SEP] (with segment embeddings) "
        "from the sentiment files in file order, not on single sentences",
    )
    p.add_argument(
        "--nsp",
        action="store_true",
        help="pretrain on sentence pairs with the MLM loss plus next-sentence prediction "
        "(B follows A half the time); prints its accuracy on held-out pairs",
    )
    p.add_argument(
        "--nsp-ablation",
        action="store_true",
        help="for each of --seeds, fine-tune encoders pretrained on single sentences, on "
        "pairs, and on pairs with NSP, and print a table of their test scores",
    )
    p.add_argument(
        "--seeds",
        type=argtypes.seed,
        nargs="+",
        default=[0, 1, 2],
        metavar="SEED",
        help="the seeds of --nsp-ablation (default 0 1 2)",
    )
    p.add_argument(
        "--save-encoder",
        metavar="PATH",
        help="only MLM-pretrain the encoder (these options) and write it to PATH (.safetensors): "
        "how minilm/data/pretrained/ch08_mlm_encoder.safetensors was made",
    )
    p.add_argument(
        "--save",
        metavar="PATH",
        help="write the pretrained + fine-tuned sentiment classifier (the table's first row), "
        "with its labels and test scores, to PATH (.safetensors), for python -m minilm serve",
    )
    args = p.parse_args(argv)
    base = small if args.small else d
    given = {
        "pretrain_steps": args.pretrain_steps,
        "pretrain_batch": args.pretrain_batch,
        "finetune_steps": args.finetune_steps,
        "bow_steps": args.bow_steps,
        "d_model": args.d_model,
        "n_layer": args.n_layer,
        "n_head": args.n_head,
        "eval_every": args.eval_every,
    }
    c = replace(
        base,
        **{k: v for k, v in given.items() if v is not None},
        seed=args.seed,
        multilabel=not args.no_multilabel,
        pretrain_pairs=args.pairs,
        nsp=args.nsp,
    )
    if c.d_model % c.n_head:
        p.error(f"--d-model ({c.d_model}) must be divisible by --n-head ({c.n_head})")
    if args.nsp_ablation and (args.pairs or args.nsp or args.save_encoder):
        p.error("--nsp-ablation pretrains every way itself: leave out --pairs, --nsp and "
                "--save-encoder")  # fmt: skip
    if args.save and (args.save_encoder or args.nsp_ablation):
        p.error("--save writes the classifier of the comparison: leave out --save-encoder and "
                "--nsp-ablation")  # fmt: skip
    print(f"config: {c}")
    if args.save_encoder:
        task = TextTask.load()
        bert, info = pretrain_encoder(c, task, progress=not args.no_progress)
        save_encoder(args.save_encoder, bert, task, info)
        what = "MLM + NSP" if c.nsp else "MLM"
        print(f"{what} loss {info['first_loss']:.2f} -> {info['last_loss']:.2f} nats in "
              f"{info['seconds']:.0f} s; wrote {args.save_encoder}")  # fmt: skip
        if "nsp_accuracy" in info.get("pairs", {}):
            print(f"NSP accuracy on held-out pairs: {info['pairs']['nsp_accuracy']:.3f}")
        return 0
    if args.nsp_ablation:
        print(format_nsp_table(compare_nsp(c, args.seeds, progress=not args.no_progress)))
        return 0
    task = TextTask.load()
    results = compare(c, task, progress=not args.no_progress, keep=bool(args.save))
    print(format_tables(results))
    if args.save:
        row = results["sentiment"][0]
        metrics = {"test_accuracy": row["accuracy"], "test_f1": row["f1"],
                   "val_accuracy": row["val_accuracy"]}  # fmt: skip
        save_classifier(args.save, results["classifier"], task, metrics, step=c.finetune_steps)
        print(f"wrote {args.save} ({row['model']}: test accuracy {row['accuracy']:.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
