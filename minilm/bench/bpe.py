"""BPE training and encoding speed on tinyshakespeare, and the naive/fast ratios.

``python -m minilm.bench bpe [--vocab-size 512] [--naive-chars N] [--run-chars N]``

Trains the byte-level BPE tokenizer to ``vocab_size`` tokens on the whole of
tinyshakespeare, encodes the whole text, and times both. Then it times the
naive trainer (re-count every pair after every merge) and the incremental one
on the same input, checks they learn identical merges, and prints the ratio.
``--naive-chars`` limits that comparison to a prefix of the text (0 means all).

Last, it encodes one run of ``--run-chars`` random letters without a space (a
single chunk) with :meth:`~minilm.text.BPETokenizer.encode_chunk` (a linked
list and a heap, near-linear) and with the naive loop (rescan the whole run for
the best pair after every merge, quadratic), checks they give the same ids, and
prints both times against the target: 40,000 letters in under
:data:`RUN_TARGET_S` seconds.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter

from minilm import argtypes
from minilm.data import load_text
from minilm.text import BPETokenizer, split_chunks
from minilm.text.bpe_train import learn_merges

from ._naive_bpe import encode_chunk_naive, learn_merges_naive

RUN_TARGET_S = 0.1  # a 40,000-letter run, one chunk (the HuggingFace tokenizers take 0.01 s)


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
    parser.add_argument("--run-chars", type=argtypes.positive_int, default=40_000,
                        help="length of the run without spaces (default 40,000)")  # fmt: skip
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

    rng = random.Random(0)
    run = "".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=args.run_chars)).encode()
    heap_ids, t_heap = _timed(tok.encode_chunk, run)
    naive_ids, t_naive = _timed(encode_chunk_naive, tok.merges, run)
    target = RUN_TARGET_S * args.run_chars / 40_000
    met = "met" if t_heap < target else "NOT MET"
    print(f"one run of {args.run_chars:,} random letters without a space (one chunk):")
    print(f"  encode_chunk (heap): {t_heap:7.3f} s   target < {target:.3f} s: {met}")
    print(f"  naive (rescan):      {t_naive:7.3f} s   ratio naive/heap = {t_naive / t_heap:.1f}x")
    print(f"  same ids: {heap_ids == naive_ids}")
    return 0 if fast == slow and heap_ids == naive_ids else 1
