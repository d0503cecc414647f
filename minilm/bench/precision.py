"""Mixed precision measured: fp32, fp16 with loss scaling, fp16 without, bf16.

``python -m minilm.bench precision [--quick] [--models gpt,lstm]
[--corpora names,tinyshakespeare] [--steps N] [--out DIR]``

Trains the same model from the same seed on the same batches once per
precision, and reports for each run the final validation loss (nats per
character), how many of one batch's gradient entries underflow to zero at the
end of training when the backward pass is rounded to the low format without
scaling (``minilm.precision.gradient_underflow``), the steps the loss scaler
skipped and its final scale. Models: the small GPT (``CONFIGS["small"]``: 4
layers, width 128) and the tour's LSTM, on names and on tinyshakespeare.

On the CPU low precision is *emulated* (see :mod:`minilm.precision`): the
losses are what float16/bfloat16 rounding does to training, but the seconds
are not a speed measurement (rounding costs extra on the CPU; on a GPU the
low-precision matmuls are the fast part). Writes ``precision.json`` and
``precision.md`` (the table) to ``--out``.
"""

from __future__ import annotations

import json
import os
import time

import minilm
from minilm import argtypes
from minilm.bench import argument_parser
from minilm.data import lm_batch
from minilm.data.lm_corpus import CharCorpus, padded_batch
from minilm.models.gpt import CONFIGS, GPT, GPTConfig
from minilm.models.rnn_lm import RNNLM, RNNLMConfig
from minilm.precision import gradient_underflow
from minilm.recipes.gpt import GPTTrainConfig, evaluate_gpt, train_gpt
from minilm.recipes.rnn_lm import RNNTrainConfig, evaluate_rnn_lm, train_rnn_lm
from minilm.tour import SIZES
from minilm.train import cross_entropy_loss

__all__ = ["RUNS", "run_one", "run", "format_table", "main"]

# (label, precision, loss_scale)
RUNS = [
    ("fp32", "fp32", "dynamic"),
    ("fp16 + dynamic loss scaling", "fp16", "dynamic"),
    ("fp16, no loss scaling", "fp16", 1.0),
    ("bf16", "bf16", "dynamic"),
]
STEPS = {("gpt", "names"): 400, ("gpt", "tinyshakespeare"): 300,
         ("lstm", "names"): 1000, ("lstm", "tinyshakespeare"): 400}  # fmt: skip
QUICK_STEPS = 60


