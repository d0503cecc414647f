"""Graders for ex4_layer_norm, against the gradient minilm's engine computes
for ``minilm.functional.layer_norm``."""

from hypothesis import assume
from hypothesis import strategies as st

import minilm
import minilm.functional as F
from minilm.grading import assert_close, check, prop
from minilm.tensor import as_tensor, tensor
from minilm.testing import arrays, shapes

# what this exercise asks the student to write: refused in the sandbox
REIMPLEMENTS = ("minilm.functional.layer_norm", "minilm.ops.composite.LayerNorm.backward")

EPS = 1e-5


@st.composite
def problems(draw, lead):
    """(x, weight, grad_out) with x: lead + (D,), rows not (nearly) constant."""
    D = draw(st.integers(2, 6))
    shape = draw(lead) + (D,)
    x = draw(arrays(shape))
    assume(x.std(axis=-1).min() > 0.1)  # near-constant rows make 1/std explode
    return x, draw(arrays((D,))), draw(arrays(shape))


def _reference(x, weight, grad_out):
    X, W = tensor(x.copy(), requires_grad=True), tensor(weight.copy(), requires_grad=True)
    B = tensor(minilm.backend.np.zeros_like(weight), requires_grad=True)
    y = F.layer_norm(X, W, B, eps=EPS)
    return minilm.grad(y, [X, W, B], grad_outputs=as_tensor(grad_out))


def _compare(student, x, weight, grad_out, parts):
    result = student.layer_norm_backward(x.copy(), weight.copy(), grad_out.copy(), EPS)
    assert isinstance(result, tuple) and len(result) == 3, (
        f"layer_norm_backward must return (dx, dweight, dbias), got {type(result).__name__}"
    )
    for i, name in enumerate(("dx", "dweight", "dbias")):
        if name in parts:
            want = _reference(x, weight, grad_out)[i]
            assert_close(result[i], want, f"{name} for x of shape {x.shape}", atol=1e-7)


@check(points=1)
@prop(problem=problems(shapes(1, 2)))
def weight_and_bias(student, problem):
    """dweight and dbias, summed over the leading axes"""
    _compare(student, *problem, parts=("dweight", "dbias"))


@check(points=2)
@prop(problem=problems(shapes(1, 1)))
def dx_rows(student, problem):
    """dx for x of shape (N, D)"""
    _compare(student, *problem, parts=("dx",))


@check(points=1)
@prop(problem=problems(shapes(0, 3, max_side=3)))
def dx_any_shape(student, problem):
    """dx for x with zero to three leading axes"""
    _compare(student, *problem, parts=("dx",))
