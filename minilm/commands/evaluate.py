"""``python -m minilm evaluate MODEL``: write a model card for a saved model.

    python -m minilm train --model gpt --corpus tinyshakespeare --save shakes.safetensors
    python -m minilm evaluate shakes.safetensors

writes ``shakes.card.md`` and ``shakes.card.json`` next to the model (``--out DIR``
to put them elsewhere): the model, its data and split, held-out nats per character
recomputed now beside those recorded at training, intended use, known limits and a
counterfactual bias probe (:mod:`minilm.evaluate`, :mod:`minilm.bias`). A model
trained on your own text needs that text again (``--text FILE``) for its held-out
metrics: the model file does not keep it. ``--limit N`` scores only the first N
records (characters of running text) of the held-out split, for a quick card.
"""

from __future__ import annotations

import os
import sys

from .. import argtypes
from ..evaluate import evaluate_model, write_model_card
from ..io import CheckpointError


def add_arguments(parser) -> None:
    parser.add_argument("model", type=argtypes.existing_file, help="a model file from train")
    parser.add_argument(
        "--out",
        default=None,
        help="the folder to write NAME.card.md and NAME.card.json to (default: the model's)",
    )
    parser.add_argument(
        "--text",
        type=argtypes.existing_file,
        default=None,
        help="the text file a model trained with --text learned from (for held-out metrics)",
    )
    parser.add_argument(
        "--split",
        choices=["test", "val"],
        default="test",
        help="the held-out split to score (default test)",
    )
    parser.add_argument(
        "--limit",
        type=argtypes.positive_int,
        default=None,
        help="score only the first N records (characters of running text) of the split",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide progress output")


def main(args) -> int:
    out = args.out if args.out is not None else (os.path.dirname(os.fspath(args.model)) or ".")
    if os.path.exists(out) and not os.path.isdir(out):
        print(f"evaluate: error: --out {out!r} is a file; name a folder", file=sys.stderr)
        return 2
    try:
        card = evaluate_model(args.model, split=args.split, limit=args.limit,
                              progress=not args.no_progress, text=args.text)  # fmt: skip
        md_path, json_path = write_model_card(card, out)
    except (CheckpointError, ValueError, OSError) as e:
        print(f"evaluate: error: {e}", file=sys.stderr)
        return 2
    bias = card["bias"]
    print(f"model card: {md_path}\n            {json_path}")
    print(f"model       {card['model']['family']}, {_count(card['model']['parameters'])} "
          f"{card['model']['parameters_meaning']}, {card['data']['source']}")  # fmt: skip
    cut = f" (first {args.limit:,} only)" if args.limit else ""
    rows = card["metrics"]["rows"]
    if all(now is None for _, now, _ in rows):
        print("held out    not scored (give the training text with --text FILE)")
    for name, now, then in rows:
        if now is not None:
            recorded = "" if then is None else f"; {then:.4f} recorded at training"
            print(f"{name:<28} {now:.4f}{cut}{recorded}")
    if bias.get("probe") == "counterfactual log-likelihood per character" and bias["ci"]:
        lo, hi = bias["ci"]
        print(f"bias probe  {bias['mean_difference']:+.4f} nats per character "
              f"({100 * bias['confidence']:g}% interval [{lo:+.4f}, {hi:+.4f}], "
              f"p = {bias['p_value']:.3g}, {bias['scored']} pairs)")  # fmt: skip
    else:
        print(f"bias probe  {bias['reading']}")
    return 0


def _count(n) -> str:
    return "?" if n is None else f"{n:,}"
