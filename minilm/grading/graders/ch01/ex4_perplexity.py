"""Graders for ex4_perplexity, against ``NgramModel.perplexity``."""

import math

from hypothesis import strategies as st

from minilm.grading import assert_close, check, prop
from minilm.ngram import NgramModel

from ._corpora import corpora

models = st.tuples(
    st.integers(1, 3), st.sampled_from(["kneser-ney", "laplace", "backoff", "interpolation"])
)


def _setup(train, test, model):
    order, smoothing = model
    # lists of tokens: a word model refuses a string sentence (a string is characters)
    return NgramModel(order, smoothing).fit(train), [list(s) for s in test]


@check(points=2)
@prop(train=corpora(), test=corpora(max_sentences=4), model=models)
def bits(student, train, test, model):
    """cross-entropy in bits per token, the end token </s> included"""
    lm, test = _setup(train, test, model)
    want = math.log2(lm.perplexity(test))
    assert_close(student.cross_entropy_bits(lm, test), want, f"cross-entropy of {lm!r}")


@check(points=2)
@prop(train=corpora(), test=corpora(max_sentences=4), model=models)
def perplexity(student, train, test, model):
    """the perplexity equals NgramModel.perplexity"""
    lm, test = _setup(train, test, model)
    assert_close(student.perplexity(lm, test), lm.perplexity(test), f"perplexity of {lm!r}")
