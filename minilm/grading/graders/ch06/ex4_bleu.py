"""Graders for ex4_bleu, against ``minilm.metrics.corpus_bleu``.

minilm keeps BLEU's clipped counts inside ``corpus_bleu``, so the clipped
precision is checked against the counts written out below, which corpus BLEU
of one order confirms (p_n times the brevity penalty).
"""

import math

from hypothesis import strategies as st

from minilm.grading import check, prop
from minilm.metrics import corpus_bleu

REIMPLEMENTS = ("minilm.metrics.corpus_bleu",)

WORDS = ["le", "chat", "est", "sur", "tapis", "."]  # few words: n-grams often match


def sentences(min_size=0, max_size=8):
    return st.lists(st.sampled_from(WORDS), min_size=min_size, max_size=max_size)


@st.composite
def corpora(draw, min_sentences=1, max_sentences=4, max_refs=3):
    k = draw(st.integers(min_sentences, max_sentences))
    hyps = [draw(sentences()) for _ in range(k)]
    refs = [draw(st.lists(sentences(1), min_size=1, max_size=max_refs)) for _ in range(k)]
    return hyps, refs


def _counts(hyp, refs, n):
    """(matches, total): each distinct n-gram of hyp, counted at most as often as
    in the reference that has it most often."""
    grams = [tuple(hyp[i : i + n]) for i in range(len(hyp) - n + 1)]
    ref_grams = [[tuple(r[i : i + n]) for i in range(len(r) - n + 1)] for r in refs]
    matches = sum(min(grams.count(g), max(rg.count(g) for rg in ref_grams)) for g in set(grams))
    return matches, len(grams)


def _assert_counts(student, hyp, refs, n):
    got = student.clipped_precision(list(hyp), [list(r) for r in refs], n)
    assert isinstance(got, (tuple, list)) and len(got) == 2, "return (matches, total)"
    want = _counts(hyp, refs, n)
    assert tuple(got) == want, (
        f"clipped_precision({hyp}, {refs}, n={n}) = {tuple(got)}, expected (matches, total) = "
        f"{want}"
    )


@check(points=1)
@prop(hyp=sentences(), ref=sentences(1))
def unigrams_one_reference(student, hyp, ref):
    """clipped unigram precision against one reference"""
    want = _counts(hyp, [ref], 1)
    if hyp:  # the counts agree with minilm's BLEU of order 1: BP * matches / total
        bp = 1.0 if len(hyp) >= len(ref) else math.exp(1 - len(ref) / len(hyp))
        assert math.isclose(corpus_bleu([hyp], [[ref]], max_n=1), bp * want[0] / want[1])
    _assert_counts(student, hyp, [ref], 1)


@check(points=1)
@prop(hyp=sentences(), refs=st.lists(sentences(1), min_size=2, max_size=3),
      n=st.integers(1, 4))  # fmt: skip
def every_order_several_references(student, hyp, refs, n):
    """clipped n-gram precision, n = 1..4, against several references"""
    _assert_counts(student, hyp, refs, n)


@check(points=1)
@prop(c=st.integers(0, 60), r=st.integers(1, 60))
def brevity(student, c, r):
    """the brevity penalty"""
    # with c < r every word of c copies of one word matches, so minilm's BLEU-1 is the penalty
    want = 0.0 if c == 0 else 1.0 if c >= r else corpus_bleu([["le"] * c], [[["le"] * r]], 1)
    got = student.brevity_penalty(c, r)
    assert isinstance(got, (float, int)), f"brevity_penalty returned {type(got).__name__}"
    assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12), (
        f"brevity_penalty(c={c}, r={r}) = {got!r}, expected {want!r}"
    )


@check(points=2)
@prop(corpus=corpora(), max_n=st.integers(1, 4))
def corpus_bleu_matches(student, corpus, max_n):
    """corpus BLEU, max_n = 1..4"""
    hyps, refs = corpus
    want = corpus_bleu(hyps, refs, max_n=max_n)
    got = student.corpus_bleu([list(h) for h in hyps], [[list(r) for r in rs] for rs in refs],
                              max_n)  # fmt: skip
    assert isinstance(got, (float, int)), f"corpus_bleu returned {type(got).__name__}"
    assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12), (
        f"corpus_bleu(max_n={max_n}) = {got!r}, expected {want!r} for hypotheses {hyps} and "
        f"references {refs}"
    )
