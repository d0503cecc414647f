"""Batch size and learning rate: the linear scaling rule, measured, and where it breaks.

``python -m minilm.bench batch-size [--quick] [--batch-sizes 8,16,...]
[--rules linear,sqrt,fixed] [--examples N] [--seeds 0,1] [--sweep 32,256]
[--out DIR]``

The tour's char GPT (``minilm.tour.GPT_SIZES["default"]``: 2 layers, 4 heads,
width 64, trained with AdamW at batch 32 and lr 3e-3) learns the names corpus
from the same number of training examples (names; about 7.1 predicted
characters each) at every batch size B, so a run takes ``examples / B``
optimizer steps. The peak learning rate follows a rule (:data:`RULES`):
``linear``, lr = 3e-3 * B / 32 (Goyal et al. 2017: with K times the batch,
take K times the step, so that K times fewer steps cover the same ground);
``sqrt``, lr = 3e-3 * sqrt(B / 32) (the noise of a mean gradient over B
examples falls as 1/sqrt(B)); ``fixed``, lr = 3e-3 at every B. The schedule
follows the examples, not the steps, as in Goyal et al.: the warmup lasts the
first 1/12 of the examples (the tour's 50 of 600 steps) and the cosine decay
the rest, to a tenth of the peak. :func:`sweep` (``--sweep``; by default at
B = 32 and 256) trains a batch size at lr 3e-3 times :data:`SWEEP_FACTORS`:
what that batch size reaches on this budget at (nearly) its best lr.

The number is the validation loss after training, in nats per character
(the end-of-name boundary counts as a character), on the whole validation
split (3,203 names, 22,846 predictions). A run whose loss became NaN or
infinite is "diverged" (``fit`` stops it; its loss is None). The noise: a
seed sets the initial weights and the batches, and the table shows the mean
over the seeds ± half their difference. Measured with seeds 0 and 1 at the
default 12,800 names: two seeds differ by under 0.006 nats/char at B <= 32,
by up to 0.03 at B = 64, 0.07 at 128 and 0.1 at 256 (fewer steps end
noisier); a gap between rules counts where it is larger than that.

What it showed (seeds 0, 1; ``python -m minilm.bench batch-size``): the
linear rule keeps the loss flat from B = 8 to 32 (2.245, 2.240, 2.244) and
nearly to 64 (2.267), then breaks: at 128 and 256 its lr (0.012, 0.024) is
too large, and the loss (2.41, 2.63) is far worse than the fixed lr's (2.31,
2.38). Fewer steps hurt even at the right lr: the best of the sweep at
B = 256 (50 steps, lr 3e-3: 2.365) stays above every lr tried at B = 32 (400
steps; best 2.246, at the tour's 3e-3). Below B = 32 AdamW does not need
the smaller step the linear rule gives it (the fixed lr is 0.016 better at
B = 8): Adam's update is normalized, so the square-root rule is the better
guess there.

The runs use one BLAS thread (``threadpoolctl``, when installed): the
matrices are small ((B * ~8 characters) x 64), and on a busy 2-core machine a
second OpenBLAS thread made a batch-8 step 18 times slower (169 ms against 9).

Writes ``batch_size.json`` (``{"meta": ..., "rows": [...]}``, a row per run),
``batch_size.md`` (the tables) and ``batch_size.png`` (the loss against the
batch size, a line per rule; and against the lr for the sweep) to ``--out``.
A notebook calls :func:`run`, :func:`sweep`, :func:`table` and :func:`plot`.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import sys
import time

import minilm
from minilm import argtypes
from minilm.bench import argument_parser, blas_threads
from minilm.data.lm_corpus import CharCorpus
from minilm.models.gpt import GPT, GPTConfig
from minilm.recipes.gpt import GPTTrainConfig, train_gpt
from minilm.tour import GPT_SIZES
from minilm.train import NonFiniteError

__all__ = ["RULES", "BATCH_SIZES", "run", "run_one", "sweep", "table", "plot", "main"]

SIZE = GPT_SIZES["default"]
BASE_BATCH = SIZE["batch_size"]  # 32: the batch the tour tuned its lr for
BASE_LR = SIZE["lr"]  # 3e-3
WARMUP_SHARE = SIZE["warmup"] / SIZE["steps"]  # 50 of 600 steps: the first 1/12 of the examples

# peak lr = BASE_LR * RULES[rule](B / BASE_BATCH)
RULES = {
    "linear": lambda ratio: ratio,
    "sqrt": math.sqrt,
    "fixed": lambda ratio: 1.0,
}
RULE_LABELS = {"linear": "linear: lr ∝ B", "sqrt": "sqrt: lr ∝ √B", "fixed": "fixed lr"}
BATCH_SIZES = (8, 16, 32, 64, 128, 256)
EXAMPLES = 12_800  # names per run: 400 steps at batch 32 (the tour trains on 19,200)
SWEEP_FACTORS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)  # times BASE_LR, for sweep()
SWEEP_BATCHES = (BASE_BATCH, 256)
QUICK = {"batch_sizes": BATCH_SIZES, "rules": ("linear", "fixed"), "examples": 4096}


@functools.lru_cache(maxsize=1)
def _corpus() -> CharCorpus:
    return CharCorpus.load("names")


def _model(corpus: CharCorpus, seed: int) -> GPT:
    longest = max(len(s) for s in corpus.split("train"))
    shape = {k: SIZE[k] for k in ("n_layer", "n_head", "n_embd")}
    block_size = max(SIZE["block_size"], longest - 1)  # a whole name fits, as in the tour
    cfg = GPTConfig(vocab_size=corpus.vocab_size, block_size=block_size, **shape)
    minilm.manual_seed(seed)
    return GPT(cfg)


def run_one(batch_size: int, lr: float, examples: int, seed: int = 0) -> dict:
    """Train the tour's GPT on ``examples`` names in batches of ``batch_size`` at peak
    learning rate ``lr`` (warmup and cosine decay over the examples); the row, a dict:
    ``val`` (validation nats/char, None when it diverged), ``train`` (the mean training
    loss of the last tenth of the steps), ``steps``, ``warmup``, ``examples`` (a whole
    number of batches), ``diverged``, ``seconds``."""
    steps = max(1, round(examples / batch_size))
    warmup = round(WARMUP_SHARE * steps)
    corpus = _corpus()
    model = _model(corpus, seed)
    config = GPTTrainConfig(steps=steps, batch_size=batch_size, lr=lr, warmup=warmup, seed=seed)
    t0 = time.perf_counter()
    try:
        history = train_gpt(model, corpus, config, progress=False)
        val = corpus.nats_per_char(history.eval[-1]["loss"], "val")
        last = history.loss[-max(1, steps // 10) :]
        train, diverged = sum(last) / len(last), not math.isfinite(val)
    except NonFiniteError:
        val, train, diverged = None, None, True
    return {"batch_size": batch_size, "lr": lr, "steps": steps, "warmup": warmup,
            "examples": steps * batch_size, "seed": seed, "val": None if diverged else val,
            "train": train, "diverged": diverged,
            "seconds": time.perf_counter() - t0}  # fmt: skip


def _log(log, i, n, row, again=False):
    if log is None:
        return
    val = "diverged" if row["diverged"] else f"val {row['val']:.4f} nats/char"
    when = "the same run as before" if again else f"{row['seconds']:.0f} s"
    log(f"[{i}/{n}] {row['rule']:7s} B={row['batch_size']:<4d} lr={row['lr']:.2e} "
        f"steps={row['steps']:<5d} seed {row['seed']}: {val} ({when})")  # fmt: skip


def _stderr(text):
    print(text, file=sys.stderr, flush=True)


def run(batch_sizes=BATCH_SIZES, rules=tuple(RULES), examples: int | None = None, seeds=(0,),
        quick: bool = False, log=_stderr, threads: int | None = 1,
        cache: dict | None = None) -> list[dict]:  # fmt: skip
    """Train at every batch size under every learning-rate rule; a list of rows
    (see :func:`run_one`), each with its ``rule``.

    ``examples``: names per run (default :data:`EXAMPLES`, 12,800, or 4,096 with
    ``quick``, which changes nothing else; the quick rules and sizes are
    ``QUICK``). Where rules give the same lr (all
    of them at batch 32) the run is made once and its row copied under each rule.
    ``log``: called with a line per run (None: silent); ``threads``: BLAS threads
    (None: leave them as they are); ``cache``: a dict of the runs made, by (seed,
    batch size, lr, examples), read and filled (pass the same one to :func:`sweep`).

    >>> rows = run([32, 64], ["linear", "fixed"], examples=64, log=None)
    >>> [(r["rule"], r["batch_size"], r["steps"], r["lr"]) for r in rows[1:3]]
    [('linear', 64, 1, 0.006), ('fixed', 32, 2, 0.003)]
    """
    for rule in rules:
        if rule not in RULES:
            raise ValueError(f"unknown rule {rule!r}; choose from {', '.join(RULES)}")
    examples = examples or (QUICK["examples"] if quick else EXAMPLES)
    plan = [(seed, rule, b, BASE_LR * RULES[rule](b / BASE_BATCH))
            for seed in seeds for rule in rules for b in batch_sizes]  # fmt: skip
    return _train_all(plan, examples, log, threads, {} if cache is None else cache)


def sweep(batch_sizes=SWEEP_BATCHES, factors=SWEEP_FACTORS, examples: int | None = None,
          seeds=(0,), log=_stderr, threads: int | None = 1,
          cache: dict | None = None) -> list[dict]:  # fmt: skip
    """Train each of ``batch_sizes`` at peak lr ``BASE_LR`` times each of ``factors``;
    rows with ``rule="sweep"``. A batch size's lowest loss among them is what it
    reaches on this budget at (nearly) its best learning rate. ``examples``,
    ``seeds``, ``log``, ``threads`` and ``cache`` as in :func:`run`."""
    plan = [(seed, "sweep", b, BASE_LR * f) for seed in seeds for b in batch_sizes
            for f in factors]  # fmt: skip
    return _train_all(plan, examples or EXAMPLES, log, threads, {} if cache is None else cache)


def _train_all(plan, examples, log, threads, cache) -> list[dict]:
    rows = []
    with blas_threads(threads):
        for i, (seed, rule, b, lr) in enumerate(plan, 1):
            key = (seed, b, round(lr, 12), examples)
            again = key in cache
            if not again:
                cache[key] = run_one(b, lr, examples, seed)
            rows.append({"rule": rule, **cache[key]})
            _log(log, i, len(plan), rows[-1], again)
    return rows


def _mean_and_spread(values):
    """Mean and half the range of the finite ``values``; None, None when none are."""
    values = [v for v in values if v is not None]
    if not values:
        return None, None
    return sum(values) / len(values), (max(values) - min(values)) / 2


def _cell(rows):
    mean, spread = _mean_and_spread([r["val"] for r in rows])
    if mean is None:
        return "diverged"
    text = f"{mean:.3f}" + (f" ± {spread:.3f}" if len(rows) > 1 else "")
    bad = sum(r["diverged"] for r in rows)
    return text + (f" ({bad} of {len(rows)} diverged)" if bad else "")


def table(rows) -> str:
    """The rows as markdown: per batch size its steps and, per rule, the peak lr and
    the validation nats/char (mean ± half the spread over the seeds); then the
    sweep's rows, if any: per learning rate, the loss of each swept batch size."""
    main_rows = [r for r in rows if r["rule"] != "sweep"]
    rules = list(dict.fromkeys(r["rule"] for r in main_rows))
    lines = []
    if main_rows:
        head = "| batch | steps | " + " | ".join(f"{RULE_LABELS[r]} (lr) | val" for r in rules)
        lines += [head + " |", "|" + "---:|" * (2 + 2 * len(rules))]
        for b in sorted({r["batch_size"] for r in main_rows}):
            at = [r for r in main_rows if r["batch_size"] == b]
            cells = [str(b), str(at[0]["steps"])]
            for rule in rules:
                mine = [r for r in at if r["rule"] == rule]
                cells += [f"{mine[0]['lr']:.2e}", _cell(mine)] if mine else ["", ""]
            lines.append("| " + " | ".join(cells) + " |")
    swept = [r for r in rows if r["rule"] == "sweep"]
    if swept:
        sizes = sorted({r["batch_size"] for r in swept})
        steps = {b: next(r["steps"] for r in swept if r["batch_size"] == b) for b in sizes}
        head = " | ".join(f"B={b} ({steps[b]} steps)" for b in sizes)
        seeds = ", ".join(str(x) for x in sorted({r["seed"] for r in swept}))
        lines += ["", f"| peak lr (seed {seeds}) | {head} |", "|" + "---:|" * (1 + len(sizes))]
        for lr in sorted({r["lr"] for r in swept}):
            cells = []
            for b in sizes:
                mine = [r for r in swept if r["batch_size"] == b and r["lr"] == lr]
                cells.append(_cell(mine) if mine else "")
            lines.append(f"| {lr:.2e} | " + " | ".join(cells) + " |")
    examples = sorted({r["examples"] for r in rows})
    seeds = sorted({r["seed"] for r in rows})
    lines += ["", f"Validation nats per character of the names corpus; {examples[0]:,}"
              + (f" to {examples[-1]:,}" if len(examples) > 1 else "")
              + f" training names per run; seed{'s' * (len(seeds) > 1)} "
              + ", ".join(map(str, seeds)) + "."]  # fmt: skip
    return "\n".join(lines).lstrip("\n")


