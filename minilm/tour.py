"""``python -m minilm tour``: the model ladder, trained on one corpus and one split.

Each rung is a language model one idea richer than the last: counted unigram
and bigram tables, a Kneser-Ney n-gram, Bengio's MLP, a plain RNN, an LSTM, a
GRU. Every rung trains on the same train split and is scored on the same
held-out test split in the same unit, nats per character (every character and
each sequence's end are predicted), so the table compares like with like.
It prints the table (model, parameters, train time, test nats/char,
perplexity = e^nats), a sample from each model, and writes a bar chart.

The ladder is a list of :class:`Rung` in :data:`RUNGS`; a new model family
adds itself with one entry: a name and a function ``(corpus, settings) ->
Trained``.
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass, field

from . import argtypes
from .data.lm_corpus import CharCorpus
from .data.text import read_text_file
from .generate import generate
from .models.bigram import BigramConfig, BigramLM
from .models.gpt import GPT, GPTConfig
from .models.mlp_lm import MLPLM, MLPLMConfig
from .models.rnn_lm import RNNLM, RNNLMConfig
from .ngram import NgramModel
from .recipes.bigram import BigramTrainConfig, evaluate_bigram, train_bigram
from .recipes.gpt import GPTTrainConfig, evaluate_gpt, train_gpt
from .recipes.mlp_lm import MLPTrainConfig, evaluate_mlp_lm, train_mlp_lm
from .recipes.rnn_lm import RNNTrainConfig, evaluate_rnn_lm, train_rnn_lm
from .tensor import manual_seed

__all__ = ["Settings", "Trained", "Rung", "RUNGS", "run_ladder", "neural_samples", "SIZES"]


@dataclass
class Settings:
    """What the command line chose: the corpus (bundled, or your own ``text`` file),
    its tokenizer and split rule, device, size, seed, step override."""

    corpus: str = "names"
    device: str = "cpu"
    full: bool = False
    seed: int = 0
    steps: int | None = None  # overrides every neural rung's steps (quick runs, tests)
    progress: bool = True
    samples: int = 5
    max_chars: int | None = None  # cut each split of a stream (quick runs, tests)
    text: str | None = None  # a path: your own text instead of a bundled corpus
    tokenizer: str = "char"  # "char" or "bpe" (neural rungs only)
    vocab_size: int = 512  # BPE's vocabulary
    split_by: str | None = None  # "lines" or "blocks" for your text (default: decided)
    accumulate: int = 1  # micro-batches per optimizer step (neural rungs)
    precision: str = "fp32"  # fp32, fp16, bf16 (neural rungs; minilm.precision)
    loss_scale: object = "dynamic"  # fp16's loss scaling
    world: object = None  # a minilm.distributed.World: data-parallel training (neural rungs)

    @property
    def size(self) -> str:
        return "full" if self.full else "default"

    def steps_for(self, default: int) -> int:
        return default if self.steps is None else self.steps


def load_corpus(settings: Settings) -> CharCorpus:
    """The corpus the settings name: a bundled one (``names``, ``tinyshakespeare``), or
    the ``text`` file read by :func:`minilm.data.read_text_file` and split by
    :func:`minilm.data.split_text`."""
    if settings.text is None:
        if settings.tokenizer != "char":
            raise ValueError("the bundled corpora are read with --tokenizer char; BPE is for "
                             "your own --text (or tokenize a corpus yourself)")  # fmt: skip
        return CharCorpus.load(settings.corpus, max_chars=settings.max_chars)
    text = read_text_file(settings.text)
    return CharCorpus.from_text(text, os.path.basename(settings.text), settings.tokenizer,
                                settings.vocab_size, settings.split_by, settings.max_chars,
                                progress=settings.progress)  # fmt: skip


@dataclass
class Trained:
    """What a rung reports: its description, parameter count, training seconds,
    test nats per character, a few samples (decoded text), and the trained model
    itself (``lm``, for saving) with the function that scored it (``evaluate``)."""

    model: str
    params: int
    train_s: float
    test_nats: float
    samples: list = field(default_factory=list)
    lm: object = None
    steps: int = 0
    history: object = None  # fit's History (neural rungs)
    evaluate: object = None  # (model, corpus, split) -> nats per token (neural rungs)


@dataclass
class Rung:
    name: str
    run: object  # (corpus: CharCorpus, settings: Settings) -> Trained


# Hyperparameters per corpus and size. "default" fits the whole ladder in a few
# minutes on a 2-core CPU; "full" is for the numbers quoted in the docs.
SIZES = {
    ("names", "default"): {
        "ngram_order": 6,
        "mlp": dict(context=8, embed_dim=24, hidden=256, steps=5000, batch_size=256, lr=3e-3),
        "rnn": dict(embed_dim=24, hidden_size=128, steps=1500, batch_size=64, lr=1e-2),
    },
    ("names", "full"): {
        "ngram_order": 6,
        "mlp": dict(
            context=8, embed_dim=32, hidden=512, dropout=0.2, steps=20000, batch_size=256, lr=2e-3
        ),  # fmt: skip
        "rnn": dict(
            embed_dim=48, hidden_size=192, dropout=0.25, steps=5000, batch_size=64, lr=5e-3
        ),  # fmt: skip
    },
    ("tinyshakespeare", "default"): {
        "ngram_order": 6,
        "mlp": dict(context=16, embed_dim=16, hidden=256, steps=3000, batch_size=256, lr=3e-3),
        "rnn": dict(embed_dim=32, hidden_size=128, steps=600, batch_size=32, bptt=48, lr=1e-2),
    },
    ("tinyshakespeare", "full"): {
        "ngram_order": 6,
        "mlp": dict(
            context=24, embed_dim=24, hidden=768, dropout=0.1, steps=20000, batch_size=256, lr=2e-3
        ),  # fmt: skip
        "rnn": dict(
            embed_dim=48, hidden_size=256, steps=4000, batch_size=32, bptt=64, lr=3e-3
        ),  # fmt: skip
    },
}


def sizes_for(corpus: CharCorpus, settings: Settings) -> dict:
    """The hyperparameters for ``corpus``: its own entry in :data:`SIZES`, else (your
    text) those of the bundled corpus of its kind: names for lines, Shakespeare for
    running text."""
    name = corpus.name if (corpus.name, settings.size) in SIZES else (
        "tinyshakespeare" if corpus.stream else "names")  # fmt: skip
    return SIZES[name, settings.size]


def require_tokens(corpus: CharCorpus, need: int, what: str) -> None:
    """A clear error when a stream's split is too short for a model that reads ``need``
    tokens at a time (documents are padded, so any length works)."""
    if not corpus.stream:
        return
    for split in ("train", "val", "test"):
        have = len(corpus.split(split)[0])
        if have < need:
            unit = "characters" if corpus.chars is None else "tokens"
            raise ValueError(
                f"the {split} split of {corpus.name} has {have} {unit}, too few for {what}, "
                f"which reads {need} at a time: use a longer text (val and test are 5% each, "
                f"so at least {20 * need:,} {unit}), or a smaller model"
            )


def _split(options: dict, config_cls) -> tuple[dict, dict]:
    fields = config_cls.__dataclass_fields__
    return ({k: v for k, v in options.items() if k in fields},
            {k: v for k, v in options.items() if k not in fields})  # fmt: skip


def neural_samples(model, corpus: CharCorpus, settings: Settings) -> list[str]:
    """A few samples from a model with ``next_logits``: whole documents such as names
    (start at the boundary, stop at the next), or the opening of a stream after a
    newline."""
    out = []
    for i in range(settings.samples if not corpus.stream else 1):
        if corpus.stream:
            ids = generate(model, [corpus.pad_id], 160, seed=settings.seed + i)
            out.append(corpus.decode(ids))
        else:
            ids = generate(model, [corpus.pad_id], 30, stop_token=corpus.pad_id,
                           seed=settings.seed + i)  # fmt: skip
            out.append(corpus.decode(ids).rstrip(corpus.boundary))
    return out


# ---- the rungs ----


def ngram_rung(order: int | None, smoothing: str):
    """A counted n-gram model (``order`` None: the corpus's own from :data:`SIZES`)."""

    def run(corpus: CharCorpus, settings: Settings) -> Trained:
        if corpus.chars is not None:
            raise ValueError("n-gram models count characters: use --tokenizer char for them")
        n = order or sizes_for(corpus, settings)["ngram_order"]
        t0 = time.perf_counter()
        lm = NgramModel(n, smoothing).fit(corpus.sentences("train"))
        train_s = time.perf_counter() - t0
        nats = math.log(lm.perplexity(corpus.sentences("test")))
        k = settings.samples if not corpus.stream else 1
        length = 30 if not corpus.stream else 160
        samples = ["".join(s) for s in lm.generate(k, seed=settings.seed, max_tokens=length)]
        what = {1: "unigram", 2: "bigram"}.get(n, f"{n}-gram")
        names = {"add-k": "add-1", "kneser-ney": "Kneser-Ney"}
        label = f"{what}, {names.get(smoothing, smoothing)}"
        return Trained(label, _stored_counts(lm), train_s, nats, samples, lm=lm)

    return run


def _stored_counts(lm) -> int:
    """An n-gram model's 'parameters': the distinct n-grams it counted, all orders."""
    return int(sum(lm.counts.size[k] for k in range(1, lm.order + 1)))


def _eval_every(settings: Settings, train_kw: dict) -> int | None:
    """Validation loss ten times per run when someone is watching the progress bar."""
    return max(train_kw["steps"] // 10, 1) if settings.progress else None


def _train_options(settings: Settings) -> dict:
    """The fields every neural rung's train config takes from the settings."""
    return {"accumulate": settings.accumulate, "precision": settings.precision,
            "loss_scale": settings.loss_scale}  # fmt: skip


def _trained(label, model, corpus, settings, train_s, evaluate, steps, history) -> Trained:
    if settings.world is not None and not settings.world.is_root:  # rank 0 reports
        return Trained(label, model.num_parameters(), train_s, math.nan, lm=model, steps=steps,
                       history=history, evaluate=evaluate)  # fmt: skip
    nats = corpus.nats_per_char(evaluate(model, corpus, "test"), "test")
    return Trained(label, model.num_parameters(), train_s, nats,
                   neural_samples(model, corpus, settings), lm=model, steps=steps,
                   history=history, evaluate=evaluate)  # fmt: skip


def neural_bigram_rung(corpus: CharCorpus, settings: Settings) -> Trained:
    """The neural bigram of ``python -m minilm demo``: a table of logits, learned."""
    train_kw = {"steps": settings.steps_for(BigramTrainConfig.steps)}
    manual_seed(settings.seed)
    model = BigramLM(BigramConfig(corpus.vocab_size, pad_id=corpus.pad_id), settings.device)
    config = BigramTrainConfig(seed=settings.seed, **_train_options(settings), **train_kw)
    t0 = time.perf_counter()
    history = train_bigram(model, corpus, config, progress=settings.progress,
                           eval_every=_eval_every(settings, train_kw),
                           world=settings.world)  # fmt: skip
    return _trained("bigram, neural (Adam)", model, corpus, settings, time.perf_counter() - t0,
                    evaluate_bigram, train_kw["steps"], history)  # fmt: skip


def mlp_rung(corpus: CharCorpus, settings: Settings) -> Trained:
    options = dict(sizes_for(corpus, settings)["mlp"])
    model_kw, train_kw = _split(options, MLPLMConfig)
    train_kw["steps"] = settings.steps_for(train_kw["steps"])
    manual_seed(settings.seed)
    cfg = MLPLMConfig(corpus.vocab_size, pad_id=corpus.pad_id, **model_kw)
    model = MLPLM(cfg, device=settings.device)
    t0 = time.perf_counter()
    config = MLPTrainConfig(seed=settings.seed, **_train_options(settings), **train_kw)
    history = train_mlp_lm(model, corpus, config, progress=settings.progress,
                           eval_every=_eval_every(settings, train_kw),
                           world=settings.world)  # fmt: skip
    label = f"MLP (context {cfg.context}, hidden {cfg.hidden})"
    return _trained(label, model, corpus, settings, time.perf_counter() - t0, evaluate_mlp_lm,
                    train_kw["steps"], history)  # fmt: skip


def rnn_rung(cell: str):
    def run(corpus: CharCorpus, settings: Settings) -> Trained:
        options = dict(sizes_for(corpus, settings)["rnn"])
        model_kw, train_kw = _split(options, RNNLMConfig)
        train_kw["steps"] = settings.steps_for(train_kw["steps"])
        check_fits(corpus, settings, cell)
        manual_seed(settings.seed)
        cfg = RNNLMConfig(corpus.vocab_size, cell=cell, **model_kw)
        model = RNNLM(cfg, device=settings.device)
        t0 = time.perf_counter()
        config = RNNTrainConfig(seed=settings.seed, **_train_options(settings), **train_kw)
        history = train_rnn_lm(model, corpus, config, progress=settings.progress,
                               eval_every=_eval_every(settings, train_kw),
                               world=settings.world)  # fmt: skip
        layers = f"{cfg.num_layers}x" if cfg.num_layers > 1 else ""
        label = f"{cell.upper()} ({layers}{cfg.hidden_size} hidden)"
        return _trained(label, model, corpus, settings, time.perf_counter() - t0,
                        evaluate_rnn_lm, train_kw["steps"], history)  # fmt: skip

    return run


def gpt_rung(corpus: CharCorpus, settings: Settings) -> Trained:
    options = dict(sizes_for(corpus, settings).get("gpt", GPT_SIZES[settings.size]))
    model_kw, train_kw = _split(options, GPTConfig)
    train_kw["steps"] = settings.steps_for(train_kw["steps"])
    check_fits(corpus, settings, "gpt")
    if not corpus.stream:  # a whole document must fit in the context
        model_kw["block_size"] = max(model_kw["block_size"], _longest_document(corpus) - 1)
    manual_seed(settings.seed)
    cfg = GPTConfig(vocab_size=corpus.vocab_size, **model_kw)
    model = GPT(cfg).to(settings.device)
    t0 = time.perf_counter()
    config = GPTTrainConfig(seed=settings.seed, **_train_options(settings), **train_kw)
    history = train_gpt(model, corpus, config, progress=settings.progress,
                        eval_every=_eval_every(settings, train_kw),
                        world=settings.world)  # fmt: skip
    label = f"GPT ({cfg.n_layer} layers, width {cfg.n_embd})"
    return _trained(label, model, corpus, settings, time.perf_counter() - t0, evaluate_gpt,
                    train_kw["steps"], history)  # fmt: skip


# The longest record (a line, with its boundaries) the GPT reads whole: its attention
# costs context**2 per head, so a text of long "lines" is read as blocks instead.
MAX_DOCUMENT_CONTEXT = 512

# The GPT rung's sizes (a corpus entry in SIZES may override them with a "gpt" key).
GPT_SIZES = {
    "default": dict(
        block_size=64, n_layer=2, n_head=4, n_embd=64, steps=600, batch_size=32, lr=3e-3, warmup=50
    ),  # fmt: skip
    "full": dict(
        block_size=128,
        n_layer=4,
        n_head=4,
        n_embd=128,
        dropout=0.1,
        steps=4000,
        batch_size=32,
        lr=1e-3,
    ),  # fmt: skip
}


RUNGS: list[Rung] = [
    Rung("unigram", ngram_rung(1, "add-k")),
    Rung("bigram", ngram_rung(2, "add-k")),
    Rung("ngram", ngram_rung(None, "kneser-ney")),
    Rung("mlp", mlp_rung),
    Rung("rnn", rnn_rung("rnn")),
    Rung("lstm", rnn_rung("lstm")),
    Rung("gru", rnn_rung("gru")),
    Rung("gpt", gpt_rung),
]


def check_fits(corpus: CharCorpus, settings: Settings, rung: str, what: str | None = None):
    """Raise the error rung ``rung`` meets on a text too short for its context (or, for
    the GPT, a line too long to read whole); nothing for rungs without a context."""
    what = what or f"the {rung} model"
    sizes = sizes_for(corpus, settings)
    if rung in ("rnn", "lstm", "gru"):
        # the training rows, and evaluate_rnn_lm's 64 rows, each need a token or more
        require_tokens(corpus, max(sizes["rnn"].get("batch_size", 32), 64) + 1, what)
    elif rung == "gpt" and corpus.stream:
        require_tokens(corpus, sizes.get("gpt", GPT_SIZES[settings.size])["block_size"] + 1, what)
    elif rung == "gpt" and _longest_document(corpus) - 1 > MAX_DOCUMENT_CONTEXT:
        raise ValueError(
            f"a line of {corpus.name} is {_longest_document(corpus) - 2:,} characters long; "
            f"{what} reads each line whole, and at most {MAX_DOCUMENT_CONTEXT} at a time: "
            "split by blocks instead (--split-by blocks)"
        )


def _longest_document(corpus: CharCorpus) -> int:
    return max(len(s) for split in ("train", "val", "test") for s in corpus.split(split))


def preflight(corpus: CharCorpus, settings: Settings, names: list[str] | None = None) -> None:
    """Raise the error a chosen rung would raise for its context (:func:`check_fits`),
    before any rung trains (so nobody waits minutes for it)."""
    chosen = {r.name for r in RUNGS} if not names else set(names)
    if chosen & {"rnn", "lstm", "gru"}:
        check_fits(corpus, settings, "rnn", "the rnn models")
    if "gpt" in chosen:
        check_fits(corpus, settings, "gpt")


def run_ladder(settings: Settings, names: list[str] | None = None,
               corpus: CharCorpus | None = None) -> list[Trained]:  # fmt: skip
    """Train and score the chosen rungs (all by default), in ladder order, on
    ``corpus`` (default: the one the settings name)."""
    known = [r.name for r in RUNGS]
    for n in names or []:
        if n not in known:
            raise ValueError(f"tour: unknown rung {n!r}; choose from {', '.join(known)}")
    corpus = load_corpus(settings) if corpus is None else corpus
    results = []
    for rung in RUNGS:
        if names and rung.name not in names:
            continue
        if settings.progress:
            print(f"-- {rung.name}", flush=True)
        results.append(rung.run(corpus, settings))
    return results


def format_table(results: list[Trained]) -> str:
    lines = [f"{'model':34} {'params':>9} {'train s':>8} {'test nats/char':>15} {'perplexity':>11}"]
    for r in results:
        lines.append(f"{r.model:34} {r.params:9,d} {r.train_s:8.1f} {r.test_nats:15.3f} "
                     f"{math.exp(r.test_nats):11.2f}")  # fmt: skip
    return "\n".join(lines)


def plot_ladder(
    results: list[Trained], path, title: str = "", uniform: float | None = None
) -> None:
    """Horizontal bars of test nats per character, one per rung in ladder order
    (top to bottom), starting at zero so their lengths compare honestly; with
    ``uniform`` (ln of the vocabulary size), a dashed line marks a uniform guess.
    Returns the (closed) figure's axes."""
    from .plot import pyplot

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(results) + 1.4))
    names = [r.model for r in results]
    values = [r.test_nats for r in results]
    rows = range(len(results))
    ax.barh(rows, values, color="tab:blue", height=0.65)
    for row, v in zip(rows, values):
        ax.text(v, row, f" {v:.3f}", va="center", ha="left")
    ax.set_yticks(list(rows), names)
    ax.invert_yaxis()  # the ladder reads top to bottom
    top = max([*values, uniform or 0.0], default=1.0)
    if uniform is not None:
        ax.axvline(uniform, color="gray", linestyle="--", linewidth=1)
        ax.text(uniform, len(results) - 0.4, f" uniform guess {uniform:.2f}", color="gray",
                va="bottom", ha="right", rotation=90)  # fmt: skip
    ax.set_xlim(0, top * 1.15)
    ax.set_xlabel("test loss, nats per character (lower is better)")
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return ax


