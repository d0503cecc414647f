"""Graders for ex3_positional_encoding, against ``nn.sinusoidal_positions``."""

from hypothesis import strategies as st

from minilm.grading import assert_close, check, prop
from minilm.nn import sinusoidal_positions

REIMPLEMENTS = ("minilm.nn.attention.sinusoidal_positions",)


def _check(student, P, d):
    got = student.positional_encoding(P, d)
    assert_close(got, sinusoidal_positions(P, d), f"table ({P}, {d})", rtol=1e-5, atol=1e-6)


@check(points=2)
@prop(P=st.integers(1, 60), half=st.integers(1, 16))
def even_width(student, P, half):
    """even d"""
    _check(student, P, 2 * half)


@check(points=1)
@prop(P=st.integers(1, 60), half=st.integers(0, 16))
def odd_width(student, P, half):
    """odd d: the last column is a sine"""
    _check(student, P, 2 * half + 1)
