"""Multimodal fusion in miniature, on :mod:`minilm.data.shapes`.

``python -m minilm.bench multimodal [--quick] [--steps N] [--train N] [--test N]
[--seed 0] [--encoder mlp|conv] [--out PNG] [--no-figure]``

Trains four small models from :mod:`minilm.models.multimodal` on the
training split (16000 scenes; ``--quick``: 3000), follows each on 500
validation scenes during training, and reports on the test split (1000
scenes; ``--quick``: 300):

- question answering, early fusion vs late fusion (accuracy, overall and per
  question kind), beside chance (1 in 9 answers) and a question-only baseline
  (each question's most frequent training answer);
- the CLIP-style dual encoder's retrieval, recall@1 and @5, image -> text and
  text -> image, beside the exact chance level (equal captions count as hits,
  so chance is above 1/N);
- the prefix captioner's greedy captions, parsed back into colour, shape and
  position per object (beside chance for colour and shape), and a few examples.

Steps per model (Adam, lr 1e-3, batches of 64): QA 2500 each, dual encoder
1000 (batches without repeated captions), captioner 1200 (``--quick``: 400,
300, 500; ``--steps N`` sets them all). The default run takes about two
minutes on two CPU cores, ``--quick`` under 30 s. The figure (``--out``,
default ``chapters/12_deployment_and_safety/multimodal.png``) shows test
images with their generated captions, the QA accuracy curves during training,
and the retrieval and caption scores against chance.

The dataset has only 336 distinct scenes, so the test split holds scenes the
training split has too, with other noise and shifts: these numbers measure
reading the pixels (and, for QA, combining them with the question), not
generalizing to unseen combinations. Retrieval and captions come close to
100%; the fusion comparison is where the models differ.
"""

from __future__ import annotations

import os
import sys
import time

import minilm
from minilm import argtypes
from minilm import functional as F
from minilm.backend import np
from minilm.bench import argument_parser
from minilm.data import shapes
from minilm.models.multimodal import (
    DualEncoder,
    EarlyFusionQA,
    LateFusionQA,
    MultimodalConfig,
    PrefixCaptioner,
    caption_scores,
    chance_recall_at_k,
    recall_at_k,
)
from minilm.optim import Adam
from minilm.train import fit

FIGURE = os.path.join("chapters", "12_deployment_and_safety", "multimodal.png")
DEFAULT = {"train": 16000, "val": 500, "test": 1000, "qa_steps": 2500, "clip_steps": 1000,
           "caption_steps": 1200}  # fmt: skip
QUICK = {"train": 3000, "val": 300, "test": 300, "qa_steps": 400, "clip_steps": 300,
         "caption_steps": 500}  # fmt: skip
LR = 1e-3  # Adam's, for every model
BATCH_SIZE = 64
KIND_NAMES = {"colour": "colour", "shape": "shape", "exists": "yes/no"}


def _batches(data: shapes.ShapesData, batch_size: int, seed: int, distinct: bool = False):
    """A function drawing random batches (images, question ids, answer ids, caption
    ids). ``distinct``: no caption twice in a batch; InfoNCE counts every other
    caption of the batch as a wrong match, and with only 336 distinct scenes a
    batch of 64 would otherwise hold about 6 pairs of equal captions that it
    pushes apart. (A set with fewer distinct captions than ``batch_size`` gives
    batches of one of each.)"""
    rng = np.random.default_rng(seed)
    _, caption_key = np.unique(np.asarray(data.captions), return_inverse=True)

    def draw():
        if distinct:
            i = rng.permutation(len(data))
            _, first = np.unique(caption_key[i], return_index=True)  # one of each caption
            i = i[rng.permutation(first)[:batch_size]]
        else:
            i = rng.integers(len(data), size=batch_size)
        return (minilm.tensor(data.images[i]), minilm.tensor(data.question_ids[i]),
                minilm.tensor(data.answer_ids[i]), minilm.tensor(data.caption_ids[i]))  # fmt: skip

    return draw


def _qa_loss(model, batch):
    x, q, a, _ = batch
    return F.cross_entropy(model(x, q), a)


def _pair_loss(model, batch):
    x, _, _, c = batch
    return model.loss(x, c)


