"""Declare an op's full property test in one line.

>>> import operator, minilm
>>> from minilm.backend import np
>>> test_exp = op_test(minilm.exp, np.exp)  # in a test module: pytest collects test_exp
>>> test_add = op_test(operator.add, np.add, nargs=2)
>>> test_exp.__name__
'test_exp'

The returned function is a pytest test (it takes the ``device`` fixture) that
draws shapes (mutually broadcastable ones when ``nargs > 1``), arrays and
keyword arguments with hypothesis, then checks three things in float64:
the forward value against the NumPy ``reference``, the first derivative and
the second derivative against finite differences.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .. import backend
from ..tensor import Tensor
from .gradcheck import gradcheck, gradgradcheck
from .strategies import arrays, broadcastable_shapes, floats, shapes

__all__ = ["op_test", "check_op"]


def check_op(
    op,
    reference,
    arrays_in,
    kwargs=None,
    device="cpu",
    second_order=True,
    grad_inputs=None,
    atol=1e-5,
    rtol=1e-3,
    name=None,
):
    """Check one op on concrete arrays: forward, gradient, second derivative."""
    np = backend.np
    kwargs = kwargs or {}
    name = name or getattr(op, "__name__", "op")
    grad_inputs = range(len(arrays_in)) if grad_inputs is None else grad_inputs
    ts = [
        Tensor._wrap(backend.to_device(np.array(a), device), i in grad_inputs)
        for i, a in enumerate(arrays_in)
    ]
    out = op(*ts, **kwargs)
    if reference is not None:
        expected = reference(*[np.array(a) for a in arrays_in], **kwargs)
        np.testing.assert_allclose(
            out.numpy(), expected, rtol=1e-7, atol=1e-9, err_msg=f"{name}: forward value"
        )
    fn = lambda *xs: op(*xs, **kwargs)
    gradcheck(fn, ts, atol=atol, rtol=rtol, name=name)
    if second_order:
        gradgradcheck(fn, ts, atol=atol, rtol=rtol, name=name)


def op_test(
    op,
    reference,
    nargs=1,
    elements=None,
    shape=None,
    kwargs=None,
    second_order=True,
    grad_inputs=None,
    unique=False,
    atol=1e-5,
    rtol=1e-3,
):
    """Build a pytest property test for ``op`` (see the module docstring).

    elements: a strategy for every input, or a list with one per input.
    shape:    a strategy for the input shapes (a tuple of ``nargs`` shapes);
              default: small shapes, mutually broadcastable.
    kwargs:   a function ``shapes -> strategy of dicts`` for keyword arguments
              that depend on the shapes (e.g. a valid ``axis``).
    """
    per_input = (
        elements
        if isinstance(elements, (list, tuple))
        else [floats() if elements is None else elements] * nargs
    )
    shape_strategy = (
        shape
        if shape is not None
        else (shapes().map(lambda s: (s,)) if nargs == 1 else broadcastable_shapes(nargs))
    )

    @settings(
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.filter_too_much,
            HealthCheck.too_slow,
        ]
    )
    @given(data=st.data())
    def test(device, data):
        in_shapes = data.draw(shape_strategy, label="shapes")
        xs = [
            data.draw(arrays(s, el, unique=unique), label=f"input {i}")
            for i, (s, el) in enumerate(zip(in_shapes, per_input))
        ]
        kw = data.draw(kwargs(in_shapes), label="kwargs") if kwargs else {}
        check_op(
            op,
            reference,
            xs,
            kw,
            device,
            second_order,
            grad_inputs,
            atol,
            rtol,
            name=getattr(op, "__name__", None),
        )

    test.__name__ = f"test_{getattr(op, '__name__', 'op')}"
    return test
