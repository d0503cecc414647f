"""BPE training and encoding speed on tinyshakespeare, and the naive/incremental ratio.

``python -m minilm.bench bpe [--vocab-size 512] [--naive-chars N]``

Trains the byte-level BPE tokenizer to ``vocab_size`` tokens on the whole of
tinyshakespeare, encodes the whole text, and times both. Then it times the
naive trainer (re-count every pair after every merge) and the incremental one
on the same input, checks they learn identical merges, and prints the ratio.
``--naive-chars`` limits that comparison to a prefix of the text (0 means all).
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

from minilm import argtypes
from minilm.data import load_text
from minilm.text import BPETokenizer, split_chunks
from minilm.text.bpe_train import learn_merges

from ._naive_bpe import learn_merges_naive


def _chunk_counts(text: str) -> Counter:
    return Counter({c.encode("utf-8"): n for c, n in Counter(split_chunks(text)).items()})


def _timed(fn, *args):
    t = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m minilm.bench bpe", description=__doc__)
    parser.add_argument("--vocab-size", type=argtypes.positive_int, default=512,
                        help="256 bytes plus the merges to learn (default 512)")  # fmt: skip
    parser.add_argument("--naive-chars", type=argtypes.nonnegative_int, default=0,
                        help="prefix for the naive run")  # fmt: skip
    args = parser.parse_args(argv)

    text = load_text("tinyshakespeare")
    tok = BPETokenizer()
    _, t_train = _timed(tok.train, text, args.vocab_size)
    ids, t_encode = _timed(tok.encode, text)
    assert tok.decode(ids) == text
    print(f"tinyshakespeare: {len(text):,} characters, vocab_size={args.vocab_size}")
    print(f"  train (incremental counts): {t_train:7.2f} s")
    print(f"  encode the whole text:      {t_encode:7.2f} s  ->  {len(ids):,} tokens "
          f"({len(text) / len(ids):.2f} chars/token)")  # fmt: skip

    prefix = text if args.naive_chars <= 0 else text[: args.naive_chars]
    counts = _chunk_counts(prefix)
    num_merges = args.vocab_size - 256
    fast, t_fast = _timed(learn_merges, counts, num_merges)
    slow, t_slow = _timed(learn_merges_naive, counts, num_merges)
    where = "the whole text" if prefix is text else f"the first {len(prefix):,} characters"
    print(
        f"merge learning only, on {where} ({len(counts):,} distinct chunks, {num_merges} merges):"
    )
    print(f"  incremental: {t_fast:7.3f} s")
    print(f"  naive:       {t_slow:7.3f} s   ratio naive/incremental = {t_slow / t_fast:.1f}x")
    print(f"  same merges: {fast == slow}")
    return 0 if fast == slow else 1
