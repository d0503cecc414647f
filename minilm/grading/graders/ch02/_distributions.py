"""Random discrete distributions and count tables, with exact zeros, shared by
chapter 02's graders."""

from hypothesis import strategies as st

from minilm.backend import np
from minilm.testing import arrays, floats

# about one entry in four is exactly 0, so 0 log 0 is always exercised
_weights = st.one_of(st.just(0.0), floats(0.01, 1.0), floats(0.01, 1.0), floats(0.01, 1.0))


def _positive_somewhere(a):
    return a.sum() > 0


def distributions(size) -> st.SearchStrategy:
    """1-D probability vectors of length ``size`` (an int), zeros included."""
    return arrays((size,), elements=_weights).filter(_positive_somewhere).map(lambda a: a / a.sum())


@st.composite
def distribution_pairs(draw, q_zeros: bool = False):
    """(p, q) of one random length; q is positive everywhere unless ``q_zeros``."""
    n = draw(st.integers(1, 8))
    p = draw(distributions(n))
    q = draw(distributions(n) if q_zeros else arrays((n,), elements=floats(0.01, 1.0)))
    return p, q / q.sum()


@st.composite
def count_tables(draw):
    """2-D tables of counts (integers as floats, zeros included), X on the rows."""
    shape = (draw(st.integers(1, 6)), draw(st.integers(1, 6)))
    table = draw(arrays(shape, elements=st.integers(0, 20).map(float)))
    return np.where(table.sum() > 0, table, np.ones(shape))