def add_arguments(parser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--corpus", default="names", choices=["names", "tinyshakespeare"])
    source.add_argument("--text", type=argtypes.existing_file, default=None,
                        help="your own UTF-8 text file instead of a bundled corpus")  # fmt: skip
    parser.add_argument("--split-by", choices=["lines", "blocks"], default=None,
                        help="how to split your --text (default: by its shape)")  # fmt: skip
    parser.add_argument("--device", default="cpu", type=argtypes.device, help="cpu or cuda")
    parser.add_argument("--full", action="store_true",
                        help="bigger models, longer training (the documented numbers)")  # fmt: skip
    rungs = [r.name for r in RUNGS]
    parser.add_argument("--rungs", default=None, type=argtypes.comma_list(rungs),
                        help=f"comma-separated subset of: {', '.join(rungs)}")  # fmt: skip
    parser.add_argument("--steps", type=argtypes.positive_int, default=None,
                        help="override every neural rung's steps")  # fmt: skip
    parser.add_argument("--seed", type=argtypes.seed, default=0)
    parser.add_argument("--plot", default="tour_{corpus}.png", type=argtypes.output_file,
                        help="where to save the chart (default: tour_CORPUS.png in the current "
                             "folder; '' for none)")  # fmt: skip
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")


def format_samples(results: list[Trained]) -> str:
    """One line per model: its short name, then its samples separated by ``|``
    (an empty sample, a model that ended at once, shows as ``(empty)``)."""
    names = [r.model.split(" (")[0] for r in results]
    width = max((len(n) for n in names), default=0)
    lines = []
    for name, r in zip(names, results):
        shown = " | ".join(s.replace("\n", " / ") if s else "(empty)" for s in r.samples)
        lines.append(f"  {name:{width}}  {shown}")
    return "\n".join(lines)


def main(args) -> int:
    text = None if args.text is None else str(args.text)
    settings = Settings(corpus=args.corpus, device=args.device, full=args.full, seed=args.seed,
                        text=text, split_by=args.split_by,
                        steps=args.steps, progress=not args.no_progress)  # fmt: skip
    t0 = time.perf_counter()
    try:
        corpus = load_corpus(settings)
    except (ValueError, OSError) as e:
        print(f"tour: error: {e}", file=sys.stderr)
        return 2
    name = args.corpus if text is None else corpus.name
    try:
        preflight(corpus, settings, args.rungs)
        results = run_ladder(settings, args.rungs, corpus)
    except ValueError as e:
        print(f"tour: error: {e}", file=sys.stderr)
        return 2
    total = time.perf_counter() - t0
    size = "full" if args.full else "default"
    print(f"\nthe model ladder on {name} ({size} size, {args.device}); "
          f"test split, nats per character\n")  # fmt: skip
    print(format_table(results))
    print(f"\n(total {total:.0f} s; an n-gram's 'params' are the distinct n-grams it counted)")
    print("\nsamples:")
    print(format_samples(results))
    if args.plot:
        path = os.path.abspath(args.plot.replace("{corpus}", os.path.splitext(name)[0]))
        uniform = math.log(corpus.vocab_size)
        plot_ladder(results, path, f"the model ladder on {name} ({size})", uniform)
        print(f"\nwrote the chart to {path}")
    return 0
