"""Pooling over time: ``F.max_pool1d``, ``F.avg_pool1d``, ``F.max_over_time``,
``F.mean_over_time`` and the ``nn.MaxPool1d``/``nn.AvgPool1d`` modules.

Values against a NumPy loop over the windows (slices, not the gather the
functions use), first and second derivatives against finite differences on
random shapes and settings, and values and gradients against PyTorch."""

import pytest
from hypothesis import strategies as st

import minilm
import minilm.functional as F
import minilm.nn as nn
from minilm.backend import np
from minilm.testing import grid, op_test, shapes


def np_pool(x, kernel_size, stride=None, padding=0, reduce=np.max, fill=-np.inf):
    stride = kernel_size if stride is None else stride
    width = [(0, 0)] * (x.ndim - 1) + [(padding, padding)]
    x = np.pad(x, width, constant_values=fill)
    starts = range(0, x.shape[-1] - kernel_size + 1, stride)
    return np.stack([reduce(x[..., t : t + kernel_size], axis=-1) for t in starts], axis=-1)


@st.composite
def _pool_kwargs(draw, in_shapes):
    L = in_shapes[0][-1]
    k = draw(st.integers(1, L))
    p = draw(st.integers(0, k // 2))
    stride = draw(st.one_of(st.none(), st.integers(1, 3)))
    return {"kernel_size": k, "stride": stride, "padding": p}


# (..., L) with 1 to 3 axes, L from 1 to 7; at most 4 * 4 * 7 = 112 elements
pool_shapes = st.tuples(shapes(max_dims=2, max_side=4), st.integers(1, 7)).map(
    lambda s: ((*s[0], s[1]),)
)
# max: distinct values 1/32 apart (no ties, so finite differences see one maximum)
test_max_pool1d = op_test(F.max_pool1d, np_pool, kwargs=_pool_kwargs, shape=pool_shapes,
                          elements=grid(1 / 32), unique=True)  # fmt: skip
test_avg_pool1d = op_test(
    F.avg_pool1d,
    lambda x, **kw: np_pool(x, **kw, reduce=np.mean, fill=0.0),
    kwargs=_pool_kwargs,
    shape=pool_shapes,
)


@st.composite
def _time_mask(draw, in_shapes):
    *lead, C, L = in_shapes[0]
    n = int(np.prod(lead, dtype=int)) * L
    keep = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), bool).reshape(*lead, L)
    first = draw(st.integers(0, L - 1))
    keep[..., first] = True  # every row keeps a step
    return {"mask": keep}


def np_max_over_time(x, mask):
    return np.where(mask[..., None, :], x, -np.inf).max(axis=-1)


def np_mean_over_time(x, mask):
    m = mask[..., None, :]
    return (x * m).sum(axis=-1) / m.sum(axis=-1)


time_shapes = shapes(min_dims=2, max_dims=3, max_side=5).map(lambda s: (s,))
test_max_over_time = op_test(F.max_over_time, np_max_over_time, kwargs=_time_mask,
                             shape=time_shapes, elements=grid(1 / 32), unique=True)  # fmt: skip
test_mean_over_time = op_test(F.mean_over_time, np_mean_over_time, kwargs=_time_mask,
                              shape=time_shapes)  # fmt: skip


def test_unmasked_pooling_over_time_is_max_and_mean():
    x = minilm.randn(2, 3, 5)
    np.testing.assert_array_equal(F.max_over_time(x).numpy(), x.numpy().max(-1))
    np.testing.assert_allclose(F.mean_over_time(x).numpy(), x.numpy().mean(-1), rtol=1e-6)


def test_padding_never_wins_the_max():
    """The padded steps hold the largest values: the mask keeps them out, and
    they get no gradient."""
    x = minilm.tensor([[[1.0, 2.0, 50.0], [-3.0, -1.0, 40.0]]], requires_grad=True)
    y = F.max_over_time(x, mask=[[True, True, False]])
    assert y.tolist() == [[2.0, -1.0]]
    y.sum().backward()
    assert x.grad.tolist() == [[[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]]


def test_ties_share_the_gradient_and_overlaps_add_up():
    x = minilm.tensor([[1.0, 3.0, 3.0, 0.0]], requires_grad=True)
    F.max_pool1d(x, 2, stride=1).sum().backward()  # windows [1,3] [3,3] [3,0]
    assert x.grad.tolist() == [[0.0, 1.5, 1.5, 0.0]]
    x.grad = None
    F.avg_pool1d(x, 2, stride=1).sum().backward()  # inner steps sit in two windows
    assert x.grad.tolist() == [[0.5, 1.0, 1.0, 0.5]]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"kernel_size": 0}, "kernel_size must be an int >= 1, got 0"),
        ({"kernel_size": 2.0}, "kernel_size must be an int >= 1, got 2.0"),
        ({"kernel_size": 2, "stride": 0}, "stride must be an int >= 1"),
        ({"kernel_size": 2, "padding": -1}, "padding must be an int >= 0"),
        ({"kernel_size": 3, "padding": 2}, "padding 2 is more than half of kernel_size 3"),
        ({"kernel_size": 6}, "kernel_size 6 is longer than the input's 5 time steps"),
    ],
)
@pytest.mark.parametrize("pool", [F.max_pool1d, F.avg_pool1d])
def test_bad_settings_are_named(pool, kwargs, message):
    with pytest.raises(ValueError, match=f"{pool.__name__}: {message}"):
        pool(minilm.zeros(2, 3, 5), **kwargs)


def test_bad_masks_are_named():
    x = minilm.zeros(2, 3, 4)
    with pytest.raises(ValueError, match=r"max_over_time: need x \(\.\.\., C, L\) and a mask"):
        F.max_over_time(x, mask=np.ones((2, 3), bool))
    with pytest.raises(ValueError, match="mean_over_time: a row of the mask keeps no time step"):
        F.mean_over_time(x, mask=np.array([[True] * 4, [False] * 4]))


def test_modules():
    x = minilm.randn(4, 3, 10)
    pool = nn.MaxPool1d(3, stride=2, padding=1)
    np.testing.assert_array_equal(pool(x).numpy(), np_pool(x.numpy(), 3, 2, 1))
    assert repr(pool).startswith("MaxPool1d(kernel_size=3, stride=2, padding=1)")
    avg = nn.AvgPool1d(2)
    np.testing.assert_allclose(avg(x).numpy(), np_pool(x.numpy(), 2, reduce=np.mean), rtol=1e-6)
    assert avg(x).shape == (4, 3, 5) and not list(avg.parameters())


@pytest.mark.parametrize("kernel_size, stride, padding", [(2, None, 0), (3, 1, 1), (4, 3, 2),
                                                          (5, 2, 0), (1, 1, 0)])  # fmt: skip
def test_against_torch(kernel_size, stride, padding):
    """Values and input gradients of both pools (continuous random values: no ties)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(kernel_size)
    x, v = rng.standard_normal((3, 4, 11)), None
    for ours, theirs in [(F.max_pool1d, torch.nn.functional.max_pool1d),
                         (F.avg_pool1d, torch.nn.functional.avg_pool1d)]:  # fmt: skip
        xm, xt = minilm.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ym, yt = ours(xm, kernel_size, stride, padding), theirs(xt, kernel_size, stride, padding)
        np.testing.assert_allclose(ym.numpy(), yt.detach().numpy(), rtol=1e-12, atol=1e-12)
        v = rng.standard_normal(ym.shape)
        (ym * minilm.tensor(v)).sum().backward()
        (yt * torch.tensor(v)).sum().backward()
        np.testing.assert_allclose(xm.grad.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-12)
