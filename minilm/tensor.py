"""Tensor: an n-dimensional array that can remember how it was computed.

The engine (grad mode, :class:`Function`, the backward walk) is in
:mod:`minilm.autograd`; the ops and their methods are in :mod:`minilm.ops`.
This file puts them together: :class:`Tensor` is the engine's
:class:`~minilm.autograd.TensorBase` plus the ops' method mixins, plus
conversion and the in-place operations, and the functions that make tensors.
"""

from __future__ import annotations

import functools

from . import autograd, backend
from .autograd import (  # noqa: F401 - re-exported: minilm.tensor.Function etc.
    Function,
    TensorBase,
    _mode,
    enable_grad,
    grad,
    is_grad_enabled,
    no_grad,
    unbroadcast,
)
from .backend import np
from .ops import index_arrays
from .ops.arith import ArithmeticMethods
from .ops.compare import ComparisonMethods
from .ops.composite import CompositeMethods
from .ops.index import IndexMethods
from .ops.reduce import ReductionMethods
from .ops.shape import AsType, ShapeMethods, ToDevice
from .ops.unary import ElementwiseMethods

_default_float = np.float32
_new = object.__new__
_np_generic = np.generic


class Tensor(
    TensorBase,
    ArithmeticMethods,
    ElementwiseMethods,
    ReductionMethods,
    ShapeMethods,
    IndexMethods,
    ComparisonMethods,
    CompositeMethods,
):
    """An n-dimensional array that can remember how it was computed.

    >>> x = tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad.numpy()
    array([[2., 4.],
           [6., 8.]], dtype=float32)

    ``x.data`` is the array itself (NumPy or CuPy). Writing into it bypasses
    autograd entirely: unlike ``x[i] = v`` or ``x.add_(v)`` it does not count
    as a change, so a backward that needed the old values cannot notice
    (PyTorch's ``.data`` behaves the same way).
    """

    __slots__ = ()
    __array_priority__ = 1000  # numpy_array * tensor -> Tensor.__rmul__

    def __init__(self, data, dtype=None, requires_grad: bool = False, device: str | None = None):
        t = tensor(data, dtype=dtype, requires_grad=requires_grad, device=device)
        self.data, self.grad, self.requires_grad, self._ctx = t.data, None, t.requires_grad, None
        self._vbox = [0]

    @staticmethod
    def _make(array, requires_grad: bool = False) -> Tensor:
        """A Tensor around ``array`` (no copy, no checks): the engine's constructor.
        A NumPy scalar (what a full reduction returns) becomes a 0-d array, so
        in-place methods work on it."""
        if isinstance(array, _np_generic):
            array = np.asarray(array)
        t = _new(Tensor)
        t.data, t.grad, t.requires_grad, t._ctx, t._vbox = array, None, requires_grad, None, [0]
        return t

    # ---- array facts ----
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def device(self) -> str:
        return backend.device_of(self.data)

    @property
    def xp(self):
        return backend.get_array_module(self.data)

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.numpy(), separator=", ", prefix="tensor(")
        extra = f", dtype={self.dtype}" if self.dtype != _default_float else ""
        extra += f", device='{self.device}'" if self.device != "cpu" else ""
        if self._ctx is not None:
            extra += f", grad_fn={type(self._ctx).__name__}"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    def __bool__(self) -> bool:
        if self.size != 1:
            raise ValueError(
                f"the truth value of a tensor of shape {self.shape} is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self.data)

    # ---- conversion ----
    def numpy(self):
        """The values as a NumPy array (copied from the GPU when needed)."""
        return backend.to_numpy(self.data)

    def item(self):
        if self.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.data.item()

    def tolist(self):
        return self.numpy().tolist()

    def to(self, device: str) -> Tensor:
        """A copy on ``device`` ("cpu" or "cuda"); differentiable, like PyTorch."""
        device = backend.check_device(device)
        if device == self.device:
            return self
        return ToDevice.apply(self, device=device)

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self) -> Tensor:
        return self.to("cuda")

    def astype(self, dtype) -> Tensor:
        if np.dtype(dtype) == self.dtype:
            return self
        return AsType.apply(self, dtype=np.dtype(dtype))

    def float(self) -> Tensor:
        return self.astype(np.float32)

    def double(self) -> Tensor:
        return self.astype(np.float64)

    def long(self) -> Tensor:
        return self.astype(np.int64)

    def detach(self) -> Tensor:
        """The same values, cut from the graph (shares memory and the version
        counter, like PyTorch)."""
        t = _make(self.data)
        t._vbox = self._vbox
        return t

    def requires_grad_(self, flag: bool = True) -> Tensor:
        if flag and self.dtype.kind != "f":
            raise TypeError(
                f"only floating-point tensors can require gradients, got dtype {self.dtype}; "
                "convert first with .float()"
            )
        self.requires_grad = flag
        return self

    def zero_grad(self) -> None:
        self.grad = None

    # ---- autograd ----
    def backward(self, grad=None, retain_graph: bool | None = None, create_graph: bool = False):  # noqa: F811
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``.

        ``grad`` is the gradient of some scalar with respect to ``self``; it may be
        left out only when ``self`` has one element. ``retain_graph`` (default:
        ``create_graph``) keeps the graph for another backward pass.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad and has no graph; "
                "make an input with requires_grad=True before computing it"
            )
        autograd.backward([self], [grad], retain_graph, create_graph)

    # ---- in-place operations: outside the graph, counted by the version ----
    def _write(self, op: str, other=None):
        """Check that ``op`` may change this tensor in place, and count the change."""
        if _mode.enabled:
            if self.requires_grad:
                raise RuntimeError(
                    f"{op}: an in-place change to a tensor that requires grad would corrupt "
                    "its gradient; do it under minilm.no_grad(), or build a new tensor "
                    "(minilm.where, concatenate, x + y)"
                )
            if isinstance(other, TensorBase) and other.requires_grad:
                raise RuntimeError(
                    f"{op}: the value written requires grad, and an in-place write would "
                    "drop it from the graph; build a new tensor instead (x = x + y, "
                    "minilm.where, concatenate)"
                )
        self._vbox[0] += 1
        return self.data

    def __setitem__(self, index, value) -> None:
        self._write("setitem", value)[index_arrays(index)] = _array(value)

    def fill_(self, value) -> Tensor:
        self._write("fill_", value)[...] = _array(value)
        return self

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def copy_(self, other) -> Tensor:
        """Copy ``other``'s values (broadcast to this shape) into this tensor."""
        self._write("copy_", other)[...] = _array(other)
        return self

    def add_(self, other) -> Tensor:
        data = self._write("add_", other)
        data += _array(other)
        return self

    def sub_(self, other) -> Tensor:
        data = self._write("sub_", other)
        data -= _array(other)
        return self

    def mul_(self, other) -> Tensor:
        data = self._write("mul_", other)
        data *= _array(other)
        return self

    def div_(self, other) -> Tensor:
        data = self._write("div_", other)
        data /= _array(other)
        return self

    # ``x += y`` is in place, as in PyTorch, unless a graph is being recorded
    # through it (x is computed from a tensor that requires grad, or y requires
    # grad): then it is ``x = x + y``, a new node, where PyTorch records the
    # in-place op in the graph. On a leaf that requires grad it is an error, as
    # in PyTorch.
    def __iadd__(self, other):
        return self + other if _records(self, other) else self.add_(other)

    def __isub__(self, other):
        return self - other if _records(self, other) else self.sub_(other)

    def __imul__(self, other):
        return self * other if _records(self, other) else self.mul_(other)

    def __itruediv__(self, other):
        return self / other if _records(self, other) else self.div_(other)


