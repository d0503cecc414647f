"""Graders for ex1_bigram_counts, against ``NgramModel(2, "mle")``'s counts and
distributions."""

from minilm.backend import np
from minilm.grading import assert_close, check, prop
from minilm.ngram import NgramModel

from ._corpora import bigram_table, corpora, distributions

# what this exercise asks the student to write: refused in the sandbox
REIMPLEMENTS = ("minilm.ngram.model.NgramModel.fit",)


def _model(sentences):
    return NgramModel(2, "mle").fit(sentences)


def _full_width(lm, table):
    """A (V, predictable) table widened to (V, V): the ``<s>`` column is 0."""
    full = np.zeros((len(lm.vocab), len(lm.vocab)))
    full[:, lm.predictable] = table
    return full


def _student_counts(student, sentences, vocab):
    counts = student.bigram_counts([s[:] for s in sentences], list(vocab))
    return np.asarray(counts, dtype=np.float64)


@check(points=2)
@prop(sentences=corpora())
def counts(student, sentences):
    """counts[i, j] is how often vocab[j] follows vocab[i], with <s> and </s> padding"""
    lm = _model(sentences)
    got = _student_counts(student, sentences, lm.vocab.itos)
    assert_close(got, _full_width(lm, bigram_table(lm)), "bigram counts", rtol=0, atol=0)


def _student_mle(student, lm):
    counts = _full_width(lm, bigram_table(lm))
    probs = student.bigram_mle(counts.copy())
    return counts, np.asarray(probs, dtype=np.float64)


@check(points=1)
@prop(sentences=corpora())
def probabilities(student, sentences):
    """P(w | h) = c(h w) / c(h) in every context seen in training"""
    lm = _model(sentences)
    counts, probs = _student_mle(student, lm)
    seen = counts.sum(axis=1) > 0
    want = _full_width(lm, distributions(lm))
    assert_close(probs[seen], want[seen], "MLE probabilities of the seen contexts")


@check(points=1)
@prop(sentences=corpora())
def rows_sum_to_one(student, sentences):
    """each seen context's row sums to 1; an unseen context's row is all zero"""
    lm = _model(sentences)
    counts, probs = _student_mle(student, lm)
    seen = counts.sum(axis=1) > 0
    assert_close(probs.sum(axis=1)[seen], np.ones(int(seen.sum())), "row sums of seen contexts")
    assert_close(probs[~seen], np.zeros_like(probs[~seen]), "rows of unseen contexts")
