"""Graders for ex2_loss_scaler, against ``minilm.precision.LossScaler.unscale_`` and
``minilm.precision.scaler_update``."""

from hypothesis import strategies as st

import minilm
import minilm.nn as nn
from minilm.backend import np
from minilm.grading import assert_close, check, prop
from minilm.precision import LossScaler, scaler_update
from minilm.testing import arrays

REIMPLEMENTS = ("minilm.precision.scaler_update", "minilm.precision.LossScaler.unscale_")

_scales = st.integers(0, 24).map(lambda k: 2.0**k)  # what dynamic loss scaling uses
_grads = st.lists(
    arrays(st.tuples(st.integers(1, 3), st.integers(1, 5)),
           elements=st.floats(-1e4, 1e4, width=32), dtype="float32"),
    min_size=1, max_size=4,
)  # fmt: skip


def _reference_unscale(grads, scale):
    params = []
    for g in grads:
        p = nn.Parameter(np.zeros(g.shape, dtype=g.dtype))
        p.grad = minilm.tensor(g.copy())
        params.append(p)
    found = LossScaler(init_scale=scale).unscale_(params)
    return [p.grad.numpy() for p in params], found


def _student_unscale(student, grads, scale):
    reply = student.unscale([g.copy() for g in grads], scale)
    assert isinstance(reply, (tuple, list)) and len(reply) == 2, (
        "unscale must return a pair (unscaled gradients, found_inf)"
    )
    unscaled, found = reply
    assert isinstance(unscaled, (list, tuple)) and len(unscaled) == len(grads), (
        f"unscale must return one gradient per input ({len(grads)})"
    )
    assert isinstance(found, (bool, np.bool_)), (
        f"found_inf must be True or False, got {type(found).__name__}"
    )
    for i, (u, g) in enumerate(zip(unscaled, grads)):
        assert isinstance(u, np.ndarray) and u.dtype == g.dtype, (
            f"gradient {i}: return an array of the input's dtype ({g.dtype}), got "
            f"{getattr(u, 'dtype', type(u).__name__)}"
        )
    return list(unscaled), bool(found)


@check(points=1)
@prop(grads=_grads, scale=_scales)
def unscale_finite(student, grads, scale):
    """unscale divides every gradient by the scale; found_inf is False"""
    got, found = _student_unscale(student, grads, scale)
    want, want_found = _reference_unscale(grads, scale)
    for i, (g, w) in enumerate(zip(got, want)):
        assert_close(g, w, f"gradient {i} divided by {scale:g}")
    assert found == want_found, f"found_inf: got {found}, expected {want_found} (all finite)"


@st.composite
def overflowed(draw):
    grads = [g.copy() for g in draw(_grads)]
    i = draw(st.integers(0, len(grads) - 1))
    j = draw(st.integers(0, grads[i].size - 1))
    grads[i].reshape(-1)[j] = draw(st.sampled_from([np.inf, -np.inf, np.nan]))
    return grads


@check(points=1)
@prop(grads=overflowed(), scale=_scales)
def unscale_overflow(student, grads, scale):
    """one inf or NaN anywhere in any gradient: found_inf is True"""
    _, found = _student_unscale(student, grads, scale)
    where = [(i, np.argwhere(~np.isfinite(g)).tolist()) for i, g in enumerate(grads)
             if not np.isfinite(g).all()]  # fmt: skip
    assert found, f"found_inf is False, but gradient {where[0][0]} holds a non-finite entry"


def _state(reply, what):
    assert isinstance(reply, (tuple, list)) and len(reply) == 2, (
        f"{what}: return a pair (scale, good_steps), got {reply!r}"
    )
    return reply


def _compare_update(student, args):
    got = _state(student.scaler_update(*args), f"scaler_update{tuple(args)}")
    want = scaler_update(*args)
    what = f"scaler_update{tuple(args)}"
    assert_close(float(got[0]), want[0], f"{what}: the scale", rtol=1e-12)
    assert int(got[1]) == want[1] and float(got[1]) == got[1], (
        f"{what}: good_steps is {got[1]!r}, expected {want[1]}"
    )


_factors = st.tuples(st.sampled_from([2.0, 1.5, 4.0]), st.sampled_from([0.5, 0.25, 0.9]),
                     st.integers(1, 2000))  # fmt: skip


@check(points=1)
@prop(scale=_scales, factors=_factors, good=st.integers(0, 50))
def backoff(student, scale, factors, good):
    """an overflow multiplies the scale by backoff_factor and restarts the count"""
    growth, backoff_factor, interval = factors
    _compare_update(student, [scale, min(good, interval - 1), True, growth, backoff_factor,
                              interval])  # fmt: skip


@check(points=1)
@prop(scale=_scales, factors=_factors.filter(lambda f: f[2] > 1), data=st.data())
def clean_step(student, scale, factors, data):
    """a clean step below the growth interval counts, and keeps the scale"""
    growth, backoff_factor, interval = factors
    good = data.draw(st.integers(0, interval - 2))
    _compare_update(student, [scale, good, False, growth, backoff_factor, interval])


@check(points=1)
@prop(scale=_scales, factors=_factors)
def growth(student, scale, factors):
    """the clean step that reaches growth_interval multiplies the scale by growth_factor"""
    growth_factor, backoff_factor, interval = factors
    _compare_update(student, [scale, interval - 1, False, growth_factor, backoff_factor,
                              interval])  # fmt: skip


@check(points=1)
@prop(overflows=st.lists(st.booleans(), min_size=1, max_size=40),
      factors=st.tuples(st.sampled_from([2.0, 1.5]), st.sampled_from([0.5, 0.25]),
                        st.integers(1, 6)),
      start=st.integers(990, 999))  # fmt: skip
def runs(student, overflows, factors, start):
    """random runs of steps, and the defaults (2, 0.5, 1000) from a count near 1000"""
    state = (2.0**16, 0)
    for found in overflows:
        args = [state[0], state[1], found, *factors]
        _compare_update(student, args)
        state = scaler_update(*args)
    state = (2.0**10, start)  # the defaults: growth after 1000 clean steps, then a backoff
    for found in [False] * 12 + [True]:
        _compare_update(student, [state[0], state[1], found])
        state = scaler_update(state[0], state[1], found)