def _records(a, b) -> bool:
    """Whether ``a op= b`` would be recorded in a graph (so it becomes ``a op b``)."""
    if not _mode.enabled or (a.requires_grad and a._ctx is None):
        return False  # nothing to record, or a leaf that requires grad: an error
    return a.requires_grad or (isinstance(b, TensorBase) and b.requires_grad)


def _array(x):
    return x.data if isinstance(x, TensorBase) else x


_make = Tensor._make


def as_tensor(data, dtype=None, device: str | None = None) -> Tensor:
    """``data`` as a Tensor, sharing its memory when it already is an array of
    that dtype on that device (like ``torch.as_tensor``); otherwise a copy, as
    :func:`tensor` makes.

    >>> a = np.zeros(3, dtype=np.float32)
    >>> np.shares_memory(as_tensor(a).data, a)
    True
    """
    if isinstance(data, Tensor) and dtype is None and device is None:
        return data
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, np.generic):  # a NumPy scalar: as a 0-d array
        data = np.asarray(data)
    if hasattr(data, "dtype") and hasattr(data, "shape") and data.dtype != object:
        same_dtype = dtype is None or np.dtype(dtype) == data.dtype
        same_device = device is None or backend.check_device(device) == backend.device_of(data)
        if same_dtype and same_device:
            return _make(data)
    return tensor(data, dtype=dtype, device=device)


