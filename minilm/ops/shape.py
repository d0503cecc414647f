"""Shape ops: the values are untouched, only their arrangement changes, so each
backward rearranges the gradient back."""

import builtins
import math

from .. import backend
from ..autograd import Function
from .reduce import normalize_axis


class Reshape(Function):
    saves_inputs, is_view = (), True

    def __init__(self, shape):
        self.shape = shape

    def forward(self, a):
        return a.reshape(self.shape)

    def backward(self, g):
        return (g.reshape(self.inputs[0].shape),)


class Transpose(Function):
    saves_inputs, is_view = (), True

    def __init__(self, axes=None):
        self.axes = axes

    def forward(self, a):
        if self.axes is None:
            self.axes = tuple(reversed(range(a.ndim)))
        return a.transpose(self.axes)

    def backward(self, g):
        inverse = [0] * len(self.axes)
        for i, ax in enumerate(self.axes):
            inverse[ax % len(self.axes)] = i
        return (g.transpose(tuple(inverse)),)


class BroadcastTo(Function):
    """Its backward is the identity: the engine's un-broadcast does the summing."""

    saves_inputs, is_view = (), True

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, a):
        return backend.get_array_module(a).broadcast_to(a, self.shape)

    def backward(self, g):
        return (g,)


class Concatenate(Function):
    saves_inputs = ()

    def __init__(self, axis=0):
        self.axis = axis

    def forward(self, *arrays):
        return backend.get_array_module(*arrays).concatenate(arrays, axis=self.axis)

    def backward(self, g):
        grads, start = [], 0
        axis = self.axis % g.ndim
        for t in self.inputs:
            end = start + t.shape[axis]
            grads.append(g[(slice(None),) * axis + (slice(start, end),)])
            start = end
        return tuple(grads)


class Pad(Function):
    """Constant padding, ``pad_width`` as in ``numpy.pad``."""

    saves_inputs = ()

    def __init__(self, pad_width, value=0.0):
        self.pad_width, self.value = pad_width, value

    def forward(self, a):
        if a.ndim == 0:  # nothing to pad (numpy.pad refuses 0-d arrays)
            self.widths = ()
            return a.copy()
        widths = backend.np.asarray(self.pad_width, dtype=int)
        self.widths = backend.np.broadcast_to(widths, (a.ndim, 2))
        xp = backend.get_array_module(a)
        return xp.pad(a, [tuple(w) for w in self.widths], constant_values=self.value)

    def backward(self, g):
        return (g[tuple(slice(lo, n - hi) for (lo, hi), n in zip(self.widths, g.shape))],)


class Copy(Function):
    """A copy in new memory (``clone``): the gradient passes through."""

    saves_inputs = ()

    def forward(self, a):
        return a.copy()

    def backward(self, g):
        return (g,)


class ToDevice(Function):
    saves_inputs = ()

    def __init__(self, device):
        self.device = device

    def forward(self, a):
        return backend.to_device(a, self.device)

    def backward(self, g):
        return (g.to(self.inputs[0].device),)


class AsType(Function):
    saves_inputs = ()

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, a):
        return a.astype(self.dtype)

    def backward(self, g):
        return (g.astype(self.inputs[0].dtype),)


# ---- the functions and Tensor's methods ----


def _shape_args(shape) -> tuple:
    """``f(2, 3)`` and ``f((2, 3))`` alike, as NumPy's methods take them."""
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape


def reshape(x, *shape):
    shape = _shape_args(shape)
    if shape == x.shape:
        return x
    return Reshape.apply(x, shape=shape)


def transpose(x, *args, axes=None):
    """Permute axes (reverse them when none are given), as ``numpy.transpose``:
    ``transpose(x, (2, 0, 1))`` or, as a method, ``x.transpose(2, 0, 1)``."""
    if args and args != (None,):
        axes = _shape_args(args)
    if axes is not None:
        axes = tuple(axes)
    if axes is not None and len(axes) != x.ndim:
        raise ValueError(f"transpose: axes {axes} don't match a tensor with {x.ndim} dims")
    return Transpose.apply(x, axes=axes)


def swapaxes(x, a1, a2):
    axes = list(range(x.ndim))
    axes[a1], axes[a2] = axes[a2], axes[a1]
    return Transpose.apply(x, axes=tuple(axes))


def expand_dims(x, axis):
    axis = axis % (x.ndim + 1)
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


def squeeze(x, axis=None):
    if axis is None:
        return reshape(x, tuple(n for n in x.shape if n != 1))
    axes = normalize_axis(axis, x.ndim)
    for ax in axes:
        if x.shape[ax] != 1:
            raise ValueError(f"squeeze: axis {ax} has size {x.shape[ax]}, not 1")
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if i not in axes))


def broadcast_to(x, shape):
    if tuple(shape) == x.shape:
        return x
    return BroadcastTo.apply(x, shape=shape)


def flatten(x, start=0):
    """Merge the axes from ``start`` on into one."""
    start = start % builtins.max(x.ndim, 1)
    return reshape(x, x.shape[:start] + (math.prod(x.shape[start:]),))


def clone(x):
    """A copy of ``x`` in its own memory, still in the graph (as ``torch.clone``)."""
    return Copy.apply(x)


def concatenate(tensors, axis=0):
    """Join tensors along an existing axis, as ``numpy.concatenate``."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("concatenate: needs at least one tensor")
    return Concatenate.apply(*tensors, axis=axis)


def stack(tensors, axis=0):
    """Join tensors along a new axis, as ``numpy.stack``."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: needs at least one tensor")
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise ValueError(f"stack: all tensors need the same shape, got {sorted(shapes)}")
    return concatenate([expand_dims(t, axis) for t in tensors], axis=axis)


def split(x, indices_or_sections, axis=0):
    """Split into pieces, as ``numpy.split``: a number of equal sections, or the
    indices where the pieces start."""
    n = x.shape[axis]
    if isinstance(indices_or_sections, int):
        if n % indices_or_sections:
            raise ValueError(
                f"split: axis {axis} of size {n} does not divide into {indices_or_sections}"
            )
        step = n // indices_or_sections
        bounds = [i * step for i in range(indices_or_sections + 1)]
    else:
        bounds = [0, *indices_or_sections, n]
    axis = axis % x.ndim
    lead = (slice(None),) * axis
    return [x[lead + (slice(lo, hi),)] for lo, hi in zip(bounds[:-1], bounds[1:])]


def pad(x, pad_width, value=0.0):
    """Constant padding; ``pad_width`` as in ``numpy.pad`` (int, pair, or per-axis pairs)."""
    return Pad.apply(x, pad_width=pad_width, value=value)


class ShapeMethods:
    """Tensor's shape methods (mixed into :class:`minilm.Tensor`)."""

    __slots__ = ()
    reshape, transpose, swapaxes, expand_dims, squeeze = (
        reshape,
        transpose,
        swapaxes,
        expand_dims,
        squeeze,
    )
    broadcast_to, flatten, clone, split, pad = broadcast_to, flatten, clone, split, pad

    @property
    def T(self):
        return transpose(self)
