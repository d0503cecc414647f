"""Graders for ex5_rouge_l, against ``minilm.metrics.rouge_l``."""

from hypothesis import strategies as st

from minilm.backend import np
from minilm.grading import assert_close, check, prop
from minilm.metrics import rouge_l as reference_rouge_l

REIMPLEMENTS = (
    "minilm.metrics.rouge_l",
    "minilm.metrics.lcs_length",
    "minilm.metrics.rouge",
    "minilm.metrics.corpus_rouge",
)

# few distinct words, so the lists share long subsequences and many ties
_WORDS = ["the", "cat", "sat", "on", "a", "mat", "dog"]


def token_lists(min_size=1, max_size=25):
    return st.integers(2, len(_WORDS)).flatmap(
        lambda k: st.lists(st.sampled_from(_WORDS[:k]), min_size=min_size, max_size=max_size)
    )


def _student(student, h, r):
    hh, rr = list(h), list(r)
    got = student.rouge_l(hh, rr)
    what = f"rouge_l({h!r}, {r!r})"
    assert isinstance(got, (tuple, list)) and len(got) == 3, (
        f"{what}: return (precision, recall, f1), got {got!r}"
    )
    assert hh == h and rr == r, f"{what}: the token lists were modified"
    return tuple(float(x) for x in got), what


@check(points=2)
@prop(h=token_lists(), r=token_lists())
def lcs_precision_recall(student, h, r):
    """precision and recall: the LCS over each list's length, on random lists"""
    (p, rec, _), what = _student(student, h, r)
    want = reference_rouge_l(h, r)
    assert_close(p, want.precision, f"{what}: precision")
    assert_close(rec, want.recall, f"{what}: recall")


@check(points=1)
@prop(h=token_lists(), r=token_lists())
def f1(student, h, r):
    """F1, the harmonic mean of precision and recall (0 when both are 0)"""
    (_, _, f), what = _student(student, h, r)
    assert_close(f, reference_rouge_l(h, r).f1, f"{what}: F1")


@check(points=1)
@prop(h=token_lists(min_size=0, max_size=4), r=token_lists(min_size=0, max_size=4))
def empty_lists(student, h, r):
    """an empty hypothesis or reference scores (0, 0, 0)"""
    for a, b in ((h, []), ([], r), ([], [])):
        got, what = _student(student, a, b)
        assert got == (0.0, 0.0, 0.0), f"{what}: expected (0.0, 0.0, 0.0), got {got}"


@check(points=1)
@prop(max_examples=3, seed=st.integers(0, 2**31 - 1))
def long_lists(student, seed):
    """400-token lists, in the time the dynamic program takes (not exponential search)"""
    # drawn from a seed, not element by element: shrinking a failing 400-token list
    # would take minutes, and its failure needs no smaller example
    gen = np.random.default_rng(seed)
    h, r = ([_WORDS[i] for i in gen.integers(0, 5, 400)] for _ in range(2))
    got, _ = _student(student, h, r)
    assert_close(got[2], reference_rouge_l(h, r).f1, "rouge_l of two 400-token lists: F1")
