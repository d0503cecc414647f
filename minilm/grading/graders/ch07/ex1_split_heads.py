"""Graders for ex1_split_heads, against ``MultiHeadAttention.split_heads/merge_heads``."""

from hypothesis import strategies as st

from minilm.grading import assert_close, check, prop
from minilm.nn import MultiHeadAttention
from minilm.tensor import as_tensor
from minilm.testing import arrays

REIMPLEMENTS = (
    "minilm.nn.attention.MultiHeadAttention.split_heads",
    "minilm.nn.attention.MultiHeadAttention.merge_heads",
)


@st.composite
def inputs(draw):
    """(x (B, T, d), H) with d = H * hd, distinct entries so a swap shows."""
    B, T, H, hd = (draw(st.integers(1, 4)) for _ in range(4))
    return draw(arrays((B, T, H * hd), unique=True)), H


@check(points=1)
@prop(problem=inputs())
def split(student, problem):
    """split_heads matches minilm's"""
    x, H = problem
    want = MultiHeadAttention(x.shape[-1], H).split_heads(as_tensor(x))
    assert_close(student.split_heads(x.copy(), H), want, f"split_heads of {x.shape}, H={H}")


@check(points=1)
@prop(problem=inputs())
def merge(student, problem):
    """merge_heads matches minilm's"""
    x, H = problem
    mha = MultiHeadAttention(x.shape[-1], H)
    heads = mha.split_heads(as_tensor(x)).numpy()
    want = mha.merge_heads(as_tensor(heads))
    assert_close(student.merge_heads(heads.copy()), want, f"merge_heads of {heads.shape}")


@check(points=1)
@prop(problem=inputs())
def round_trip(student, problem):
    """merge_heads(split_heads(x)) is x"""
    x, H = problem
    assert_close(student.merge_heads(student.split_heads(x.copy(), H)), x, "round trip")
