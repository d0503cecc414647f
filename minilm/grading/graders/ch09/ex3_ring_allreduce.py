"""Graders for ex3_ring_allreduce, against ``minilm.distributed``'s ring steps (which
work in place; the student's return new buffers), and the composed allreduce
against the sum."""

from hypothesis import strategies as st

from minilm.backend import np
from minilm.distributed import ring_allgather_step, ring_reduce_scatter_step
from minilm.grading import assert_close, check, prop
from minilm.testing import arrays, floats

REIMPLEMENTS = (
    "minilm.distributed.ring_reduce_scatter_step",
    "minilm.distributed.ring_allgather_step",
    "minilm.distributed.ring_allreduce",
)


@st.composite
def rings(draw, with_step=True):
    """(buffers, step): K in 2..6 ranks, n in 1..20 numbers each (n < K included)."""
    k, n = draw(st.integers(2, 6)), draw(st.integers(1, 20))
    buffers = [draw(arrays((n,), elements=floats(-10, 10))) for _ in range(k)]
    step = draw(st.integers(0, k - 2)) if with_step else None
    return buffers, step


def _buffers(reply, k, n, what):
    assert isinstance(reply, (list, tuple)) and len(reply) == k, (
        f"{what} must return a list of {k} buffers, one per rank"
    )
    for r, b in enumerate(reply):
        assert isinstance(b, np.ndarray) and b.shape == (n,), (
            f"{what}: rank {r}'s buffer must be an array of shape ({n},), got "
            f"{getattr(b, 'shape', type(b).__name__)}"
        )
    return list(reply)


def _one_step(student, name, reference, ring):
    buffers, step = ring
    k, n = len(buffers), buffers[0].size
    got = _buffers(getattr(student, name)([b.copy() for b in buffers], step), k, n, name)
    want = [b.copy() for b in buffers]
    reference(want, step)
    for r in range(k):
        assert_close(got[r], want[r], f"{name}(K={k}, n={n}, step={step}): rank {r}'s buffer")


@check(points=2)
@prop(ring=rings())
def reduce_scatter(student, ring):
    """one reduce-scatter step: each rank adds in its left neighbour's chunk (r - s) % K"""
    _one_step(student, "reduce_scatter_step", ring_reduce_scatter_step, ring)


@check(points=2)
@prop(ring=rings())
def allgather(student, ring):
    """one all-gather step: each rank overwrites chunk (r + 1 - s) % K with its neighbour's"""
    _one_step(student, "allgather_step", ring_allgather_step, ring)


@check(points=2)
@prop(ring=rings(with_step=False))
def composed_allreduce(student, ring):
    """K - 1 reduce-scatter then K - 1 all-gather steps: every rank holds the sum"""
    buffers, _ = ring
    k, n = len(buffers), buffers[0].size
    total = np.sum(buffers, axis=0)
    state = [b.copy() for b in buffers]
    for s in range(k - 1):
        state = _buffers(student.reduce_scatter_step(state, s), k, n, "reduce_scatter_step")
    for r in range(k):  # rank r now owns the finished sum of chunk (r + 1) % K
        i = (r + 1) % k
        part = slice(n * i // k, n * (i + 1) // k)
        assert_close(state[r][part], total[part],
                     f"after K-1 = {k - 1} reduce-scatter steps, rank {r}'s chunk {i}")  # fmt: skip
    for s in range(k - 1):
        state = _buffers(student.allgather_step(state, s), k, n, "allgather_step")
    for r in range(k):
        assert_close(state[r], total, f"after the all-gather (K={k}, n={n}), rank {r}'s buffer")
