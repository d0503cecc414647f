"""Graders for ex2_matmul: matmul_backward with broadcast batch axes, against
the gradient minilm's engine computes for ``minilm.matmul``."""

from hypothesis import strategies as st

import minilm
from minilm.backend import np
from minilm.grading import assert_close, check, prop
from minilm.tensor import as_tensor, tensor
from minilm.testing import arrays, broadcastable_shapes, shapes

# what this exercise asks the student to write: refused in the sandbox
REIMPLEMENTS = ("minilm.ops.arith.MatMul.backward",)

_side = st.integers(1, 4)


@st.composite
def operands(draw, batches):
    """(a, b, grad) with a: batch_a + (n, k), b: batch_b + (k, m)."""
    batch_a, batch_b = draw(batches)
    n, k, m = draw(_side), draw(_side), draw(_side)
    a = draw(arrays(batch_a + (n, k)))
    b = draw(arrays(batch_b + (k, m)))
    g = draw(arrays(np.broadcast_shapes(batch_a, batch_b) + (n, m)))
    return a, b, g


def _matches_minilm(student, a, b, g):
    A, B = tensor(a, requires_grad=True), tensor(b, requires_grad=True)
    want_a, want_b = minilm.grad(minilm.matmul(A, B), [A, B], grad_outputs=as_tensor(g))
    result = student.matmul_backward(a.copy(), b.copy(), g.copy())
    assert isinstance(result, tuple) and len(result) == 2, (
        f"matmul_backward must return a tuple (grad_a, grad_b), got {type(result).__name__}"
    )
    assert_close(result[0], want_a, f"grad_a for a {a.shape} @ b {b.shape}")
    assert_close(result[1], want_b, f"grad_b for a {a.shape} @ b {b.shape}")


@check(points=2)
@prop(abg=operands(st.just(((), ()))))
def matrices(student, abg):
    """2-D a (n, k) and b (k, m)"""
    _matches_minilm(student, *abg)


@check(points=1)
@prop(abg=operands(shapes(1, 2, max_side=3).map(lambda s: (s, s))))
def same_batch(student, abg):
    """batched, both operands with the same batch shape"""
    _matches_minilm(student, *abg)


@check(points=2)
@prop(abg=operands(broadcastable_shapes(2, min_dims=0, max_dims=2, max_side=3)))
def broadcast_batch(student, abg):
    """batch axes that broadcast (missing or of size 1): gradients summed back"""
    _matches_minilm(student, *abg)
