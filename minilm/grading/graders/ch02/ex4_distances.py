"""Graders for ex4_distances, against direct broadcasting with minilm tensors."""

from hypothesis import strategies as st

import minilm
from minilm.grading import assert_close, check, prop
from minilm.testing import arrays, floats

# what this exercise asks the student to write: refused in the sandbox
REIMPLEMENTS = ()  # the library has no function that computes this answer


@st.composite
def matrix_pairs(draw):
    """(X (N, D), Y (M, D)) whose rows are never all zero; N, M, D drawn separately."""
    N, M, D = (draw(st.integers(1, 5)) for _ in range(3))
    elements = floats(-3.0, 3.0).filter(lambda v: abs(v) > 0.05)
    return draw(arrays((N, D), elements=elements)), draw(arrays((M, D), elements=elements))


def _reference(X, Y):
    x, y = minilm.tensor(X, dtype="float64"), minilm.tensor(Y, dtype="float64")
    diff = x.expand_dims(1) - y.expand_dims(0)  # (N, M, D)
    dot = (x.expand_dims(1) * y.expand_dims(0)).sum(axis=-1)  # (N, M)
    norms = (x * x).sum(axis=-1).sqrt().expand_dims(1) * (y * y).sum(axis=-1).sqrt()  # (N, M)
    return (diff * diff).sum(axis=-1).numpy(), (dot / norms).numpy()


@check(points=2)
@prop(XY=matrix_pairs())
def squared_distances(student, XY):
    """||X[i] - Y[j]||^2 for every pair of rows"""
    got = student.pairwise_sq_distances(*(a.copy() for a in XY))
    assert_close(got, _reference(*XY)[0], "squared distances", rtol=1e-6, atol=1e-9)


@check(points=2)
@prop(XY=matrix_pairs())
def cosine(student, XY):
    """X[i] . Y[j] / (||X[i]|| ||Y[j]||) for every pair of rows"""
    got = student.cosine_similarity(*(a.copy() for a in XY))
    assert_close(got, _reference(*XY)[1], "cosine similarities", rtol=1e-6, atol=1e-9)
