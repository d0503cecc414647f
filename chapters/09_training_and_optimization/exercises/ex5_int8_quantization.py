"""Exercise 5 (6 points): symmetric int8 quantization with per-channel scales.

A float32 weight costs 4 bytes; stored as an 8-bit integer and a scale it costs
1. *Symmetric* quantization maps values onto the integers -Q..Q, with
Q = 2**(bits-1) - 1 (127 for int8, 7 for int4), through one scale s:
q = round(w / s), and w is then approximately q * s. Rounding moves each value
by at most s / 2, so the scale should be as small as the values allow:
s = max|w| / Q, the largest value landing exactly on Q.

One scale for a whole weight lets its single largest value set everyone's
error. A *per-channel* scale (one per output of a Linear layer) follows each
channel's own range instead, at the cost of a few extra floats. minilm's Linear
weight is (in, out), so one scale per output is one per index of axis 1.

Write ``quantize_per_channel(w, bits=8, axis=1)``: ``w`` a float32 array (any
number of dimensions, all values finite), ``axis`` the channel axis (negative
counts from the end, as in NumPy). Return ``(q, scale)``:

- ``scale``: float32, the max of |w| over every axis *except* ``axis``, divided
  by Q, with ``keepdims`` (for a (3, 5) weight and axis=1, shape (1, 5)), so
  that ``q * scale`` broadcasts back to w's shape. A channel that is all zeros
  gets scale 1 (any scale represents zeros exactly; 0 would divide by zero);
- ``q``: int8, ``w / scale`` (in float32) rounded to the nearest integer, ties
  to even as ``np.rint`` does (2.5 -> 2, 3.5 -> 4), clipped to -Q..Q.

And ``dequantize(q, scale)``: the float32 array ``q * scale`` that the
integers stand for.

Checked against ``minilm.quantize.quantize_symmetric(w, bits, axis)`` and
``minilm.quantize.dequantize``: random (in, out) weights, one scale per output
(2 points; one scale for the whole weight does not count); axis 0 and
all-zero channels (1 point); values exactly halfway, which round to even
(1 point); dequantize, and the round-trip error within scale / 2 (1 point);
random shapes, axes and bit widths from 2 to 8, int4 included (1 point).

    python -m minilm grade chapters/09_training_and_optimization/exercises/ex5_int8_quantization.py
"""

from minilm.backend import np  # noqa: F401 - NumPy, for your solution


def quantize_per_channel(w, bits=8, axis=1):
    """``(q int8, scale float32)``: one symmetric scale per index of ``axis``, kept dims."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write quantize_per_channel")
    ### END YOUR SOLUTION


def dequantize(q, scale):
    """``q * scale`` as float32."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write dequantize")
    ### END YOUR SOLUTION