# --------------------------------------------------------------------------
# Creation
# --------------------------------------------------------------------------


def tensor(data, dtype=None, requires_grad: bool = False, device: str | None = None) -> Tensor:
    """Make a tensor from a number, a (nested) list, or a NumPy/CuPy array.

    Python floats become float32 (minilm's default), Python ints int64; an
    array keeps its dtype unless ``dtype`` is given. The tensor has its own
    memory, as ``torch.tensor`` (:func:`as_tensor` shares an array's instead).

    >>> tensor([1, 2, 3]).dtype
    dtype('int64')
    >>> tensor([1.0, 2.0], device="cpu").shape
    (2,)
    """
    if isinstance(data, Tensor):
        data = data.data
    if device is None:
        device = backend.device_of(data)
    xp = backend.xp_for(device)
    if dtype is None and not hasattr(data, "dtype"):
        arr = np.asarray(data)
        if arr.dtype == np.float64:
            arr = arr.astype(_default_float)
        data = arr
    source = data
    arr = backend.to_device(data, device) if hasattr(data, "dtype") else data
    arr = xp.asarray(arr, dtype=dtype)
    if arr is source or getattr(arr, "base", None) is source:  # always a copy, as torch.tensor
        arr = arr.copy()
    if arr.dtype == object:
        raise TypeError(f"tensor: cannot make a tensor from {type(data).__name__} of objects")
    t = _make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _factory(fill):
    @functools.wraps(fill)
    def make(*shape, dtype=None, requires_grad=False, device="cpu"):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        xp = backend.xp_for(device)
        arr = fill(xp, shape, np.dtype(dtype or _default_float), device)
        t = _make(arr)
        return t.requires_grad_(True) if requires_grad else t

    return make


@_factory
def zeros(xp, shape, dtype, device):
    """Tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return xp.zeros(shape, dtype=dtype)


@_factory
def ones(xp, shape, dtype, device):
    """Tensor of ones: ``ones(2, 3)`` or ``ones((2, 3))``."""
    return xp.ones(shape, dtype=dtype)


@_factory
def randn(xp, shape, dtype, device):
    """Standard normal samples from minilm's seeded generator (see ``manual_seed``)."""
    return backend.rng(device).standard_normal(shape).astype(dtype, copy=False)


@_factory
def rand(xp, shape, dtype, device):
    """Uniform samples in [0, 1) from minilm's seeded generator."""
    return backend.rng(device).random(shape).astype(dtype, copy=False)


def full(shape, value, dtype=None, device="cpu") -> Tensor:
    xp = backend.xp_for(device)
    return _make(xp.full(shape, value, dtype=np.dtype(dtype or _default_float)))


def zeros_like(t: Tensor) -> Tensor:
    return _make(t.xp.zeros_like(t.data))


def ones_like(t: Tensor) -> Tensor:
    return _make(t.xp.ones_like(t.data))


def arange(start, stop=None, step=1, dtype=None, device="cpu") -> Tensor:
    """Like ``numpy.arange``: ``arange(5)``, ``arange(2, 10, 2)``."""
    xp = backend.xp_for(device)
    if stop is None:
        start, stop = 0, start
    return _make(xp.arange(start, stop, step, dtype=dtype))


def manual_seed(n: int) -> None:
    """Seed every random generator minilm uses (CPU and GPU)."""
    backend.seed(n)
