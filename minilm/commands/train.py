"""``python -m minilm train``: any rung of the model ladder, trained on any text, saved.

    python -m minilm train --model gpt --text my.txt --save my-gpt.safetensors
    python -m minilm generate my-gpt.safetensors --prompt "Once upon"

Data-parallel across K processes: ``mpiexec -n K python -m minilm train ...``
(``pip install 'minilm[parallel]'``) trains the same model as one process with
``--accumulate K`` would, to rounding; only rank 0 prints and saves. Mixed
precision: ``--precision fp16`` (dynamic loss scaling; ``--loss-scale`` fixes
it) or ``bf16``, emulated on the CPU (:mod:`minilm.precision`).

The text is a bundled corpus (``--corpus names``) or your own UTF-8 file
(``--text PATH``), split 90/5/5 by lines or by blocks (see
:mod:`minilm.data.text`). The model trains with the tour's settings for that
kind of text (:func:`minilm.tour.sizes_for`), shows the same progress bar and
validation loss, and is saved as a self-describing model file
(:func:`minilm.checkpoint.save_model`) that ``generate``, ``export`` and
:func:`minilm.load_model` read.
"""

from __future__ import annotations

import math
import os
import sys

from .. import argtypes, distributed
from ..checkpoint import save_model
from ..ngram import SMOOTHINGS
from ..precision import PRECISIONS
from ..precision import describe as describe_precision
from ..tour import (
    Settings,
    gpt_rung,
    load_corpus,
    mlp_rung,
    neural_bigram_rung,
    ngram_rung,
    rnn_rung,
)

MODELS = ("ngram", "bigram", "mlp", "rnn", "lstm", "gru", "gpt")


def add_arguments(parser) -> None:
    parser.add_argument(
        "--model",
        required=True,
        choices=MODELS,
        help="ngram: counted (--order, --smoothing); bigram: the neural table; "
        "mlp, rnn, lstm, gru, gpt",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--corpus", choices=["names", "tinyshakespeare"], help="a bundled corpus")
    source.add_argument("--text", type=argtypes.existing_file, help="your own UTF-8 text file")
    parser.add_argument(
        "--tokenizer",
        choices=["char", "bpe"],
        default="char",
        help="characters (default) or byte-level BPE learned on the train "
        "split (neural models, your --text)",
    )
    parser.add_argument(
        "--vocab-size",
        type=argtypes.positive_int,
        default=512,
        help="BPE vocabulary: 256 bytes + merges (default 512)",
    )
    parser.add_argument(
        "--split-by",
        choices=["lines", "blocks"],
        default=None,
        help="how to split your text (default: lines for short records, blocks for running text)",
    )
    parser.add_argument(
        "--order", type=argtypes.ngram_order, default=None, help="n-gram order (default 6)"
    )
    parser.add_argument(
        "--smoothing",
        choices=list(SMOOTHINGS),
        default="kneser-ney",
        help="n-gram smoothing (default kneser-ney)",
    )
    parser.add_argument(
        "--steps",
        type=argtypes.positive_int,
        default=None,
        help="optimizer steps (default: the tour's for this kind of text)",
    )
    parser.add_argument(
        "--accumulate",
        type=argtypes.positive_int,
        default=1,
        help="micro-batches per optimizer step (a K times larger batch)",
    )
    parser.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="fp32",
        help="fp32 (default), fp16 (with loss scaling) or bf16 mixed precision; "
        "emulated on the CPU (neural models)",
    )
    parser.add_argument(
        "--loss-scale",
        type=argtypes.loss_scale,
        default="dynamic",
        help="fp16's loss scale: dynamic (default: from 65536, halved on overflow) "
        "or a fixed number (1 = no scaling)",
    )
    parser.add_argument("--full", action="store_true", help="the tour's bigger sizes")
    parser.add_argument("--device", default="cpu", type=argtypes.device, help="cpu or cuda")
    parser.add_argument("--seed", type=argtypes.seed, default=0)
    parser.add_argument(
        "--samples",
        type=argtypes.nonnegative_int,
        default=3,
        help="samples to print after training (default 3)",
    )
    parser.add_argument(
        "--save",
        required=True,
        type=argtypes.output_file,
        help="the model file to write (e.g. model.safetensors)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")


def rung_for(args):
    if args.model == "ngram":
        return ngram_rung(args.order, args.smoothing)
    if args.order is not None or args.smoothing != "kneser-ney":
        raise ValueError("--order and --smoothing are for --model ngram")
    return {
        "bigram": neural_bigram_rung,
        "mlp": mlp_rung,
        "rnn": rnn_rung("rnn"),
        "lstm": rnn_rung("lstm"),
        "gru": rnn_rung("gru"),
        "gpt": gpt_rung,
    }[args.model]


