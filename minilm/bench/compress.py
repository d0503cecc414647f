"""The compression table: one trained GPT, every way of making it smaller, measured.

``python -m minilm.bench compress [--quick] [--finetune-steps N] [--distill-steps N]
[--tokens N] [--ladder] [--seed S] [--out DIR]``

Every row starts from the same checkpoint, the GPT chapter 07 ships
(``minilm/data/pretrained/ch07_gpt_tinyshakespeare.safetensors``: 2 layers, 4
heads, width 64, context 64, 108,352 parameters, trained 6000 steps on
tinyshakespeare by the command in chapter 07's README), and is scored on the
same split. The columns:

- **bytes**: what the model's numbers take to store. float32: 4 a parameter
  (the tied embedding once); fp16/bf16: 2; quantized: the integers (a byte for
  int8, half for int4) and their float32 scales, plus the parameters left float
  (biases, norms); pruned: a sparse layout, the kept values (4 bytes each) and a
  bitmask of 1 bit per prunable weight, plus the dense rest.
- **params**: parameters; for the pruned rows, the non-zero ones.
- **val nats/char**: on tinyshakespeare's whole validation split (55,780
  characters, every position scored with the context before it in its 64-wide
  window, as ``minilm.recipes.gpt.evaluate_gpt`` does).
- **ms / 1k tokens**: CPU milliseconds to sample 1000 characters with the KV
  cache (one BLAS thread, median of ``--repeats``). NumPy has no fast int8 or
  float16 matrix product: the int8 rows multiply integers without BLAS, fp16 and
  bf16 are emulated by rounding float32 arrays, and a pruned matrix is still
  dense; so those rows are slower here, and the column says what this machine
  does, not what int8 or sparse hardware would.

The rows that train after the checkpoint (a fine-tune, quantization-aware
training, pruning's fine-tune, structural pruning's fine-tune) all train
``--finetune-steps`` steps with the same recipe (AdamW at 3e-4, no warmup,
cosine decay, batch 32); "fp32, fine-tuned" is the control for them: what the
same extra training gives the unpruned float model. The distilled student and
the same student trained from scratch train ``--distill-steps`` steps.

``--curve`` adds the sparsity curve (``pruning.png``): global, per-layer and
iterative magnitude pruning at 50, 75 and 90%, before and after fine-tuning.
``--ladder`` adds the names ladder: the tour's neural rungs trained on names
(``minilm.tour``), each quantized weight-only (``minilm.quantize.quantize_weights_``:
every 2-D weight, recurrent cells included) and scored on the names test split.

Writes ``compress.json``, ``compress.md`` and ``compress.png`` (validation
nats/char against bytes, a point per row) to ``--out``. A notebook calls
:func:`run`, :func:`format_table` and :func:`plot`.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import os
import time
from importlib import resources

from .. import argtypes
from ..backend import np
from ..data import lm_batch
from ..data.lm_corpus import CharCorpus
from ..precision import autocast, low_dtype, round_array
from ..recipes.gpt import evaluate_gpt
from . import argument_parser, blas_threads

__all__ = ["checkpoint_path", "load_checkpoint", "measure", "run", "pruning_curve", "ladder",
           "format_table", "format_ladder", "plot"]  # fmt: skip

FINETUNE_STEPS = 300
DISTILL_STEPS = 2000
TOKENS = 1000
QUICK = {"finetune_steps": 4, "distill_steps": 4, "tokens": 40, "max_chars": 3000, "repeats": 1}


def checkpoint_path():
    """The one checkpoint every row starts from (chapter 07's shipped GPT)."""
    return resources.files("minilm.data") / "pretrained" / "ch07_gpt_tinyshakespeare.safetensors"


def load_checkpoint():
    """A fresh copy of the checkpoint's GPT (eval mode)."""
    from ..checkpoint import load_model

    model, _, _ = load_model(checkpoint_path())
    model.eval()
    return model


def _count(model) -> int:
    return sum(p.size for p in model.parameters())  # a tied tensor once


def _bytes_dense(model, per: int = 4) -> int:
    return per * _count(model)


def _bytes_quantized(model, stats) -> int:
    """The integers and scales, plus every parameter left float (4 bytes each)."""
    return stats["quantized_bytes"] + 4 * _count(model)  # replaced tables hold no Parameters


def _bytes_sparse(model) -> int:
    from ..prune import prunable

    weights = {id(p) for _, p in prunable(model)}
    kept = sum(int((p.data != 0).sum()) for _, p in prunable(model))
    n = sum(p.size for _, p in prunable(model))
    rest = sum(p.size for p in model.parameters() if id(p) not in weights)
    return 4 * kept + math.ceil(n / 8) + 4 * rest


def _sample_seconds(model, tokens: int, seed: int, precision: str = "fp32") -> float:
    """CPU seconds to sample ``tokens`` characters with the KV cache."""
    with blas_threads(1), precision_context(precision):
        t = time.perf_counter()
        model.generate([0], max_new_tokens=tokens, seed=seed)
        return time.perf_counter() - t


def time_rows(rows: list[dict], models: list, tokens: int = TOKENS, repeats: int = 3,
              precisions=None) -> None:  # fmt: skip
    """Fill each row's ``ms_per_1k_tokens``: the median over ``repeats`` rounds,
    every round sampling from every model in turn (so a busy moment of a shared
    machine slows all rows alike, not one)."""
    precisions = precisions or ["fp32"] * len(models)
    times = [[] for _ in models]
    for r in range(repeats):
        for i, (model, prec) in enumerate(zip(models, precisions)):
            times[i].append(_sample_seconds(model, tokens, r, prec))
    for row, t in zip(rows, times):
        row["ms_per_1k_tokens"] = 1000.0 * float(np.median(t)) * 1000 / tokens


def precision_context(precision: str):
    return autocast(precision) if precision != "fp32" else contextlib.nullcontext()


def _val(model, corpus, max_chars, precision: str = "fp32") -> float:
    with precision_context(precision):
        return corpus.nats_per_char(evaluate_gpt(model, corpus, "val", max_chars=max_chars),
                                    "val")  # fmt: skip


def measure(label: str, model, corpus, nbytes: int, params: int, *, max_chars=None,
            precision: str = "fp32", note: str = "", seconds: float = 0.0) -> dict:  # fmt: skip
    """One row of the table for ``model`` (put in eval mode), but its speed
    (:func:`time_rows` times all rows together)."""
    model.eval()
    return {
        "row": label,
        "bytes": int(nbytes),
        "params": int(params),
        "val_nats_per_char": _val(model, corpus, max_chars, precision),
        "ms_per_1k_tokens": None,
        "train_seconds": seconds,
        "precision": precision,
        "note": note,
    }


def _finetune(model, corpus, steps, seed, masks=None):
    from ..prune import finetune

    t = time.perf_counter()
    finetune(model, corpus, masks, steps, lr=3e-4, seed=seed)
    return time.perf_counter() - t


def _rounded(model, precision):
    """A copy whose weights are stored as ``precision`` holds them (rounded)."""
    m = copy.deepcopy(model)
    for p in m.parameters():
        p.data[...] = round_array(p.data, low_dtype(precision))
    return m


def run(finetune_steps: int = FINETUNE_STEPS, distill_steps: int = DISTILL_STEPS,
        tokens: int = TOKENS, seed: int = 0, repeats: int = 3, max_chars=None,
        progress: bool = True) -> list[dict]:  # fmt: skip
    """Every row of the table, as dicts (see the module docstring for the columns)."""
    from ..distill import distill_student
    from ..prune import (
        magnitude_prune,
        neuron_importance,
        nonzero_parameters,
        prune_heads,
        prune_neurons,
    )
    from ..quantize import prepare_qat, quantize_model

    corpus = CharCorpus.load("tinyshakespeare")
    kw = {"max_chars": max_chars}
    rows, models = [], []

    def add(label, model, *args, **kwargs):
        row = measure(label, model, *args, **kwargs)
        rows.append(row)
        models.append(model)
        if progress:
            print(f"  {row['row']:<52} {row['bytes']:>9,} B  {row['val_nats_per_char']:.4f} "
                  "nats/char", flush=True)  # fmt: skip

    base = load_checkpoint()
    n = _count(base)
    add("fp32 (the checkpoint)", base, corpus, 4 * n, n, **kw)
    tuned = load_checkpoint()
    secs = _finetune(tuned, corpus, finetune_steps, seed)
    add(
        f"fp32, fine-tuned {finetune_steps} steps",
        tuned,
        corpus,
        4 * n,
        n,
        **kw,
        seconds=secs,
        note="the control for every row that trains",
    )
    for prec in ("fp16", "bf16"):
        add(
            prec,
            _rounded(base, prec),
            corpus,
            2 * n,
            n,
            precision=prec,
            **kw,
            note="weights stored in 16 bits; matmuls emulated",
        )
    for scheme, label in (
        ("int8", "int8 per tensor"),
        ("int8-channel", "int8 per channel"),
        ("int4", "int4 groups of 32"),
    ):
        m = load_checkpoint()
        stats = quantize_model(m, scheme)
        note = "embedding int8 per row" if scheme == "int4" else ""
        add(label, m, corpus, _bytes_quantized(m, stats), n, note=note, **kw)
    for scheme, label in (("int8-channel", "QAT int8 per channel"), ("int4", "QAT int4")):
        m = load_checkpoint()
        prepare_qat(m, scheme)
        secs = _finetune(m, corpus, finetune_steps, seed)
        stats = quantize_model(m, scheme)
        add(
            f"{label}, {finetune_steps} steps",
            m,
            corpus,
            _bytes_quantized(m, stats),
            n,
            seconds=secs,
            **kw,
        )
    for sparsity in (0.5, 0.9):
        m = load_checkpoint()
        masks = magnitude_prune(m, sparsity, "global")
        secs = _finetune(m, corpus, finetune_steps, seed, masks)
        add(f"{sparsity:.0%} pruned (global), fine-tuned", m, corpus, _bytes_sparse(m),
            nonzero_parameters(m), seconds=secs, note="dense matmuls", **kw)  # fmt: skip
    m = load_checkpoint()
    gen = np.random.default_rng(seed)
    batches = [lm_batch(corpus.split("train")[0], 32, 64, rng=gen) for _ in range(8)]
    prune_heads(m, 0.5)  # by weight norms; neurons by the first-order (Taylor) loss change
    prune_neurons(m, 0.5, neuron_importance(m, "taylor", batches))
    secs = _finetune(m, corpus, finetune_steps, seed)
    add(
        "structural: half the heads and neurons, fine-tuned",
        m,
        corpus,
        _bytes_dense(m),
        _count(m),
        seconds=secs,
        **kw,
    )
    for alpha, label in ((None, "distilled student"), (0.0, "the same student from scratch")):
        t = time.perf_counter()
        student = distill_student(base, corpus, distill_steps, seed=seed, kind="gpt", alpha=alpha)
        secs = time.perf_counter() - t
        c = student.config
        add(
            f"{label} ({c.n_layer} layers, width {c.n_embd}), {distill_steps} steps",
            student,
            corpus,
            _bytes_dense(student),
            _count(student),
            seconds=secs,
            **kw,
        )
    time_rows(rows, models, tokens, repeats, [r["precision"] for r in rows])
    return rows


def pruning_curve(finetune_steps: int = FINETUNE_STEPS, seed: int = 0, max_chars=None,
                  sparsities=(0.0, 0.5, 0.75, 0.9), path=None) -> list[dict]:  # fmt: skip
    """Validation nats/char of the checkpoint pruned to each sparsity, globally and
    per layer, straight after pruning and after ``finetune_steps`` of masked
    fine-tuning; and pruned iteratively (each sparsity in turn, fine-tuning
    ``finetune_steps`` after each). Plotted to ``path`` when given."""
    from ..prune import iterative_prune, plot_sparsity_curve, sparsity_curve

    corpus = CharCorpus.load("tinyshakespeare")
    kw = {"lr": 3e-4, "max_chars": max_chars, "seed": seed}
    rows = []
    for scope in ("global", "layer"):
        rows += sparsity_curve(load_checkpoint, corpus, sparsities, finetune_steps, scope, **kw)
    iterative = iterative_prune(load_checkpoint(), corpus, [s for s in sparsities if s > 0],
                                finetune_steps, scope="global", **kw)  # fmt: skip
    rows += [{**r, "scope": "global, iterative", "finetune_steps": finetune_steps}
             for r in iterative]  # fmt: skip
    if path is not None:
        base = next(r["val_before"] for r in rows if r["sparsity"] == 0.0)
        ax = plot_sparsity_curve(rows, baseline=base)
        ax.set_title("Magnitude pruning of the chapter 7 GPT (tinyshakespeare)")
        ax.figure.tight_layout()
        ax.figure.savefig(path, dpi=120)
    return rows


def ladder(seed: int = 0, steps=None, progress: bool = True) -> list[dict]:
    """The names ladder's neural rungs, each trained as the tour trains it and then
    quantized weight-only by every scheme: rows of test nats/char."""
    from ..quantize import SCHEMES, quantize_weights_
    from ..tour import Settings, load_corpus, run_ladder

    settings = Settings(corpus="names", seed=seed, steps=steps, progress=False, samples=0)
    corpus = load_corpus(settings)
    rows = []
    for trained in run_ladder(settings, ["mlp", "rnn", "lstm", "gru", "gpt"], corpus):
        row = {"model": trained.model, "params": trained.params, "fp32": trained.test_nats,
               "float_bytes": 4 * trained.params}  # fmt: skip
        for scheme in SCHEMES:
            m = copy.deepcopy(trained.lm)
            stats = quantize_weights_(m, scheme)
            m.eval()
            nats = corpus.nats_per_char(trained.evaluate(m, corpus, "test"), "test")
            row[scheme] = nats
            row[f"{scheme}_bytes"] = stats["quantized_bytes"] + 4 * (
                trained.params - stats["float_bytes"] // 4
            )
        rows.append(row)
        if progress:
            print(f"  {row['model']}: " + ", ".join(f"{k} {row[k]:.4f}" for k in
                                                    ("fp32", *SCHEMES)), flush=True)  # fmt: skip
    return rows


def format_table(rows: list[dict]) -> str:
    base = rows[0]
    head = ("| model | bytes | × smaller | params | val nats/char | Δ vs checkpoint | "
            "ms / 1k tokens | note |\n|---|---:|---:|---:|---:|---:|---:|---|")  # fmt: skip
    lines = [head]
    for r in rows:
        delta = r["val_nats_per_char"] - base["val_nats_per_char"]
        lines.append(
            f"| {r['row']} | {r['bytes']:,} | {base['bytes'] / r['bytes']:.1f} | "
            f"{r['params']:,} | {r['val_nats_per_char']:.4f} | {delta:+.4f} | "
            f"{r['ms_per_1k_tokens']:.0f} | {r['note']} |"
        )
    return "\n".join(lines)


def format_ladder(rows: list[dict]) -> str:
    from ..quantize import SCHEMES

    head = (
        "| model | params | fp32 | "
        + " | ".join(SCHEMES)
        + " |\n|---|---:|"
        + "---:|" * (1 + len(SCHEMES))
    )
    lines = [head]
    for r in rows:
        cells = " | ".join(f"{r[s]:.4f} ({r[f'{s}_bytes'] / r['float_bytes']:.0%})"
                           for s in SCHEMES)  # fmt: skip
        lines.append(f"| {r['model']} | {r['params']:,} | {r['fp32']:.4f} | {cells} |")
    return "\n".join(lines)


_SHORT = (("fp32 (the", "fp32", "C0"), ("fp32, fine", "fp32 + fine-tune", "C0"),
          ("fp16", "fp16", "C1"), ("bf16", "bf16", "C1"), ("int8 per tensor", "int8", "C2"),
          ("int8 per channel", "int8/channel", "C2"), ("int4", "int4", "C2"),
          ("QAT int8", "QAT int8", "C3"), ("QAT int4", "QAT int4", "C3"),
          ("50%", "50% pruned", "C4"), ("90%", "90% pruned", "C4"),
          ("structural", "structural", "C5"), ("distilled", "distilled", "C6"),
          ("the same student", "student from scratch", "C6"))  # fmt: skip


def _short(label: str) -> tuple[str, str]:
    return next(((s, c) for key, s, c in _SHORT if label.startswith(key)), (label, "C7"))


def plot(rows: list[dict], path=None):
    """Validation nats/char against bytes (log scale), a labelled point per row:
    every row on the left, the rows within 0.1 nats/char of the checkpoint on the
    right. Returns the figure."""
    from ..plot import pyplot

    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.2))
    base = rows[0]["val_nats_per_char"]
    near = [r for r in rows if r["val_nats_per_char"] < base + 0.1]
    panels = ((axes[0], rows, "every row"), (axes[1], near, "within 0.1 nats/char of fp32"))
    for ax, shown, title in panels:
        ordered = sorted(shown, key=lambda r: (r["bytes"], r["val_nats_per_char"]))
        for i, r in enumerate(ordered):
            label, color = _short(r["row"])
            x, y = r["bytes"], r["val_nats_per_char"]
            ax.scatter(x, y, color=color, s=30, zorder=3)
            if ax is axes[0] and r in near:
                continue  # labelled in the zoom on the right
            ax.annotate(label, (x, y), textcoords="offset points", fontsize=8,
                        xytext=(6, 4) if i % 2 else (6, -10))  # fmt: skip
        ax.axhline(base, color="gray", lw=1, ls=":", label="the checkpoint")
        ax.set_xscale("log")
        ax.set_xlabel("bytes to store the model (log scale)")
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3, which="both")
        ax.margins(x=0.15, y=0.08)
    axes[0].axhspan(base - 0.02, base + 0.1, color="gray", alpha=0.1, label="the zoom, right")
    axes[0].set_ylabel("validation nats/char (lower is better)")
    axes[0].legend(fontsize=8, loc="upper right")
    fig.suptitle("One GPT made smaller: size against quality (chapter 7's GPT, tinyshakespeare)")
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig


