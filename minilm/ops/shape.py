"""Shape ops: the values are untouched, only their arrangement changes, so each
backward rearranges the gradient back."""

from .. import backend
from ..tensor import Function


class Reshape(Function):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, a):
        return a.reshape(self.shape)

    def backward(self, g):
        return (g.reshape(self.inputs[0].shape),)


class Transpose(Function):
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

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, a):
        return backend.get_array_module(a).broadcast_to(a, self.shape)

    def backward(self, g):
        return (g,)


class Concatenate(Function):
    def __init__(self, axis=0):
        self.axis = axis

    def forward(self, *arrays):
        if not arrays:
            raise ValueError("needs at least one tensor")
        return backend.get_array_module(*arrays).concatenate(arrays, axis=self.axis)

    def backward(self, g):
        grads, start = [], 0
        axis = self.axis % g.ndim
        for t in self.inputs:
            end = start + t.shape[axis]
            index = (slice(None),) * axis + (slice(start, end),)
            grads.append(g[index])
            start = end
        return tuple(grads)


class Pad(Function):
    """Constant padding, ``pad_width`` as in ``numpy.pad``."""

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
        index = tuple(slice(lo, n - hi) for (lo, hi), n in zip(self.widths, g.shape))
        return (g[index],)


class ToDevice(Function):
    def __init__(self, device):
        self.device = device

    def forward(self, a):
        return backend.to_device(a, self.device)

    def backward(self, g):
        return (g.to(self.inputs[0].device),)


class AsType(Function):
    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, a):
        return a.astype(self.dtype)

    def backward(self, g):
        return (g.astype(self.inputs[0].dtype),)
