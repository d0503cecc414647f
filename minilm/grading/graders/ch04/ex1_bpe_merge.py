"""Graders for ex1_bpe_merge, against ``minilm.text.bpe_train``."""

from collections import Counter

from hypothesis import strategies as st

from minilm.grading import check, prop
from minilm.text import split_chunks
from minilm.text.bpe_train import learn_merges, merge_pair

# what this exercise asks the student to write: refused in the sandbox
REIMPLEMENTS = ("minilm.text.bpe_train.learn_merges", "minilm.text.bpe_train.merge_pair")

texts = st.text(alphabet="ab c,é", min_size=1, max_size=60)
symbols = st.integers(1, 3)


def _chunks(text):
    """Distinct chunks as lists of byte ids, and their frequencies, as BPETokenizer cuts them."""
    counts = Counter(c.encode("utf-8") for c in split_chunks(text))
    return [list(c) for c in counts], list(counts.values()), counts


@check(points=1)
@prop(seq=st.lists(symbols, max_size=12), pair=st.tuples(symbols, symbols))
def merge(student, seq, pair):
    """merge replaces each non-overlapping occurrence, left to right"""
    got = student.merge(list(seq), pair, 9)
    want = merge_pair(list(seq), pair, 9)
    assert list(got) == want, f"merge({seq}, {pair}, 9): got {list(got)}, expected {want}"


@check(points=1)
@prop(text=texts)
def count_pairs(student, text):
    """pair counts weighted by each chunk's frequency"""
    words, freqs, _ = _chunks(text)
    want = Counter()
    for w, f in zip(words, freqs):
        for p in zip(w, w[1:]):
            want[p] += f
    got = student.count_pairs([w[:] for w in words], list(freqs))
    got = {tuple(p): c for p, c in dict(got).items() if c}
    assert got == dict(want), f"pair counts: got {got}, expected {dict(want)}"


@check(points=2)
@prop(text=texts, steps=st.integers(1, 12))
def training(student, text, steps):
    """repeated bpe_step learns the same merges as learn_merges, ties included"""
    words, freqs, counts = _chunks(text)
    want = learn_merges(counts, steps)
    got = []
    for m in range(steps):
        before = [w[:] for w in words]
        result = student.bpe_step(words, freqs, 256 + m)
        assert words == before, "bpe_step must not modify the words it is given"
        if result is None:
            break
        pair, words = result
        got.append(tuple(pair))
    assert got == want, f"merges learned: got {got}, expected {want}"