def describe(corpus) -> str:
    unit = "characters" if corpus.chars is None else "tokens"
    sizes = " / ".join(
        f"{s} {sum(len(x) for x in corpus.split(s)):,}" for s in ("train", "val", "test")
    )
    how = {
        "lines": "by lines (short records, shuffled)",
        "blocks": "by blocks (running text, in order)",
    }.get(corpus.rule, "minilm's fixed split")
    kind = "BPE" if corpus.chars is not None else "character"
    bounds = " (with each line's boundaries)" if not corpus.stream else ""
    return (
        f"{corpus.name}: split {how}: {sizes} {unit}{bounds}; "
        f"{kind} vocabulary of {corpus.vocab_size:,}"
    )


def main(args) -> int:
    if args.model == "ngram" and args.tokenizer != "char":
        print("train: error: n-gram models count characters: use --tokenizer char", file=sys.stderr)
        return 2
    problem = None
    if args.loss_scale != "dynamic" and args.precision != "fp16":
        problem = "--loss-scale is for --precision fp16"
    elif args.model == "ngram" and args.precision != "fp32":
        problem = "--precision is for the neural models (an n-gram model counts)"
    try:
        world = distributed.world()
    except RuntimeError as e:
        problem = str(e)
        world = None
    if world is not None and world.size > 1 and args.model == "ngram":
        problem = "an n-gram model counts, it does not train: run it as one process"
    if problem:
        print(f"train: error: {problem}", file=sys.stderr)
        if world is not None:
            world.abort(2)  # under mpiexec: the other processes must not wait for this one
        return 2
    root = world.is_root
    out = sys.stdout if root else open(os.devnull, "w")  # noqa: SIM115 - closed below
    try:
        code = _main(args, world, out)
    finally:
        if not root:
            out.close()
    if code != 0:
        world.abort(code)
    return code


def _main(args, world, out) -> int:
    settings = Settings(
        corpus=args.corpus or "names",
        device=args.device,
        full=args.full,
        seed=args.seed,
        steps=args.steps,
        progress=not args.no_progress,
        samples=args.samples,
        text=None if args.text is None else str(args.text),
        tokenizer=args.tokenizer,
        vocab_size=args.vocab_size,
        split_by=args.split_by,
        accumulate=args.accumulate,
        precision=args.precision,
        loss_scale=args.loss_scale,
        world=world if world.size > 1 else None,
    )
    try:
        rung = rung_for(args)
        corpus = load_corpus(settings)
        print(describe(corpus), flush=True, file=out)
        if args.model != "ngram" and args.precision != "fp32":
            print(describe_precision(args.precision, args.device), flush=True, file=out)
        if world.size > 1:
            print(f"data parallel: {world.size} processes, {args.accumulate} micro-batch(es) "
                  f"each a step (as one process with --accumulate "
                  f"{world.size * args.accumulate})", flush=True, file=out)  # fmt: skip
        result = rung(corpus, settings)
    except (ValueError, OSError) as e:
        print(f"train: error: {e}", file=sys.stderr)
        return 2
    if not world.is_root:
        return 0  # rank 0 reports and saves
    ppl = math.exp(result.test_nats)
    scale = (
        ""
        if corpus.chars is None
        else (
            "  (BPE: the test split's total nats / its characters, so it compares with char models)"
        )
    )
    print(
        f"\nmodel       {result.model}\nparameters  {result.params:,}\n"
        f"train time  {result.train_s:.1f} s\n"
        f"test loss   {result.test_nats:.3f} nats per character "
        f"(perplexity {ppl:.2f}){scale}"
    )
    history = result.history
    if history is not None and history.loss_scale:
        print(f"loss scale  {history.loss_scale[-1]:g} at the end; "
              f"{len(history.overflows)} step(s) skipped for overflow")  # fmt: skip
    if history is not None and history.parallel:
        par = history.parallel
        print(f"allreduce   {par['allreduces_per_step']} a step ({par['buckets']} buckets), "
              f"{par['mb_per_step']:.2f} MB a step, "
              f"{1000 * par['comm_seconds_per_step']:.1f} ms a step communicating")  # fmt: skip
    for sample in result.samples:
        shown = sample.replace("\n", " / ") if not corpus.stream else sample
        print(f"sample      {shown}" if not corpus.stream else f"--- sample ---\n{shown}")
    tokenizers = {} if args.model == "ngram" else {"text": corpus.tokenizer}
    text_info = {
        "source": corpus.name,
        "split": corpus.rule or "fixed",
        "stream": corpus.stream,
        "boundary": corpus.boundary,
        "start_id": int(corpus.pad_id),
    }
    metrics = {
        "test_nats_per_char": round(result.test_nats, 6),
        "train_seconds": round(result.train_s, 2),
        "parameters": result.params,
    }
    save_model(args.save, result.lm, tokenizers, metrics=metrics, step=result.steps, text=text_info)
    path = os.path.abspath(args.save)
    print(f"\nsaved to {path}\n(generate: python -m minilm generate {args.save} --prompt ...)")
    return 0
