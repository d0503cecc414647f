"""Graders for ex7_clip_grad_norm, against ``minilm.optim.clip_grad_norm_``."""

from hypothesis import strategies as st

import minilm.optim as optim
from minilm.grading import assert_close, check, prop
from minilm.tensor import as_tensor, tensor
from minilm.testing import arrays, floats, shapes

# what this exercise asks the student to write: refused in the sandbox
REIMPLEMENTS = ("minilm.optim.clip_grad_norm_",)

grad_lists = st.lists(arrays(shapes(0, 2)), min_size=1, max_size=4)
limits = floats(0.1, 10.0)


def _run(student, grads, max_norm):
    copies = [g.copy() for g in grads]
    result = student.clip_grad_norm(copies, max_norm)
    assert isinstance(result, tuple) and len(result) == 2, (
        f"clip_grad_norm must return (clipped, total_norm), got {type(result).__name__}"
    )
    clipped, total = result
    assert len(clipped) == len(grads), f"got {len(clipped)} clipped gradients for {len(grads)}"
    return copies, list(clipped), total


def _reference(grads, max_norm):
    params = []
    for g in grads:
        p = tensor(g.copy(), requires_grad=True)
        p.grad = as_tensor(g.copy())
        params.append(p)
    total = optim.clip_grad_norm_(params, max_norm).item()
    return [p.grad.data for p in params], total


@check(points=1)
@prop(grads=grad_lists, max_norm=limits)
def total_norm(student, grads, max_norm):
    """the joint norm of all gradients, before clipping"""
    _, _, total = _run(student, grads, max_norm)
    assert_close(total, _reference(grads, max_norm)[1], "total_norm", rtol=1e-5)


@check(points=2)
@prop(grads=grad_lists, max_norm=limits)
def clipped(student, grads, max_norm):
    """the clipped gradients (scaled when over max_norm, unchanged when not)"""
    _, got, _ = _run(student, grads, max_norm)
    want, _ = _reference(grads, max_norm)
    for i, (a, b) in enumerate(zip(got, want)):
        assert_close(a, b, f"clipped gradient {i} (shape {b.shape})", rtol=1e-5, atol=1e-7)


@check(points=1)
@prop(grads=grad_lists, max_norm=floats(0.01, 0.1))
def inputs_unchanged(student, grads, max_norm):
    """the input arrays are not modified"""
    copies, _, _ = _run(student, grads, max_norm)
    for i, (a, b) in enumerate(zip(copies, grads)):
        assert_close(a, b, f"input gradient {i} after the call (it must not change)", rtol=0)
