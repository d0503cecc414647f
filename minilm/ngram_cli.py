"""``python -m minilm ngram``: fit an n-gram model on a bundled corpus, report perplexity, sample.

Example: ``python -m minilm ngram --corpus names --order 3 --smoothing kneser-ney``
"""

from __future__ import annotations

import argparse
import sys
import time

from . import argtypes
from .data import SPLITS, read_text_file, split_rule
from .ngram import SMOOTHINGS, NgramModel
from .ngram.corpus import (
    DEFAULT_LEVEL,
    DEFAULT_MIN_COUNT,
    NGRAM_CORPORA,
    corpus_sentences,
    text_sentences,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--corpus", choices=NGRAM_CORPORA, default="names")
    source.add_argument("--text", type=argtypes.existing_file, default=None,
                        help="your own UTF-8 text file (split 90/5/5)")  # fmt: skip
    parser.add_argument("--split-by", choices=("lines", "blocks"), default=None,
                        help="how to split your --text (default: by its shape)")  # fmt: skip
    level_help = ("char or word tokens (default: char for names and a text of lines, "
                  "else word)")  # fmt: skip
    parser.add_argument("--level", choices=("char", "word"), default=None, help=level_help)
    parser.add_argument("--order", type=argtypes.ngram_order, default=3,
                        help="n: each token is predicted from the n-1 before it")  # fmt: skip
    parser.add_argument("--smoothing", choices=list(SMOOTHINGS), default="kneser-ney")
    parser.add_argument("--min-count", type=argtypes.positive_int, default=None,
                        help="training tokens seen fewer times become <unk> "
                             "(default: 1 for chars, 2 for words)")  # fmt: skip
    parser.add_argument("--samples", type=argtypes.nonnegative_int, default=5,
                        help="sentences to sample (default 5)")  # fmt: skip
    parser.add_argument("--seed", type=argtypes.seed, default=0)
    parser.add_argument("--temperature", type=argtypes.positive_float, default=1.0)


def main(args) -> int:
    if args.text is not None:
        try:
            text = read_text_file(args.text)
            rule = args.split_by or split_rule(text)
            level = args.level or ("char" if rule == "lines" else "word")
            train, val, test = (text_sentences(text, s, level, rule) for s in SPLITS)
        except (ValueError, OSError) as e:
            print(f"ngram: error: {e}", file=sys.stderr)
            return 2
        name = f"{args.text.name} (split by {rule})"
    else:
        level = args.level or DEFAULT_LEVEL[args.corpus]
        train, val, test = (corpus_sentences(args.corpus, s, level) for s in SPLITS)
        name = args.corpus
    min_count = DEFAULT_MIN_COUNT[level] if args.min_count is None else args.min_count
    start = time.perf_counter()
    lm = NgramModel(args.order, args.smoothing, min_count=min_count)
    lm.fit(train, heldout=val)
    seconds = time.perf_counter() - start
    print(f"{lm} on {name} ({len(train):,} training sentences, "
          f"{len(lm.tokens):,} predictable tokens), fitted in {seconds:.2f} s")  # fmt: skip
    print(f"val perplexity:  {lm.perplexity(val):.3f}")
    print(f"test perplexity: {lm.perplexity(test):.3f}")
    join = "" if isinstance(train[0], str) else " "
    for sample in lm.generate(args.samples, seed=args.seed, temperature=args.temperature):
        print("  " + join.join(sample))
    return 0