def train(model, data, steps: int, loss_fn, seed: int, lr: float, eval_fn=None,
          evals: int = 5, progress: bool = True, distinct: bool = False,
          batch_size: int = BATCH_SIZE):  # fmt: skip
    """Adam on random batches of ``data`` with :func:`minilm.train.fit`, evaluating
    ``eval_fn`` ``evals`` times; returns the :class:`~minilm.train.History`."""
    every = max(steps // evals, 1) if eval_fn is not None else None
    batches = _batches(data, min(batch_size, len(data)), seed, distinct)
    return fit(model, Adam(model.parameters(), lr=lr), batches, steps, loss_fn=loss_fn,
               eval_fn=eval_fn, eval_every=every, progress=progress)  # fmt: skip


def qa_predictions(model, data):
    """The answer ids (n,) ``model`` gives for ``data``'s images and questions."""
    was = model.training
    model.eval()
    try:
        with minilm.no_grad():
            logits = model(minilm.tensor(data.images), minilm.tensor(data.question_ids))
    finally:
        model.train(was)
    return logits.numpy().argmax(axis=-1)


def by_kind(correct, questions) -> dict:
    """Accuracy overall (``"all"``) and per question kind, from a boolean array."""
    correct = np.asarray(correct, dtype=bool)
    kinds = np.asarray([shapes.question_kind(q) for q in questions])
    out = {"all": float(correct.mean())}
    for k in shapes.QUESTION_KINDS:
        out[k] = float(correct[kinds == k].mean()) if (kinds == k).any() else float("nan")
    return out


def question_only_answers(train_data, data) -> list:
    """Each question's most frequent answer in ``train_data`` (the most frequent
    answer overall for a question never seen there): what the text alone gives."""
    counts, overall = {}, {}
    for q, a in zip(train_data.questions, train_data.answers):
        counts.setdefault(q, {}).setdefault(a, 0)
        counts[q][a] += 1
        overall[a] = overall.get(a, 0) + 1
    top = max(overall, key=overall.get)
    return [max(counts[q], key=counts[q].get) if q in counts else top for q in data.questions]


def retrieval(model, data) -> dict:
    """Recall@1 and @5 both ways over ``data``'s pairs, and their chance levels."""
    was = model.training
    model.eval()
    try:
        with minilm.no_grad():
            u = model.embed_images(minilm.tensor(data.images)).numpy()
            v = model.embed_texts(minilm.tensor(data.caption_ids)).numpy()
    finally:
        model.train(was)
    sim, keys = u @ v.T, data.captions  # (N, N): rows images, columns captions
    out = {}
    for k in (1, 5):
        out[f"i2t@{k}"] = recall_at_k(sim, keys, keys, k)
        out[f"t2i@{k}"] = recall_at_k(sim.T, keys, keys, k)
        out[f"chance@{k}"] = chance_recall_at_k(keys, keys, k)
    return out


def _params(model) -> int:
    return sum(p.size for p in model.parameters())


def _bar_labels(ax, bars):
    for b in bars:
        ax.text(b.get_x() + b.get_width() / 2, b.get_height() + 0.01, f"{b.get_height():.1%}",
                ha="center", va="bottom", fontsize=8)  # fmt: skip


def _figure(path, test, generated, curves, qa, ret, cap, title):
    from minilm.plot import pyplot

    plt = pyplot()
    fig = plt.figure(figsize=(13, 7))
    grid = fig.add_gridspec(2, 6, height_ratios=[0.8, 1.2], hspace=0.25, wspace=0.55)
    wrong = [j for j in range(len(test)) if generated[j] != test.captions[j]]
    shown = list(range(6 - min(2, len(wrong)))) + wrong[:2]
    for col, j in enumerate(shown):
        ax = fig.add_subplot(grid[0, col])
        ax.imshow(test.images[j].transpose(1, 2, 0), interpolation="nearest")
        ok = generated[j] == test.captions[j]
        words = generated[j].split() or ["(empty)"]
        ax.set_title(" ".join(words[:4]) + "\n" + " ".join(words[4:]), fontsize=8.5,
                     color="darkgreen" if ok else "firebrick")  # fmt: skip
        if not ok:
            truth = test.captions[j].split()
            ax.set_xlabel("truth: " + " ".join(truth[:4]) + "\n" + " ".join(truth[4:]),
                          fontsize=8.5)  # fmt: skip
        ax.set_xticks([]), ax.set_yticks([])
    fig.text(0.5, 0.935, f"test images and the prefix captioner's greedy captions: the first "
             f"{len(shown) - len(wrong[:2])} (green: exactly right) and the first {len(wrong[:2])} "
             f"it got wrong (red; the true caption below)", ha="center", fontsize=10)  # fmt: skip

    ax = fig.add_subplot(grid[1, 0:2])
    for name, color in (("early", "C1"), ("late", "C0")):
        steps, acc = curves[name]
        ax.plot(steps, acc, "o-", color=color, label=f"{name} fusion (test {qa[name]['all']:.1%})")
    ax.axhline(qa["question only"]["all"], color="grey", ls="--",
               label=f"question only (test {qa['question only']['all']:.1%})")  # fmt: skip
    ax.axhline(qa["chance"]["all"], color="k", ls=":", label=f"chance ({qa['chance']['all']:.1%})")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("training step")
    ax.set_ylabel("validation accuracy")
    ax.set_title("question answering: early vs late fusion", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")

    ax = fig.add_subplot(grid[1, 2:4])
    names = ["i2t@1", "t2i@1", "i2t@5", "t2i@5"]
    bars = ax.bar(range(4), [ret[n] for n in names], color=["C0", "C2", "C0", "C2"])
    bars[0].set_label("image -> text")
    bars[1].set_label("text -> image")
    _bar_labels(ax, bars)
    for lo, k in ((0, 1), (2, 5)):
        ax.hlines(ret[f"chance@{k}"], lo - 0.4, lo + 1.4, colors="k", linestyles=":", lw=2,
                  label="chance" if k == 1 else None)  # fmt: skip
    ax.set_xticks([0.5, 2.5], [f"recall@{k}\n(chance {ret[f'chance@{k}']:.1%})" for k in (1, 5)],
                  fontsize=8.5)  # fmt: skip
    ax.set_ylim(0, 1.25)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_ylabel("test recall")
    ax.set_title(f"retrieval, dual encoder ({len(test)} test pairs)", fontsize=10)
    ax.legend(fontsize=7.5, loc="upper center", ncol=3)

    ax = fig.add_subplot(grid[1, 4:6])
    names = ["exact", "colour", "shape", "position"]
    bars = ax.bar(range(4), [cap[n] for n in names], color=["C3", "C4", "C4", "C4"])
    _bar_labels(ax, bars)
    for i, chance in ((1, 1 / len(shapes.COLOURS)), (2, 1 / len(shapes.SHAPES))):
        label = f"chance (1/{len(shapes.COLOURS)}, 1/{len(shapes.SHAPES)})" if i == 1 else None
        ax.hlines(chance, i - 0.4, i + 0.4, colors="k", linestyles=":", lw=2, label=label)
    ax.set_xticks(range(4), ["exact\ncaption", "colour", "shape", "position"], fontsize=8.5)
    ax.set_ylim(0, 1.25)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_ylabel("test accuracy")
    ax.set_title("captions, prefix captioner (attributes per object)", fontsize=10)
    ax.legend(fontsize=8, loc="upper center")

    fig.suptitle(title, fontsize=12, y=0.99)
    fig.savefig(path, dpi=90, bbox_inches="tight")
    plt.close(fig)


def _pct(x) -> str:
    return f"{x:6.1%}"


def main(argv=None) -> int:
    parser = argument_parser("multimodal", __doc__)
    parser.add_argument("--quick", action="store_true", help="fewer scenes and steps (< 30 s)")
    parser.add_argument("--steps", type=argtypes.positive_int, default=None,
                        help="training steps of every model (default: per model)")  # fmt: skip
    parser.add_argument("--train", type=argtypes.positive_int, default=None, help="train scenes")
    parser.add_argument("--test", type=argtypes.positive_int, default=None, help="test scenes")
    parser.add_argument("--seed", type=argtypes.seed, default=0)
    parser.add_argument("--encoder", choices=("mlp", "conv"), default="mlp")
    parser.add_argument("--out", default=FIGURE, help=f"the figure's PNG (default {FIGURE})")
    parser.add_argument("--no-figure", action="store_true", help="save no figure")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    s = dict(QUICK if args.quick else DEFAULT)
    if args.steps is not None:
        s.update(qa_steps=args.steps, clip_steps=args.steps, caption_steps=args.steps)
    s["train"] = args.train or s["train"]
    s["test"] = args.test or s["test"]
    s["val"] = min(s["val"], s["test"])
    progress = not args.no_progress
    t_start = time.perf_counter()
    minilm.manual_seed(args.seed)
    cfg = MultimodalConfig(encoder=args.encoder)
    tr = shapes.make_split("train", s["train"], args.seed)
    val = shapes.make_split("val", s["val"], args.seed)
    test = shapes.make_split("test", s["test"], args.seed)
    seconds = {"data": time.perf_counter() - t_start}

    def run(name, what, model, loss_fn, steps, lr, eval_fn, distinct=False):
        print(f"[{name}] {what}: {_params(model):,} parameters, {steps} steps", flush=True)
        t = time.perf_counter()
        hist = train(model, tr, steps, loss_fn, args.seed, lr, eval_fn, progress=progress,
                     distinct=distinct)  # fmt: skip
        seconds[name] = time.perf_counter() - t
        sys.stderr.flush()
        return model, hist

    def val_qa(model):
        return {"val_acc": float((qa_predictions(model, val) == val.answer_ids).mean())}

    qa, curves = {}, {}
    qa["chance"] = {k: 1 / len(shapes.ANSWERS) for k in ("all", *shapes.QUESTION_KINDS)}
    guess = question_only_answers(tr, test)
    qa["question only"] = by_kind([g == a for g, a in zip(guess, test.answers)], test.questions)
    fusion = {"early": ("early fusion QA", EarlyFusionQA),
              "late": ("late fusion QA", LateFusionQA)}  # fmt: skip
    n_params = {}
    for name, (what, cls) in fusion.items():
        model, hist = run(name, what, cls(cfg), _qa_loss, s["qa_steps"], LR, val_qa)
        n_params[name] = _params(model)
        curves[name] = hist.eval_metric("val_acc")
        qa[name] = by_kind(qa_predictions(model, test) == test.answer_ids, test.questions)

    clip, _ = run("clip", "dual encoder (CLIP-style)", DualEncoder(cfg), _pair_loss,
                  s["clip_steps"], LR, lambda m: {"val_i2t@1": retrieval(m, val)["i2t@1"]},
                  distinct=True)  # fmt: skip
    ret = retrieval(clip, test)

    def val_captions(model):
        return {"val_exact": caption_scores(model.caption(minilm.tensor(val.images)),
                                            val.scenes)["exact"]}  # fmt: skip

    captioner, _ = run("caption", f"prefix captioner (P={cfg.prefix_len} image vectors, "
                       f"{cfg.n_layer}-layer GPT)", PrefixCaptioner(cfg), _pair_loss,
                       s["caption_steps"], LR, val_captions)  # fmt: skip
    generated = captioner.caption(minilm.tensor(test.images))
    cap = caption_scores(generated, test.scenes)
    seconds["total"] = time.perf_counter() - t_start

    distinct = len({c for c in tr.captions + val.captions + test.captions})
    print(f"\nshapes: {len(tr)} train / {len(val)} val / {len(test)} test scenes ({distinct} "
          f"distinct scenes), {cfg.size}x{cfg.size} RGB, {args.encoder} image encoder, "
          f"seed {args.seed}")  # fmt: skip
    print(f"\nquestion answering, {len(test)} test questions, {len(shapes.ANSWERS)} answers "
          f"({s['qa_steps']} steps each):")  # fmt: skip
    print(f"  {'':44} {'all':>6} {'colour':>6} {'shape':>6} {'yes/no':>6}")
    rows = [("chance (uniform over the 9 answers)", "chance"),
            ("question only (most frequent train answer)", "question only"),
            (f"early fusion ({n_params['early']:,} parameters)", "early"),
            (f"late fusion ({n_params['late']:,} parameters)", "late")]  # fmt: skip
    for label, key in rows:
        r = qa[key]
        print(f"  {label:44} " + " ".join(_pct(r[k]) for k in ("all", *shapes.QUESTION_KINDS)))
    temp = 1 / np.exp(min(clip.logit_scale.item(), DualEncoder.MAX_LOGIT_SCALE))
    print(f"\nretrieval, dual encoder, {len(test)} test pairs ({s['clip_steps']} steps, learned "
          f"temperature {temp:.3f}; a caption shared by several images matches each):")  # fmt: skip
    for k in (1, 5):
        print(f"  recall@{k}: image->text {_pct(ret[f'i2t@{k}'])}, text->image "
              f"{_pct(ret[f't2i@{k}'])}, chance {_pct(ret[f'chance@{k}'])}")  # fmt: skip
    print(f"\ncaptions, prefix captioner, greedy, {len(test)} test images "
          f"({s['caption_steps']} steps):")  # fmt: skip
    print(f"  exact {_pct(cap['exact'])}, grammatical {_pct(cap['parsed'])}, right object "
          f"count {_pct(cap['count'])}")  # fmt: skip
    print(f"  per object: colour {_pct(cap['colour'])} (chance {1 / len(shapes.COLOURS):.1%}), "
          f"shape {_pct(cap['shape'])} (chance {1 / len(shapes.SHAPES):.1%}), "
          f"position {_pct(cap['position'])}")  # fmt: skip
    wrong = [j for j in range(len(test)) if generated[j] != test.captions[j]]
    for j in list(range(4)) + wrong[:3]:
        print(f"  {generated[j]!r:42} truth: {test.captions[j]!r}")
    print("\ntime: " + ", ".join(f"{k} {v:.0f} s" for k, v in seconds.items()))
    if not args.no_figure:
        folder = os.path.dirname(args.out)
        if folder:
            os.makedirs(folder, exist_ok=True)
        title = (f"multimodal fusion on shapes ({len(tr)} training scenes, {args.encoder} "
                 f"image encoder, seed {args.seed})")  # fmt: skip
        _figure(args.out, test, generated, curves, qa, ret, cap, title)
        print(f"figure: {args.out}")
    return 0
