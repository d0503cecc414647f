"""Graders for ex2_bag_of_words, against ``minilm.functional.one_hot``."""

from hypothesis import strategies as st

import minilm.functional as F
from minilm.backend import np
from minilm.grading import assert_close, check, prop

# what this exercise asks the student to write: refused in the sandbox
REIMPLEMENTS = ("minilm.functional.one_hot", "minilm.recipes.finetune.bow_features")


@st.composite
def corpora(draw):
    """(V, docs): a vocabulary size and 1-5 documents of ids in [0, V), empty ones included."""
    V = draw(st.integers(1, 8))
    docs = draw(st.lists(st.lists(st.integers(0, V - 1), max_size=10), min_size=1, max_size=5))
    return V, docs


def _reference(docs, V, binary=False):
    rows = [F.one_hot(np.array(d, dtype=np.int64), V).numpy().sum(axis=0) if d else np.zeros(V)
            for d in docs]  # fmt: skip
    bags = np.stack(rows).astype(np.float64)
    return np.minimum(bags, 1.0) if binary else bags


@check(points=1)
@prop(V=st.integers(1, 8), data=st.data())
def one_hot(student, V, data):
    """one_hot(ids, V) equals F.one_hot"""
    ids = data.draw(st.lists(st.integers(0, V - 1), min_size=1, max_size=10))
    got = np.asarray(student.one_hot(list(ids), V), dtype=np.float64)
    assert_close(got, F.one_hot(np.array(ids), V).numpy(), f"one_hot({ids}, {V})", rtol=0)


@check(points=2)
@prop(corpus=corpora())
def counts(student, corpus):
    """each row counts how often each id occurs in the document"""
    V, docs = corpus
    got = np.asarray(student.bag_of_words([d[:] for d in docs], V), dtype=np.float64)
    assert_close(got, _reference(docs, V), f"bag of words of {docs}", rtol=0)


@check(points=1)
@prop(corpus=corpora())
def binary(student, corpus):
    """binary=True marks presence (1) or absence (0)"""
    V, docs = corpus
    got = np.asarray(student.bag_of_words([d[:] for d in docs], V, binary=True), dtype=np.float64)
    assert_close(got, _reference(docs, V, binary=True), f"binary bag of words of {docs}", rtol=0)
