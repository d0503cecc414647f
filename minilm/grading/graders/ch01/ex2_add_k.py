"""Graders for ex2_add_k, against ``NgramModel(2, AddK(k))``'s distributions."""

from minilm.backend import np
from minilm.grading import assert_close, check, prop
from minilm.ngram import AddK, NgramModel
from minilm.testing import floats

from ._corpora import bigram_table, corpora, distributions

# what this exercise asks the student to write: refused in the sandbox
REIMPLEMENTS = ("minilm.ngram.smoothing.AddK.score", "minilm.ngram.model.NgramModel.fit")


def _compare(student, sentences, k):
    lm = NgramModel(2, AddK(k)).fit(sentences)
    table = bigram_table(lm)  # rows: every vocabulary token as context; columns: predictable
    got = student.add_k(table.copy(), k)
    assert_close(got, distributions(lm), f"add-{k:g} probabilities (counts of shape {table.shape})")
    return got


@check(points=1)
@prop(sentences=corpora())
def laplace(student, sentences):
    """k = 1 (Laplace), seen and unseen contexts"""
    _compare(student, sentences, 1.0)


@check(points=2)
@prop(sentences=corpora(), k=floats(0.01, 3.0))
def any_k(student, sentences, k):
    """random k in [0.01, 3]"""
    _compare(student, sentences, k)


@check(points=1)
@prop(sentences=corpora(), k=floats(0.01, 3.0))
def distributions_sum_to_one(student, sentences, k):
    """every row is positive and sums to 1"""
    lm = NgramModel(2, AddK(k)).fit(sentences)
    got = student.add_k(bigram_table(lm), k)
    assert (got > 0).all(), "add-k gives every token a probability above zero"
    got = np.asarray(got)
    assert_close(got.sum(axis=1), np.ones(len(got)), "row sums")
