"""Graders for ex5_int8_quantization, against ``minilm.quantize.quantize_symmetric``
and ``minilm.quantize.dequantize``.

The integers are compared exactly, except that ``w / scale`` may be computed in
float32 or in float64: the two can round differently when the quotient lies
within one float32 step of a half (never at an exact half, which the ties check
draws on purpose)."""

from hypothesis import strategies as st

from minilm.backend import np
from minilm.grading import assert_close, check, prop
from minilm.quantize import dequantize, quantize_symmetric
from minilm.testing import arrays, shapes

REIMPLEMENTS = (
    "minilm.quantize.quantize_symmetric",
    "minilm.quantize.dequantize",
    "minilm.quantize._to_ints",  # the rounding every quantizer of minilm.quantize goes through
)


def _values(lo, hi):
    return st.floats(lo, hi, width=32, allow_subnormal=False)


_weights = arrays(st.tuples(st.integers(1, 6), st.integers(1, 6)), _values(-10, 10), "float32")


def _quantize(student, w, bits, axis):
    """The student's ``(q, scale)``, its types and shapes checked."""
    what = f"quantize_per_channel(w of shape {w.shape}, bits={bits}, axis={axis})"
    reply = student.quantize_per_channel(w.copy(), bits=bits, axis=axis)
    assert isinstance(reply, (tuple, list)) and len(reply) == 2, (
        f"{what}: return a pair (q, scale), got {type(reply).__name__}"
    )
    q, scale = reply
    for name, a, dtype in (("q", q, np.int8), ("scale", scale, np.float32)):
        assert isinstance(a, np.ndarray), f"{what}: {name} must be a NumPy array, got {a!r}"
        assert a.dtype == dtype, f"{what}: {name} must be {np.dtype(dtype)}, got {a.dtype}"
    assert q.shape == w.shape, f"{what}: q has shape {q.shape}, expected w's {w.shape}"
    want = quantize_symmetric(w, bits, axis)[1].shape
    if scale.shape != want:
        n = want[axis]
        why = (
            f"one scale for the whole array: per-channel needs one per index of axis {axis} "
            f"({n} of them)"
            if scale.size == 1 and n > 1
            else "keep the reduced axes (keepdims=True) so that q * scale broadcasts"
            if scale.size == n
            else f"the max runs over every axis except axis {axis}"
        )
        raise AssertionError(f"{what}: scale has shape {scale.shape}, expected {want}: {why}")
    return q, scale, what


def _compare(student, w, bits, axis):
    q, scale, what = _quantize(student, w, bits, axis)
    want_q, want_scale = quantize_symmetric(w, bits, axis)
    Q = 2 ** (bits - 1) - 1
    why = f"max|w| over the channel / {Q}, or 1 for an all-zero channel"
    assert_close(scale, want_scale, f"{what}: scale ({why})", rtol=1e-6, atol=0)
    r32 = np.clip(np.rint(w / scale), -Q, Q)
    r64 = np.clip(np.rint(w.astype(np.float64) / scale.astype(np.float64)), -Q, Q)
    bad = (q != r32) & (q != r64)
    if bad.any():
        i = tuple(int(k) for k in np.argwhere(bad)[0])
        s = float(np.broadcast_to(scale, w.shape)[i])
        raise AssertionError(
            f"{what}: q{list(i)} is {int(q[i])}, expected {int(want_q[i])} (w = {float(w[i])!r}, "
            f"scale = {s!r}, w / scale = {float(w[i]) / s!r}: round half to even, then clip to "
            f"-{Q}..{Q}); {int(bad.sum())} of {q.size} integers differ"
        )


@check(points=2)
@prop(w=_weights)
def per_channel_values(student, w):
    """random (in, out) weights, axis=1, int8: one scale per output, and the integers"""
    spread = np.array([[1e-3, 400.0, -2.5], [-5e-4, 20.0, 1.0]], dtype=np.float32)
    _compare(student, spread, 8, 1)  # channels of very different sizes: one scale each
    _compare(student, w, 8, 1)


@check(points=1)
@prop(w=_weights, data=st.data())
def axis_0_and_zero_channels(student, w, data):
    """axis=0 (one scale per input), and all-zero channels (scale 1, integers 0)"""
    _compare(student, np.zeros((3, 4), dtype=np.float32), 8, 1)
    axis = data.draw(st.sampled_from([0, 1]), "axis")
    zero = data.draw(arrays((w.shape[axis],), st.booleans(), "bool"), "zero channels")
    w = np.where(np.expand_dims(zero, 1 - axis), np.float32(0), w).astype(np.float32)
    _compare(student, w, 8, 0)
    _compare(student, w, 8, axis)


@st.composite
def halfway(draw):
    """``(w, bits)``: each column's max|w| is Q * 2**k, so its scale is exactly 2**k,
    and every other value is (j + 1/2) * 2**k: w / scale is exactly halfway."""
    bits = draw(st.sampled_from([8, 4]))
    Q = 2 ** (bits - 1) - 1
    n_in, n_out = draw(st.integers(2, 6)), draw(st.integers(1, 4))
    j = draw(arrays((n_in, n_out), st.integers(-Q, Q - 1), "int64"))
    k = draw(arrays((1, n_out), st.integers(-8, 8), "int64"))
    sign = draw(arrays((n_out,), st.sampled_from([-1, 1]), "int64"))
    w = (j + 0.5) * 2.0**k
    top = draw(st.integers(0, n_in - 1))
    w[top] = sign * Q * 2.0 ** k[0]
    return w.astype(np.float32), bits


@check(points=1)
@prop(case=halfway())
def ties_to_even(student, case):
    """values exactly halfway between two integers round to the even one (np.rint)"""
    w, bits = case
    _compare(student, w, bits, 1)


@check(points=1)
@prop(w=_weights, axis=st.sampled_from([0, 1]), bits=st.sampled_from([8, 4]))
def dequantize_and_error_bound(student, w, axis, bits):
    """dequantize is q * scale in float32; every value comes back within scale / 2"""
    q, scale = quantize_symmetric(w, bits, axis)
    got = student.dequantize(q.copy(), scale.copy())
    want = dequantize(q, scale)
    assert isinstance(got, np.ndarray) and got.dtype == np.float32, (
        f"dequantize must return a float32 NumPy array, got {getattr(got, 'dtype', got)!r}"
    )
    assert_close(got, want, "dequantize(q, scale) = q * scale", rtol=1e-6, atol=0)
    sq, sscale, what = _quantize(student, w, bits, axis)
    back = np.asarray(student.dequantize(sq, sscale), dtype=np.float64)
    err = np.abs(w.astype(np.float64) - back)
    bound = np.broadcast_to(scale.astype(np.float64), w.shape) / 2 * (1 + 1e-5)
    if (err > bound).any():
        i = tuple(int(k) for k in np.argwhere(err > bound)[0])
        raise AssertionError(
            f"{what}, then dequantize: w{list(i)} = {float(w[i])!r} came back as "
            f"{float(back[i])!r}, off by {float(err[i])!r}, more than scale / 2 = "
            f"{float(bound[i]) / (1 + 1e-5)!r}"
        )


@check(points=1)
@prop(w=arrays(shapes(1, 3, 1, 5), _values(-1e3, 1e3), "float32"), data=st.data())
def any_shape_axis_and_bits(student, w, data):
    """random shapes (1 to 3 dims), any axis (negative too), 2 to 8 bits (int4 included)"""
    axis = data.draw(st.integers(-w.ndim, w.ndim - 1), "axis")
    bits = data.draw(st.integers(2, 8), "bits")
    _compare(student, w, bits, axis)
