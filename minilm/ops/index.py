"""Indexing: ``x[index]`` and its adjoint, scatter-add, plus ``where``.

The backward of a gather is a scatter that *adds*: when an integer index array
repeats a position, every copy's gradient lands there.
"""

from .. import backend
from ..tensor import Function, SliceGrad, Tensor, is_grad_enabled


def _is_basic(index) -> bool:
    """Basic indexing (ints, slices, None, ...) selects each element at most once."""
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, slice)) or i is None or i is Ellipsis for i in items)


def out_of_range(values, lo: int, hi: int):
    """An integer of ``values`` outside ``[lo, hi)`` (the max, else the min), or None.

    One place for the bounds checks of indices, targets and embedding ids.
    """
    if not values.size:
        return None
    xp = backend.get_array_module(values)
    vmin, vmax = xp.stack([values.min(), values.max()]).tolist()  # one read from a GPU
    return vmax if vmax >= hi else vmin if vmin < lo else None


def _check_bounds(a, index):
    """CuPy wraps out-of-range integer indices silently; NumPy raises. Raise on both."""
    items = index if isinstance(index, tuple) else (index,)
    dim = 0
    for i in items:
        if i is None:
            continue
        if i is Ellipsis:
            dim = a.ndim - sum(1 for j in items if j is not None and j is not Ellipsis)
            continue
        if hasattr(i, "dtype") and i.dtype.kind in "iu":
            n = a.shape[dim]
            bad = out_of_range(i, -n, n)
            if bad is not None:
                raise IndexError(f"index {bad} is out of bounds for axis {dim} with size {n}")
        dim += i.ndim if hasattr(i, "dtype") and i.dtype.kind == "b" else 1


class GetItem(Function):
    def __init__(self, index):
        self.index = index

    def forward(self, a):
        if not _is_basic(self.index) and backend.device_of(a) == "cuda":
            _check_bounds(a, self.index)
        return a[self.index]

    def backward(self, g):
        shape = self.inputs[0].shape
        if _is_basic(self.index) and shape and not is_grad_enabled():  # added into place
            return (SliceGrad(g, self.index, shape),)
        return (ScatterAdd.apply(g, index=self.index, shape=shape),)


class ScatterAdd(Function):
    """``out = zeros(shape); out[index] += g``, accumulating repeated positions."""

    def __init__(self, index, shape):
        self.index, self.shape = index, shape

    def forward(self, g):
        xp = backend.get_array_module(g)
        out = xp.zeros(self.shape, dtype=g.dtype)
        if _is_basic(self.index):
            out[self.index] = g
        elif xp is backend.np:
            backend.np.add.at(out, self.index, g)
        else:  # pragma: no cover - GPU only
            backend.cp.add.at(out, self.index, g)
        return out

    def backward(self, g):
        return (g[self.index],)


class Where(Function):
    """``where(cond, a, b)``; ``cond`` is a constant boolean array."""

    def __init__(self, cond):
        self.cond = cond

    def forward(self, a, b):
        return backend.get_array_module(a, b).where(self.cond, a, b)

    def backward(self, g):
        zero = Tensor._wrap(g.xp.zeros((), dtype=g.dtype))
        ga = Where.apply(g, zero, cond=self.cond) if self.needs_grad[0] else None
        gb = Where.apply(zero, g, cond=self.cond) if self.needs_grad[1] else None
        return ga, gb