def _gpt(corpus, precision, loss_scale, steps, seed, shrink=0):
    block = 64 if corpus.stream else max(64, max(len(s) for s in corpus.split("train")))
    cfg = GPTConfig(**{**CONFIGS["small"].to_dict(), "vocab_size": corpus.vocab_size,
                       "block_size": block})  # fmt: skip
    minilm.manual_seed(seed)
    model = GPT(cfg)
    config = GPTTrainConfig(steps=steps, batch_size=32, lr=1e-3, warmup=min(100, steps // 5),
                            seed=seed, precision=precision, loss_scale=loss_scale)  # fmt: skip
    history = train_gpt(model, corpus, config, progress=False, loss_fn=_loss_for("gpt", shrink))
    return model, history, lambda m: evaluate_gpt(m, corpus, "val")


def _lstm(corpus, precision, loss_scale, steps, seed, shrink=0):
    if shrink:
        raise ValueError("shrink is measured on the GPT only")
    options = dict(SIZES[corpus.name, "default"]["rnn"])
    model_kw = {k: options.pop(k) for k in ("embed_dim", "hidden_size") if k in options}
    options.pop("steps", None)
    minilm.manual_seed(seed)
    model = RNNLM(RNNLMConfig(corpus.vocab_size, cell="lstm", **model_kw))
    config = RNNTrainConfig(steps=steps, seed=seed, precision=precision, loss_scale=loss_scale,
                            **options)  # fmt: skip
    history = train_rnn_lm(model, corpus, config, progress=False)
    return model, history, lambda m: evaluate_rnn_lm(m, corpus, "val")


def _probe_batch(corpus, model_name):
    """One training batch, to measure gradient underflow on."""
    gen = minilm.backend.np.random.default_rng(123)
    if corpus.stream:
        return lm_batch(corpus.split("train")[0], 32, 64, rng=gen)
    seqs = corpus.split("train")
    return padded_batch([seqs[i] for i in gen.integers(0, len(seqs), 32)], "cpu")


def _loss_for(model_name, shrink=0):
    """The training loss; with ``shrink``, times 2**-shrink: the gradients of a
    2**shrink times larger batch's mean loss."""
    if model_name == "gpt":
        if not shrink:
            return cross_entropy_loss
        return lambda model, batch: cross_entropy_loss(model, batch) * 2.0**-shrink
    return lambda model, batch: minilm.functional.cross_entropy(model(batch[0])[0], batch[1])


def run_one(model_name: str, corpus: CharCorpus, precision: str, loss_scale, steps: int,
            seed: int = 0, shrink: int = 0) -> dict:  # fmt: skip
    """Train one model in one precision; the row of the table, as a dict.
    ``shrink``: train on the loss times 2**-shrink, whose gradients are as small as
    those of a 2**shrink times larger batch (Adam's step hardly depends on the
    scale; gradient clipping stops acting, and at 2**-16 Adam's eps matters: compare
    with the fp32 run of the same ``shrink``). Validation runs in float32."""
    build = {"gpt": _gpt, "lstm": _lstm}[model_name]
    t0 = time.perf_counter()
    model, history, evaluate = build(corpus, precision, loss_scale, steps, seed, shrink)
    seconds = time.perf_counter() - t0
    model.eval()
    val = corpus.nats_per_char(evaluate(model), "val")
    low = "fp16" if precision == "fp32" else precision
    under = gradient_underflow(model, _loss_for(model_name, shrink),
                               _probe_batch(corpus, model_name), low, 1.0)  # fmt: skip
    return {
        "model": model_name,
        "corpus": corpus.name,
        "precision": precision,
        "loss_scale": loss_scale,
        "steps": steps,
        "shrink": shrink,
        "val_nats_per_char": val,
        "underflow_unscaled": under["underflow"],
        "overflow_steps": len(history.overflows),
        "final_scale": history.loss_scale[-1] if history.loss_scale else None,
        "seconds": seconds,
    }


def run(models=("gpt", "lstm"), corpora=("names", "tinyshakespeare"), steps=None,
        quick: bool = False, seed: int = 0, runs=RUNS, log=print,
        shrink: int = 12) -> list[dict]:  # fmt: skip
    """Every (model, corpus, precision) run; ``steps`` overrides :data:`STEPS`.
    With ``shrink``, three more GPT runs on names (fp32, fp16 scaled and
    unscaled) on the loss times 2**-shrink: where unscaled fp16 fails."""
    rows = []
    for corpus_name in corpora:
        corpus = CharCorpus.load(corpus_name, max_chars=200_000 if quick else None)
        for model_name in models:
            n = steps or (QUICK_STEPS if quick else STEPS[model_name, corpus_name])
            for label, precision, loss_scale in runs:
                row = run_one(model_name, corpus, precision, loss_scale, n, seed)
                row["run"] = label
                rows.append(row)
                _log(log, row)
    if shrink and "gpt" in models and "names" in corpora:
        corpus = CharCorpus.load("names")
        n = steps or (QUICK_STEPS if quick else STEPS["gpt", "names"])
        for label, precision, loss_scale in runs[:3]:
            row = run_one("gpt", corpus, precision, loss_scale, n, seed, shrink)
            row["run"] = f"{label}, loss x 2^-{shrink}"
            rows.append(row)
            _log(log, row)
    return rows


def _log(log, row):
    if log:
        log(
            f"{row['model']:4s} {row['corpus']:15s} {row['run']:40s} val "
            f"{row['val_nats_per_char']:.4f} nats/char ({row['seconds']:.0f} s)"
        )


def format_table(rows: list[dict]) -> str:
    """The rows as a markdown table."""
    head = ("| model | corpus | steps | precision | val nats/char | Δ vs fp32 | "
            "grad. entries lost to fp16/bf16 underflow unscaled | overflow steps skipped "
            "| final loss scale |")  # fmt: skip
    lines = [head, "|" + " --- |" * 9]
    base = {(r["model"], r["corpus"], r["shrink"]): r["val_nats_per_char"] for r in rows
            if r["precision"] == "fp32"}  # fmt: skip
    for r in rows:
        ref = base.get((r["model"], r["corpus"], r["shrink"]))
        delta = "" if ref is None or r["precision"] == "fp32" else \
            f"{r['val_nats_per_char'] - ref:+.4f}"  # fmt: skip
        scale = "" if r["final_scale"] is None else f"{r['final_scale']:g}"
        under = "" if r["precision"] == "fp32" else f"{r['underflow_unscaled']:.3%}"
        over = "" if r["precision"] != "fp16" else str(r["overflow_steps"])
        model = "GPT small" if r["model"] == "gpt" else "LSTM"
        val = f"{r['val_nats_per_char']:.4f}"
        cells = [model, r["corpus"], str(r["steps"]), r["run"], val, delta, under, over, scale]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argument_parser("precision", __doc__)
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_STEPS} steps on 200k characters (a smoke run)")  # fmt: skip
    parser.add_argument("--models", type=argtypes.comma_list(["gpt", "lstm"]),
                        default=["gpt", "lstm"])  # fmt: skip
    parser.add_argument("--corpora", type=argtypes.comma_list(["names", "tinyshakespeare"]),
                        default=["names", "tinyshakespeare"])  # fmt: skip
    parser.add_argument("--steps", type=argtypes.positive_int, default=None,
                        help="steps for every run (default: per model and corpus)")  # fmt: skip
    parser.add_argument("--seed", type=argtypes.seed, default=0)
    parser.add_argument(
        "--shrink",
        type=argtypes.nonnegative_int,
        default=12,
        help="also train the names GPT on the loss x 2^-SHRINK (0: skip; default 12, "
        "where fp32 is barely touched by Adam's eps but unscaled fp16 loses a fifth of "
        "the gradient entries at the start and half by the end)",
    )
    parser.add_argument("--out", default="bench-out", help="folder for precision.json/.md")
    args = parser.parse_args(argv)
    rows = run(args.models, args.corpora, args.steps, args.quick, args.seed, shrink=args.shrink)
    table = format_table(rows)
    print("\n" + table)
    print("\n(CPU: low precision is emulated; the seconds are not a GPU speed measurement)")
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "precision.json"), "w") as f:
        json.dump(rows, f, indent=1)
    with open(os.path.join(args.out, "precision.md"), "w") as f:
        f.write(table + "\n")
    print(f"wrote {os.path.join(args.out, 'precision.json')} and precision.md")
    return 0
