"""Reductions with drawn ``axis``/``keepdims``, first and second derivatives."""

from hypothesis import strategies as st

import minilm
from minilm.backend import np
from minilm.testing import axes, grid, op_test, shapes


def axis_kwargs(in_shapes):
    return st.fixed_dictionaries({"axis": axes(len(in_shapes[0])), "keepdims": st.booleans()})


def _reduction(name, ref, **kw):
    op = lambda x, axis, keepdims: getattr(minilm, name)(x, axis=axis, keepdims=keepdims)
    op.__name__ = name
    return op_test(
        op, lambda x, axis, keepdims: ref(x, axis=axis, keepdims=keepdims), kwargs=axis_kwargs, **kw
    )


def _logsumexp_ref(x, axis, keepdims):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


test_sum = _reduction("sum", np.sum)
test_mean = _reduction("mean", np.mean)
test_var = _reduction("var", np.var, shape=shapes(min_dims=1, min_side=2).map(lambda s: (s,)))
test_max = _reduction("max", np.max, unique=True, elements=grid())
test_min = _reduction("min", np.min, unique=True, elements=grid())
test_logsumexp = _reduction("logsumexp", _logsumexp_ref)


def test_max_shares_gradient_among_ties():
    x = minilm.tensor([[1.0, 3.0, 3.0]], requires_grad=True)
    x.max(axis=1).sum().backward()
    assert x.grad.tolist() == [[0.0, 0.5, 0.5]]


def test_logsumexp_stable_for_huge_values():
    x = minilm.tensor([1e4, 1e4, -1e4])
    assert abs(minilm.logsumexp(x).item() - (1e4 + np.log(2))) < 1e-1


def test_var_ddof():
    x = np.array([1.0, 2.0, 4.0])
    assert np.isclose(minilm.var(minilm.tensor(x), ddof=1).item(), np.var(x, ddof=1))


def test_reduce_over_bad_axis_names_it():
    import pytest

    with pytest.raises(ValueError, match="axis 3 is out of range"):
        minilm.zeros(2, 3).sum(axis=3)
