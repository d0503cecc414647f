"""Graders for ex4_perplexity, against ``NgramModel.perplexity``."""

import math

from hypothesis import strategies as st

from minilm.grading import assert_close, check, prop
from minilm.sandbox.probes import fitted_ngram

from ._corpora import corpora

REIMPLEMENTS = (
    "minilm.ngram.model.NgramModel.perplexity",
    "minilm.ngram.model.NgramModel.logprobs",
)

models = st.tuples(
    st.integers(1, 3), st.sampled_from(["kneser-ney", "laplace", "backoff", "interpolation"])
)


def _setup(train, test, model):
    order, smoothing = model
    # lists of tokens: a word model refuses a string sentence (a string is characters)
    return fitted_ngram(train, order, smoothing), [list(s) for s in test]


def _student(student, name, train, test, model):
    """The student's ``name(lm, test)``, with the model fitted beside their code."""
    return student.probe("ngram", name, train, *model, [list(s) for s in test])


@check(points=2)
@prop(train=corpora(), test=corpora(max_sentences=4), model=models)
def bits(student, train, test, model):
    """cross-entropy in bits per token, the end token </s> included"""
    lm, test = _setup(train, test, model)
    want = math.log2(lm.perplexity(test))
    assert_close(
        _student(student, "cross_entropy_bits", train, test, model),
        want,
        f"cross-entropy of {lm!r}",
    )


@check(points=2)
@prop(train=corpora(), test=corpora(max_sentences=4), model=models)
def perplexity(student, train, test, model):
    """the perplexity equals NgramModel.perplexity"""
    lm, test = _setup(train, test, model)
    assert_close(
        _student(student, "perplexity", train, test, model),
        lm.perplexity(test),
        f"perplexity of {lm!r}",
    )