COLORS = {"linear": "tab:red", "sqrt": "tab:green", "fixed": "tab:blue"}


def _line(ax, rows, x_key, color, label):
    """A line through the mean over seeds at each x, a faint dot per seed, an x at
    ``ax``'s top for each diverged run."""
    xs = sorted({r[x_key] for r in rows})
    means = [_mean_and_spread([r["val"] for r in rows if r[x_key] == x])[0] for x in xs]
    ax.plot(xs, [math.nan if m is None else m for m in means], "o-", color=color, lw=2,
            label=label)  # fmt: skip
    seen = [r for r in rows if r["val"] is not None]
    ax.plot([r[x_key] for r in seen], [r["val"] for r in seen], ".", color=color, alpha=0.35)
    return [r[x_key] for r in rows if r["diverged"]]


def plot(rows, path: str | None = None):
    """Left: validation loss against batch size (log2 axis), a line per rule through
    the mean over seeds, each seed a faint dot, diverged runs an ``x`` at the top.
    Right, when there are sweep rows: the loss against the peak lr, a line per swept
    batch size. Saved to ``path`` when given; returns the figure."""
    from minilm.plot import pyplot

    plt = pyplot()
    swept = [r for r in rows if r["rule"] == "sweep"]
    main_rows = [r for r in rows if r["rule"] != "sweep"]
    panels = int(bool(main_rows)) + int(bool(swept))
    fig, axes = plt.subplots(1, panels, figsize=(6.4 * panels, 4.6), squeeze=False)
    axes = list(axes[0])
    finite = [r["val"] for r in rows if r["val"] is not None]
    low, top = (min(finite) - 0.02, max(finite) + 0.04) if finite else (2.0, 3.5)
    examples = max(r["examples"] for r in rows)
    if main_rows:
        ax = axes.pop(0)
        for rule in dict.fromkeys(r["rule"] for r in main_rows):
            mine = [r for r in main_rows if r["rule"] == rule]
            blown = _line(ax, mine, "batch_size", COLORS.get(rule), RULE_LABELS[rule])
            ax.plot(blown, [top] * len(blown), "x", color=COLORS.get(rule), ms=10, mew=2)
        sizes = sorted({r["batch_size"] for r in main_rows})
        ax.set_xscale("log", base=2)
        ax.set_xticks(sizes, [str(b) for b in sizes])
        ax.set_xlabel("batch size B (names per step)")
        ax.set_title(f"peak lr by rule, from lr {BASE_LR:g} at B={BASE_BATCH}")
    if swept:
        ax = axes.pop(0)
        rings = []  # each batch size's run at the linear rule's lr
        for i, b in enumerate(sorted({r["batch_size"] for r in swept})):
            mine = [r for r in swept if r["batch_size"] == b]
            label = f"B={b}, {mine[0]['steps']} steps"
            blown = _line(ax, mine, "lr", f"C{i + 4}", label)
            ax.plot(blown, [top] * len(blown), "x", color=f"C{i + 4}", ms=10, mew=2)
            rings += [r for r in mine if r["val"] is not None
                      and math.isclose(r["lr"], BASE_LR * b / BASE_BATCH)]  # fmt: skip
        if rings:
            ax.plot([r["lr"] for r in rings], [r["val"] for r in rings], "o", ms=13, mfc="none",
                    mec="tab:red", mew=2, label="at the linear rule's lr")  # fmt: skip
        lrs = sorted({r["lr"] for r in swept})
        ax.set_xscale("log", base=2)
        ax.set_xticks(lrs, [f"{lr:.2g}" for lr in lrs])
        ax.minorticks_off()
        ax.set_xlabel("peak learning rate")
        ax.set_title("each batch size at several learning rates")
    for ax in fig.axes:
        ax.set_ylim(low, top + 0.02)
        ax.set_ylabel("validation loss (nats / char)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=9)
    if any(r["diverged"] for r in rows):
        fig.axes[0].annotate("x: diverged", (0.01, 0.97), xycoords="axes fraction", va="top")
    fig.suptitle(f"Tour GPT on names, every run {examples:,} training names", fontsize=11)
    fig.tight_layout()
    if path:
        fig.savefig(path, dpi=110)
    return fig


def main(argv=None) -> int:
    parser = argument_parser("batch-size", __doc__)
    parser.add_argument("--quick", action="store_true",
                        help=f"rules {','.join(QUICK['rules'])}, {QUICK['examples']} names, one "
                             "seed, no sweep")  # fmt: skip
    parser.add_argument("--batch-sizes", type=_int_list(1), default=None, metavar="B,B,...",
                        help=f"default {','.join(map(str, BATCH_SIZES))}")  # fmt: skip
    parser.add_argument("--rules", type=argtypes.comma_list(RULES), default=None, metavar="R,R,...",
                        help=f"default {','.join(RULES)}")  # fmt: skip
    parser.add_argument("--examples", type=argtypes.positive_int, default=None, metavar="N",
                        help=f"training names per run (default {EXAMPLES:,})")  # fmt: skip
    parser.add_argument("--seeds", type=_int_list(0), default=None, metavar="S,S,...",
                        help="default 0,1")  # fmt: skip
    sweep_help = (f"batch sizes to train at lr {BASE_LR:g} x {SWEEP_FACTORS}, first seed only "
                  f"(default {','.join(map(str, SWEEP_BATCHES))}; 0: none)")  # fmt: skip
    parser.add_argument("--sweep", type=_int_list(0), default=None, metavar="B,B,...",
                        help=sweep_help)  # fmt: skip
    parser.add_argument("--out", default="bench-out", metavar="DIR",
                        help="folder for batch_size.json/.md/.png (default bench-out)")  # fmt: skip
    args = parser.parse_args(argv)
    q = args.quick
    sizes = args.batch_sizes or (QUICK["batch_sizes"] if q else BATCH_SIZES)
    rules = args.rules or list(QUICK["rules"] if q else RULES)
    examples = args.examples or (QUICK["examples"] if q else EXAMPLES)
    seeds = args.seeds or ([0] if q else [0, 1])
    swept = args.sweep if args.sweep is not None else ([] if q else list(SWEEP_BATCHES))
    swept = [b for b in swept if b > 0]
    os.makedirs(args.out, exist_ok=True)
    t0, cache = time.perf_counter(), {}
    rows = run(sizes, rules, examples, seeds, cache=cache)
    if swept:
        rows += sweep(swept, examples=examples, seeds=seeds[:1], cache=cache)
    seconds = time.perf_counter() - t0
    text = table(rows)
    print("\n" + text)
    print(f"\n{len(cache)} runs, {seconds:.0f} s")
    meta = {"model": SIZE, "corpus": "names", "base_batch": BASE_BATCH, "base_lr": BASE_LR,
            "warmup_share": WARMUP_SHARE, "examples": examples, "seeds": seeds,
            "rules": rules, "batch_sizes": list(sizes), "sweep": swept,
            "sweep_factors": SWEEP_FACTORS, "runs": len(cache), "seconds": seconds}  # fmt: skip
    with open(os.path.join(args.out, "batch_size.json"), "w") as f:
        json.dump({"meta": meta, "rows": rows}, f, indent=1)
    with open(os.path.join(args.out, "batch_size.md"), "w") as f:
        f.write(text + "\n")
    plot(rows, os.path.join(args.out, "batch_size.png"))
    print(f"wrote batch_size.json, batch_size.md and batch_size.png to {args.out}")
    return 0


def _int_list(low: int):
    """An argparse type: comma-separated whole numbers >= ``low``, e.g. ``8,16,32``."""

    def parse(text: str) -> list[int]:
        try:
            values = [int(v) for v in text.split(",") if v.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected whole numbers separated by commas, got {text!r}"
            ) from None
        if not values or min(values) < low:
            raise argparse.ArgumentTypeError(f"expected whole numbers >= {low}, got {text!r}")
        return values

    return parse
