"""Indexing: slices, integer arrays (repeats accumulate), boolean masks, where."""

import pytest
from hypothesis import strategies as st

import minilm
from minilm.backend import np
from minilm.testing import op_test, shapes


@st.composite
def _basic_index(draw, in_shapes):
    shape = in_shapes[0]
    index = []
    for n in shape:
        kind = draw(st.sampled_from(["slice", "int", "all"]))
        if kind == "int":
            index.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            lo = draw(st.integers(0, n - 1))
            index.append(slice(lo, draw(st.integers(lo + 1, n)), draw(st.integers(1, 2))))
        else:
            index.append(slice(None))
    return {"index": tuple(index)}


@st.composite
def _int_array_index(draw, in_shapes):
    n = in_shapes[0][0]
    rows = draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=6))  # repeats likely
    return {"index": np.array(rows)}


@st.composite
def _two_array_index(draw, in_shapes):
    n, m = in_shapes[0][:2]
    k = draw(st.integers(1, 5))
    rows = draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k))
    cols = draw(st.lists(st.integers(0, m - 1), min_size=k, max_size=k))
    return {"index": (np.array(rows), np.array(cols))}


@st.composite
def _bool_mask(draw, in_shapes):
    shape = in_shapes[0]
    flat = draw(st.lists(st.booleans(), min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
    return {"index": np.array(flat, dtype=bool).reshape(shape)}


getitem = lambda x, index: x[index]
ref = lambda x, index: x[index]
test_getitem_basic = op_test(
    getitem, ref, kwargs=_basic_index, shape=shapes(min_dims=1).map(lambda s: (s,))
)
test_getitem_int_array = op_test(
    getitem, ref, kwargs=_int_array_index, shape=shapes(min_dims=1).map(lambda s: (s,))
)
test_getitem_two_arrays = op_test(
    getitem, ref, kwargs=_two_array_index, shape=shapes(min_dims=2).map(lambda s: (s,))
)
test_getitem_bool_mask = op_test(getitem, ref, kwargs=_bool_mask)


@st.composite
def _cond(draw, in_shapes):
    shape = np.broadcast_shapes(*in_shapes)
    flat = draw(st.lists(st.booleans(), min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
    return {"cond": np.array(flat, dtype=bool).reshape(shape)}


test_where = op_test(
    lambda a, b, cond: minilm.where(cond, a, b),
    lambda a, b, cond: np.where(cond, a, b),
    nargs=2,
    kwargs=_cond,
)


def test_repeated_index_accumulates():
    w = minilm.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w[np.array([0, 0, 2, 0])].sum().backward()
    assert w.grad.tolist() == [3.0, 0.0, 1.0]


def test_index_out_of_range_is_named(device):
    x = minilm.zeros(3, device=device)
    with pytest.raises(IndexError, match=r"getitem: .*index 5 is out of bounds.*\(3,\)"):
        x[np.array([5])]


def test_setitem_refuses_tensor_in_graph():
    w = minilm.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        w[0] = 1.0
    with minilm.no_grad():
        w[0] = 1.0
    assert w.tolist() == [1.0, 0.0, 0.0]


def test_out_of_range_reports_the_offending_value():
    from minilm.ops.index import out_of_range

    assert out_of_range(np.array([0, 2, 1]), 0, 3) is None
    assert out_of_range(np.array([0, 3, -1]), 0, 3) == 3
    assert out_of_range(np.array([0, -1]), 0, 3) == -1
    assert out_of_range(np.array([-3, 2]), -3, 3) is None
    assert out_of_range(np.array([], dtype=int), 0, 3) is None