def main(argv=None) -> int:
    parser = argument_parser("compress", __doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: a few steps, a short sample, part of the split",
    )
    parser.add_argument(
        "--finetune-steps",
        type=argtypes.nonnegative_int,
        default=None,
        help=f"steps for every row that trains (default {FINETUNE_STEPS})",
    )
    parser.add_argument(
        "--distill-steps",
        type=argtypes.positive_int,
        default=None,
        help=f"steps for the students (default {DISTILL_STEPS})",
    )
    parser.add_argument(
        "--tokens",
        type=argtypes.positive_int,
        default=None,
        help=f"characters sampled for the speed column (default {TOKENS})",
    )
    parser.add_argument(
        "--repeats",
        type=argtypes.positive_int,
        default=None,
        help="timed samples per row; the median counts (default 3)",
    )
    parser.add_argument(
        "--ladder",
        action="store_true",
        help="also quantize the names ladder's neural rungs (a few minutes)",
    )
    parser.add_argument("--curve", action="store_true",
                        help="also the sparsity curve, pruning.png (several minutes)")  # fmt: skip
    parser.add_argument("--seed", type=argtypes.seed, default=0)
    parser.add_argument("--out", default="bench-out", help="folder for compress.json/.md/.png")
    args = parser.parse_args(argv)
    defaults = {"finetune_steps": FINETUNE_STEPS, "distill_steps": DISTILL_STEPS,
                "tokens": TOKENS, "repeats": 3, **(QUICK if args.quick else {})}  # fmt: skip
    given = {k: getattr(args, k) for k in ("finetune_steps", "distill_steps", "tokens", "repeats")}
    settings = {k: defaults[k] if v is None else v for k, v in given.items()}
    settings["max_chars"] = defaults.get("max_chars")
    t0 = time.perf_counter()
    rows = run(seed=args.seed, **settings)
    table = format_table(rows)
    print("\n" + table)
    extra = {}
    if args.ladder:
        print("\nthe names ladder, quantized weight-only (test nats/char; bytes vs float32):")
        lad = ladder(args.seed, steps=5 if args.quick else None)
        extra["ladder"] = lad
        table += "\n\n" + format_ladder(lad)
        print(format_ladder(lad))
    os.makedirs(args.out, exist_ok=True)
    if args.curve:
        print("\nthe sparsity curve (val nats/char):")
        curve = pruning_curve(settings["finetune_steps"], args.seed, settings["max_chars"],
                              path=os.path.join(args.out, "pruning.png"))  # fmt: skip
        extra["curve"] = curve
        for r in curve:
            print(f"  {r['scope']:>17} {r['sparsity']:.0%}: pruned {r['val_before']:.4f}, "
                  f"fine-tuned {r['val_after']:.4f}")  # fmt: skip
    print(f"\n({time.perf_counter() - t0:.0f} s; CPU: int8, fp16/bf16 and sparse rows have no "
          "fast kernel here, see --help)")  # fmt: skip
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "compress.json"), "w") as f:
        json.dump({"settings": settings, "rows": rows, **extra}, f, indent=1)
    with open(os.path.join(args.out, "compress.md"), "w") as f:
        f.write(table + "\n")
    plot(rows, os.path.join(args.out, "compress.png"))
    print(f"wrote compress.json, compress.md and compress.png to {args.out}"
          + (" (and pruning.png)" if args.curve else ""))  # fmt: skip
    return 0
