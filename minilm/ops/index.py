"""Indexing: ``x[index]`` and its adjoint, scatter-add, plus ``where``.

The backward of a gather is a scatter that *adds*: when an integer index array
repeats a position, every copy's gradient lands there.
"""

from .. import backend
from ..autograd import Function, TensorBase


def is_basic(index) -> bool:
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
    """CuPy wraps out-of-range integer indices silently; NumPy raises. Raise on
    both, with one message."""
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
    saves_inputs, is_view = (), True  # a basic slice is a view; an index array copies

    def __init__(self, index):
        self.index = index

    def forward(self, a):
        if not is_basic(self.index):  # CuPy would wrap an index out of range silently
            _check_bounds(a, self.index)
        return a[self.index]

    def backward(self, g):
        return (scatter_add(g, self.index, self.inputs[0].shape),)


class ScatterAdd(Function):
    """``out = zeros(shape); out[index] += g``, accumulating repeated positions."""

    saves_inputs = ()

    def __init__(self, index, shape):
        self.index, self.shape = index, shape

    def forward(self, g):
        xp = backend.get_array_module(g)
        out = xp.zeros(self.shape, dtype=g.dtype)
        if is_basic(self.index):
            out[self.index] = g
        else:
            xp.add.at(out, self.index, g)
        return out

    def backward(self, g):
        return (g[self.index],)


class Where(Function):
    """``where(cond, a, b)``; ``cond`` is a constant boolean array."""

    saves_inputs = ()

    def __init__(self, cond):
        self.cond = cond

    def forward(self, a, b):
        return backend.get_array_module(a, b).where(self.cond, a, b)

    def backward(self, g):
        return where(self.cond, g, 0), where(self.cond, 0, g)


# ---- the functions and Tensor's methods ----


def index_arrays(index):
    """Replace Tensors inside an index by copies of their arrays (the op keeps
    the index for its backward, so a later in-place change to the index tensor
    must not move the gradient)."""
    if isinstance(index, TensorBase):
        return index.data.copy()
    if isinstance(index, tuple):
        return tuple(i.data.copy() if isinstance(i, TensorBase) else i for i in index)
    return index


def getitem(x, index):
    return GetItem.apply(x, index=index_arrays(index))


def where(cond, a, b):
    """Pick from ``a`` where ``cond`` is true, else from ``b`` (differentiable in a and b).

    >>> import minilm
    >>> where(minilm.tensor([True, False]), minilm.tensor([1.0, 2.0]), 0.0).tolist()
    [1.0, 0.0]
    """
    like = next((t for t in (a, b, cond) if isinstance(t, TensorBase)), None)
    if like is None:
        raise TypeError("where: needs a Tensor among cond, a and b; make one with minilm.tensor")
    if not isinstance(a, TensorBase) and not isinstance(b, TensorBase):
        a = like._make(
            like.xp.asarray(a, dtype=backend.np.float32 if isinstance(a, float) else None)
        )
    # a copy of a tensor's condition: the op keeps it for its backward
    cond = (
        like.xp.array(cond.data, dtype=bool)
        if isinstance(cond, TensorBase)
        else like.xp.asarray(cond, dtype=bool)
    )
    return Where.apply(a, b, cond=cond)


def scatter_add(g, index, shape):
    """``zeros(shape)`` with ``g`` added at ``index`` (repeats accumulate)."""
    return ScatterAdd.apply(g, index=index_arrays(index), shape=tuple(shape))


class IndexMethods:
    """Tensor's indexing (mixed into :class:`minilm.Tensor`)."""

    __slots__ = ()
    __getitem__ = getitem

    def where(self, cond, other):
        """``where(cond, self, other)``, PyTorch's method form."""
        return where(cond, self, other)
