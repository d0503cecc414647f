"""Graders for ex5_analogy, against ``minilm.models.Word2Vec``'s queries."""

from hypothesis import assume
from hypothesis import strategies as st

from minilm.backend import np
from minilm.grading import check, prop
from minilm.models.word2vec import Word2Vec
from minilm.testing import arrays, floats

# what this exercise asks the student to write: refused in the sandbox
REIMPLEMENTS = (
    "minilm.models.word2vec.Word2Vec.nearest",
    "minilm.models.word2vec.Word2Vec.analogy",
)


@st.composite
def tables(draw):
    """(vectors (V, D), a model holding them, three distinct word indices)."""
    V, D = draw(st.integers(5, 12)), draw(st.integers(2, 6))
    vectors = draw(arrays((V, D), floats(-2, 2)))
    norms = np.linalg.norm(vectors, axis=1)
    assume(norms.min() > 0.1)
    unit = vectors / norms[:, None]
    sims = unit @ unit.T
    assume(np.abs(np.diff(np.sort(sims, axis=1), axis=1)).min() > 1e-6)  # no ties
    words = [f"w{i}" for i in range(V)]
    model = Word2Vec(words, [1] * V, dim=D)
    model.W_in.weight.data[...] = vectors
    a, b, c = draw(st.permutations(range(V)))[:3]
    return vectors, model, (a, b, c)


def _indices(model, pairs):
    return [model.vocab[w] for w, _ in pairs]


@check(points=1)
@prop(table=tables(), k=st.integers(1, 4))
def neighbours(student, table, k):
    """the k nearest rows to a query vector, most similar first"""
    vectors, model, (a, _, _) = table
    got = [int(i) for i in student.nearest(vectors.copy(), vectors[a].copy(), k)]
    want = _indices(model, model.nearest(vectors[a], k))
    assert got == want, f"nearest to row {a}, k={k}: got {got}, expected {want}"


@check(points=1)
@prop(table=tables(), k=st.integers(1, 3))
def exclusions(student, table, k):
    """excluded rows never come back (e.g. the query word itself)"""
    vectors, model, (a, b, _) = table
    got = [int(i) for i in student.nearest(vectors.copy(), vectors[a].copy(), k, exclude=[a, b])]
    want = _indices(model, model.nearest(vectors[a], k, exclude=[f"w{a}", f"w{b}"]))
    assert got == want, f"nearest to row {a} without {a}, {b}: got {got}, expected {want}"


@check(points=1)
@prop(table=tables(), k=st.integers(1, 2))
def analogies(student, table, k):
    """a : b :: c : ? by unit(b) - unit(a) + unit(c)"""
    vectors, model, (a, b, c) = table
    query = model.vectors()[b] - model.vectors()[a] + model.vectors()[c]
    unit = model.vectors()
    sims = unit @ (query / np.linalg.norm(query))
    sims[[a, b, c]] = -np.inf
    assume(np.diff(np.sort(sims[np.isfinite(sims)])).min() > 1e-6)
    got = [int(i) for i in student.analogy(vectors.copy(), a, b, c, k)]
    want = _indices(model, model.analogy(f"w{a}", f"w{b}", f"w{c}", k))
    assert got == want, f"analogy w{a} : w{b} :: w{c} : ? got {got}, expected {want}"
