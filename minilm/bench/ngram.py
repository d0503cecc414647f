"""Test perplexity of every n-gram smoothing method at orders 1..5, as markdown tables.

``python -m minilm.bench ngram [--corpus names tinyshakespeare] [--max-order 5]``

Each model is fitted on the train split (interpolation weights tuned on val)
and scored on the test split; perplexity counts the end-of-sentence token.
Corpora: names as characters, tinyshakespeare as words, one sentence per line
(see :mod:`minilm.ngram.corpus`). Models use their defaults (estimated
discounts, add-k with k = 1); words seen once in training become ``<unk>``
(``min_count=2``, the corpus default for words).
"""

from __future__ import annotations

import argparse
import time

from minilm import argtypes
from minilm.ngram import SMOOTHINGS, NgramModel
from minilm.ngram.corpus import DEFAULT_LEVEL, DEFAULT_MIN_COUNT, NGRAM_CORPORA, corpus_sentences


def table(corpus: str, max_order: int, level: str | None = None) -> str:
    level = level or DEFAULT_LEVEL[corpus]
    train, val, test = (corpus_sentences(corpus, s, level) for s in ("train", "val", "test"))
    orders = range(1, max_order + 1)
    lines = [
        f"{corpus} ({level}s, min_count={DEFAULT_MIN_COUNT[level]}): test perplexity",
        "",
        "| smoothing | " + " | ".join(f"n={n}" for n in orders) + " |",
        "| --- |" + " ---: |" * len(orders),
    ]
    start = time.perf_counter()
    for name in SMOOTHINGS:
        if name == "laplace":  # the same model as add-k's default, k = 1
            continue
        cells = []
        for n in orders:
            lm = NgramModel(n, name, min_count=DEFAULT_MIN_COUNT[level]).fit(train, heldout=val)
            cells.append(f"{lm.perplexity(test):.2f}")
        label = "add-k (k=1, Laplace)" if name == "add-k" else name
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", f"({time.perf_counter() - start:.0f} s for the table)"]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m minilm.bench ngram", description=__doc__)
    parser.add_argument("--corpus", nargs="+", choices=NGRAM_CORPORA,
                        default=["names", "tinyshakespeare"])  # fmt: skip
    parser.add_argument("--max-order", type=argtypes.ngram_order, default=5)
    args = parser.parse_args(argv)
    for corpus in args.corpus:
        print(table(corpus, args.max_order), end="\n\n")
    return 0
