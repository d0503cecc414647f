"""Graders for ex1_bfloat16_rounding, against ``minilm.precision.round_array`` with
``ml_dtypes.bfloat16``, compared bit for bit (every NaN counts as the same value)."""

import ml_dtypes
from hypothesis import strategies as st

from minilm.backend import np
from minilm.grading import check, prop
from minilm.precision import round_array
from minilm.testing import arrays

REIMPLEMENTS = ("minilm.precision.round_array",)

_shape = st.tuples(st.integers(1, 4), st.integers(1, 6))


def _compare(student, x):
    got = student.round_to_bfloat16(x.copy())
    want = round_array(x, ml_dtypes.bfloat16)
    assert isinstance(got, np.ndarray), f"return a NumPy array, got {type(got).__name__}"
    assert got.dtype == np.float32, (
        f"return float32 (the bfloat16 values, held in float32), got {got.dtype}"
    )
    assert got.shape == x.shape, f"shape {got.shape}, expected {x.shape}"
    nan = np.isnan(want)
    if (np.isnan(got) != nan).any():
        i = tuple(int(k) for k in np.argwhere(np.isnan(got) != nan)[0])
        raise AssertionError(f"at index {i}: x = {x[i]!r} rounds to {want[i]!r}, got {got[i]!r}")
    bad = (got.view(np.uint32) != want.view(np.uint32)) & ~nan
    if bad.any():
        i = tuple(int(k) for k in np.argwhere(bad)[0])
        raise AssertionError(
            f"at index {i}: x = {float(x[i])!r} (bits {int(x.view(np.uint32)[i]):#010x}) rounds "
            f"to {float(want[i])!r} (bits {int(want.view(np.uint32)[i]):#010x}), got "
            f"{float(got[i])!r} (bits {int(got.view(np.uint32)[i]):#010x}); {int(bad.sum())} of "
            f"{bad.size} values differ"
        )


@check(points=2)
@prop(x=arrays(_shape, elements=st.floats(-1e4, 1e4, width=32), dtype="float32"))
def everyday(student, x):
    """values between -1e4 and 1e4 round as bfloat16 rounds them, bit for bit"""
    _compare(student, x)


@st.composite
def ties(draw):
    """float32 values exactly halfway between two neighbouring bfloat16 values."""
    shape = draw(_shape)
    high = draw(arrays(shape, elements=st.integers(0, 0xFFFF), dtype="uint32"))
    high = np.where((high & 0x7F80) == 0x7F80, high & ~np.uint32(0x4000), high)  # no inf or NaN
    return ((high << 16) | np.uint32(0x8000)).astype(np.uint32).view(np.float32)


@check(points=1)
@prop(x=ties())
def halfway_ties_to_even(student, x):
    """a value halfway between two bfloat16 values rounds to the one whose last bit is 0"""
    _compare(student, x)


_SPECIAL = np.array(
    [np.inf, -np.inf, np.nan, -0.0, 0.0, np.finfo(np.float32).max, -np.finfo(np.float32).max,
     np.finfo(np.float32).tiny, 1e-45, -1e-45, 3.3895314e38, 3.3961776e38],
    dtype=np.float32,
)  # fmt: skip


@check(points=1)
@prop(bits=arrays(_shape, elements=st.integers(0, 2**32 - 1), dtype="uint32"))
def every_bit_pattern(student, bits):
    """any float32: subnormals, huge values (to infinity), infinities, NaN staying NaN"""
    _compare(student, _SPECIAL.copy())
    _compare(student, bits.view(np.float32))
