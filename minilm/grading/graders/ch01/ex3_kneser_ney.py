"""Graders for ex3_kneser_ney, against ``NgramModel(2, KneserNey(discount=[0, D]))``."""

from hypothesis import strategies as st

from minilm.backend import np
from minilm.grading import assert_close, check, prop
from minilm.ngram import KneserNey, NgramModel
from minilm.testing import floats

from ._corpora import bigram_table, corpora, distributions

# what this exercise asks the student to write: refused in the sandbox
REIMPLEMENTS = ("minilm.ngram.smoothing.KneserNey.score", "minilm.ngram.model.NgramModel.fit")

discounts = floats(0.05, 0.95)


def _model(sentences, D):
    return NgramModel(2, KneserNey(discount=[0.0, D])).fit(sentences)


@check(points=2)
@prop(sentences=corpora())
def continuation(student, sentences):
    """P_cont(w) = N1+(. w) / N1+(. .), the distribution of a context never seen"""
    lm = _model(sentences, 0.5)
    got = student.continuation_probability(bigram_table(lm))
    want = lm.distribution(["</s>"])  # nothing ever follows </s>: an unseen context
    assert_close(np.asarray(got, dtype=np.float64), want, "P_cont")


@check(points=2)
@prop(sentences=corpora(), D=discounts)
def bigram_model(student, sentences, D):
    """P(w | h) in every context, seen or not, for a random discount D"""
    lm = _model(sentences, D)
    table = bigram_table(lm)
    got = student.kneser_ney(table.copy(), D)
    assert_close(got, distributions(lm), f"Kneser-Ney probabilities with D = {D:g}")


@check(points=1)
@prop(sentences=corpora(), D=st.sampled_from([0.1, 0.5, 0.9]))
def rows_sum_to_one(student, sentences, D):
    """every row of the Kneser-Ney table sums to 1"""
    table = bigram_table(_model(sentences, D))
    got = student.kneser_ney(table, D)
    got = np.asarray(got)
    assert_close(got.sum(axis=1), np.ones(len(got)), "row sums")
