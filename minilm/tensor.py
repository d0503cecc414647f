"""Tensor, Function and the reverse-mode engine.

A :class:`Tensor` wraps a NumPy or CuPy array. Calling an op runs a
:class:`Function`: its ``forward`` computes on raw arrays, and when any input
needs a gradient the output remembers the Function (``out._ctx``), which
remembers its input Tensors. ``backward`` walks that graph from the output to
the leaves, asking each Function for its inputs' gradients.

A Function's ``backward`` is written with Tensor ops, so the backward pass is
itself a computation the engine can differentiate: ``create_graph=True`` gives
second and higher derivatives. Otherwise backward runs under :func:`no_grad`
and those ops build no graph.

Two jobs live here and nowhere else: summing a gradient back to the shape of a
broadcast input (:func:`unbroadcast`), and checking that inputs share a device.
"""

from __future__ import annotations

import contextlib
import functools
import weakref

from . import backend
from .backend import np

_grad_enabled = True


class no_grad(contextlib.ContextDecorator):
    """Context manager (and decorator) under which ops build no graph.

    >>> x = tensor([1.0, 2.0], requires_grad=True)
    >>> with no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    def __init__(self, enabled: bool = False):
        self._enabled = enabled

    def __enter__(self):
        global _grad_enabled
        self._prev, _grad_enabled = _grad_enabled, self._enabled

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self._prev
        return False


def enable_grad():
    """The opposite of :class:`no_grad`: ops build a graph inside it."""
    return no_grad(enabled=True)


def is_grad_enabled() -> bool:
    return _grad_enabled


# --------------------------------------------------------------------------
# Function: one node of the graph
# --------------------------------------------------------------------------


class Function:
    """One differentiable operation.

    Subclasses implement ``forward(*arrays) -> array`` on raw backend arrays and
    ``backward(grad) -> tuple`` returning one gradient Tensor (or ``None``) per
    input, written with Tensor ops. ``self.inputs`` holds the input Tensors,
    ``self.output`` the output Tensor, ``self.needs_grad[i]`` whether input ``i``
    wants a gradient. Gradients may have the broadcast shape; the engine sums
    them back to each input's shape. In a plain backward (no graph being built)
    a slice may return a :class:`SliceGrad` instead, which the engine adds into
    place.
    """

    inputs: tuple
    needs_grad: tuple

    @classmethod
    def apply(cls, *inputs, **params) -> Tensor:
        fn = cls(**params) if params else cls()
        tensors = tuple(x if isinstance(x, Tensor) else _constant(x, inputs) for x in inputs)
        if backend.cp is not None and len(tensors) > 1:  # without CuPy all is on the CPU
            _check_same_device(cls.__name__, tensors)
        try:
            out_data = fn.forward(*[t.data for t in tensors])
        except (ValueError, IndexError, TypeError) as e:
            shapes = ", ".join(f"{tuple(t.shape)} {t.dtype}" for t in tensors)
            raise type(e)(f"{cls.op_name()}: {e} (inputs: {shapes})") from e
        out = Tensor._wrap(out_data)
        if _grad_enabled:
            needs = tuple(t.requires_grad for t in tensors)
            if any(needs):
                fn.inputs = tensors
                fn.needs_grad = needs
                fn._output = weakref.ref(out)
                out.requires_grad = True
                out._ctx = fn
        return out

    @classmethod
    def op_name(cls) -> str:
        return cls.__name__.lower()

    @property
    def output(self) -> Tensor:
        return self._output()

    def forward(self, *arrays):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, grad: Tensor):  # pragma: no cover - abstract
        raise NotImplementedError


def _constant(value, inputs) -> Tensor:
    """Lift a Python number or array into a Tensor beside the op's tensor inputs."""
    like = next((x for x in inputs if isinstance(x, Tensor)), None)
    if like is None:
        return tensor(value)
    xp = like.xp
    if isinstance(value, (bool, int, float)) and not isinstance(value, np.ndarray):
        # keep float32 float32: a Python scalar takes the tensor's dtype when it can
        kind = like.dtype.kind
        if kind == "f" or (kind in "iu" and isinstance(value, int) and not isinstance(value, bool)):
            return Tensor._wrap(xp.asarray(value, dtype=like.dtype))
        return Tensor._wrap(xp.asarray(value, dtype=_default_float))
    return Tensor._wrap(backend.to_device(xp.asarray(value), like.device))


def _check_same_device(op: str, tensors) -> None:
    devices = [t.device for t in tensors]
    if any(d != devices[0] for d in devices):
        where = ", ".join(
            f"input {i} {tuple(t.shape)} on {t.device}" for i, t in enumerate(tensors)
        )
        raise RuntimeError(
            f"{op.lower()}: inputs are on different devices ({where}); "
            f"move them to one device first, e.g. x.to('{devices[0]}')"
        )


# --------------------------------------------------------------------------
# Tensor
# --------------------------------------------------------------------------

_default_float = np.float32


class Tensor:
    """An n-dimensional array that can remember how it was computed.

    >>> x = tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad.numpy()
    array([[2., 4.],
           [6., 8.]], dtype=float32)
    """

    __slots__ = ("data", "grad", "requires_grad", "_ctx", "__weakref__")
    __array_priority__ = 1000  # numpy_array * tensor -> Tensor.__rmul__

    def __init__(self, data, dtype=None, requires_grad: bool = False, device: str | None = None):
        t = tensor(data, dtype=dtype, requires_grad=requires_grad, device=device)
        self.data, self.grad, self.requires_grad, self._ctx = t.data, None, t.requires_grad, None

    @classmethod
    def _wrap(cls, array, requires_grad: bool = False) -> Tensor:
        t = object.__new__(cls)
        t.data, t.grad, t.requires_grad, t._ctx = array, None, requires_grad, None
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

    def __hash__(self):
        return id(self)

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
        from .ops.shape import ToDevice

        return ToDevice.apply(self, device=device)

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self) -> Tensor:
        return self.to("cuda")

    def astype(self, dtype) -> Tensor:
        from .ops.shape import AsType

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
        """The same values, cut from the graph (shares memory, like PyTorch)."""
        return Tensor._wrap(self.data)

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
    def backward(self, grad=None, retain_graph: bool | None = None, create_graph: bool = False):
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
        run_backward([self], [grad], retain_graph, create_graph)

    # ---- in-place assignment (outside the graph) ----
    def __setitem__(self, index, value) -> None:
        if self.requires_grad and _grad_enabled:
            raise RuntimeError(
                "setitem: in-place assignment into a tensor that requires grad would "
                "corrupt its gradient; do it under minilm.no_grad(), or build a new "
                "tensor with minilm.where or concatenate"
            )
        value = value.data if isinstance(value, Tensor) else value
        self.data[index_arrays(index)] = value

    # Operators and methods are attached in minilm/ops/__init__.py, so this file
    # holds only the engine.


def index_arrays(index):
    """Replace Tensors inside an index by their arrays."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


# --------------------------------------------------------------------------
# The backward engine
# --------------------------------------------------------------------------


def unbroadcast(grad: Tensor, shape: tuple) -> Tensor:
    """Sum ``grad`` over the axes along which an input of ``shape`` was broadcast.

    This is the only place minilm un-broadcasts; ops return gradients in the
    broadcast shape and the engine calls this. It is built from Tensor ops, so
    it is differentiable too.
    """
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1
    )
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


def _topological_order(roots):
    """Tensors reachable from ``roots``, every tensor after all of its inputs.

    Iterative depth-first search: a 100,000-op chain needs no recursion.
    """
    order, seen = [], set()
    for root in roots:
        if id(root) in seen:
            continue
        stack = [(root, False)]
        while stack:
            t, expanded = stack.pop()
            if expanded:
                order.append(t)
                continue
            if id(t) in seen:
                continue
            seen.add(id(t))
            stack.append((t, True))
            ctx = t._ctx
            if ctx is not None:
                if ctx.inputs is None:
                    raise RuntimeError(
                        f"backward: the graph through {type(ctx).__name__} was already freed "
                        "by an earlier backward; pass retain_graph=True to the first "
                        "backward (or recompute the forward pass) to go through it again"
                    )
                for inp in ctx.inputs:
                    if inp.requires_grad and id(inp) not in seen:
                        stack.append((inp, False))
    return order


def _root_grad(root: Tensor, grad) -> Tensor:
    if grad is None:
        if root.size != 1:
            raise RuntimeError(
                f"backward: output has shape {root.shape}, so a gradient must be given "
                "(backward(grad) with a tensor of that shape), or reduce it to a "
                "scalar first, e.g. y.sum().backward()"
            )
        return Tensor._wrap(root.xp.ones(root.shape, dtype=root.dtype))
    grad = grad if isinstance(grad, Tensor) else Tensor._wrap(root.xp.asarray(grad))
    if grad.shape != root.shape:
        raise ValueError(
            f"backward: gradient has shape {grad.shape} but the output has shape {root.shape}"
        )
    return grad


def run_backward(roots, grads, retain_graph=None, create_graph=False, inputs=None):
    """The engine. With ``inputs`` it returns their gradients (see :func:`grad`);
    without, it accumulates into the leaves' ``.grad``."""
    if retain_graph is None:
        retain_graph = create_graph
    order = _topological_order(roots)
    pending = {}
    owned = set()  # keys of pending sums the engine allocated itself: safe to add into in place
    claimed = set()  # memory already handed out (or owned by the caller): see _accumulate_leaf
    for root, g in zip(roots, grads):
        g = _root_grad(root, g)
        if not create_graph:  # ops inside the backward run under no_grad: only roots need this
            g = g.detach()
        claimed.add(id(_base(g.data)))
        pending[id(root)] = pending[id(root)] + g if id(root) in pending else g

    wanted = None
    if inputs is not None:
        targets = {id(t) for t in inputs}
        wanted, captured = set(), {}
        for t in order:  # inputs before outputs: keep nodes that lead to a target
            ctx = t._ctx
            if id(t) in targets or (ctx is not None and any(id(i) in wanted for i in ctx.inputs)):
                wanted.add(id(t))

    with no_grad(enabled=create_graph):
        for t in reversed(order):
            g = pending.pop(id(t), None)
            if g is None:
                continue
            owned.discard(id(t))
            if wanted is not None:
                if id(t) in targets:
                    captured[id(t)] = g
            elif t._ctx is None:
                _accumulate_leaf(t, g, claimed)
                continue
            ctx = t._ctx
            if ctx is None:
                continue
            if wanted is None or id(t) in wanted:
                in_grads = ctx.backward(g)
                if not isinstance(in_grads, tuple):
                    in_grads = (in_grads,)
                for inp, need, gi in zip(ctx.inputs, ctx.needs_grad, in_grads):
                    if not need or gi is None or (wanted is not None and id(inp) not in wanted):
                        continue
                    _add_pending(pending, owned, id(inp), gi, inp.shape)
            if not retain_graph:
                ctx.inputs = None
    if inputs is not None:
        return [captured.get(id(t)) for t in inputs]
    return None


class SliceGrad:
    """The gradient a basic slice ``x[index]`` sends back to ``x``: zero except
    ``values`` at ``index``. It exists only inside a plain backward (no graph
    being built): the engine adds ``values`` into that slice of the sum it is
    keeping for ``x`` instead of first building a full array of zeros. Slicing
    one array into pieces (q, k and v out of one projection; the time steps of
    a sequence) then costs one pass over the array's gradient, not one per piece.
    """

    __slots__ = ("values", "index", "shape")

    def __init__(self, values: Tensor, index, shape: tuple):
        self.values, self.index, self.shape = values, index, shape

    def dense(self) -> Tensor:
        v = self.values.data
        out = self.values.xp.zeros(self.shape, dtype=v.dtype)
        out[self.index] = v
        return Tensor._wrap(out)


def _add_pending(pending: dict, owned: set, k: int, g, shape: tuple) -> None:
    """``pending[k] += g``, ``g`` a Tensor (maybe in a broadcast shape) or a
    :class:`SliceGrad`.

    In a plain backward, a sum the engine allocated itself (``k in owned``) is
    added into in place: nothing else can see it until it is handed to the op
    that made the tensor. Any other array may be shared (ops pass gradients
    through unchanged: add gives both its inputs the same one), so the first
    addition to it makes a new array, which the engine then owns. Under
    ``create_graph`` every sum is a new node of the graph.
    """
    old = pending.get(k)
    if isinstance(g, SliceGrad):  # only made in a plain backward: in place is safe
        if old is None:
            pending[k] = g.dense()
        else:
            dtype = old.xp.result_type(old.dtype, g.values.dtype)
            if k not in owned or old.dtype != dtype:  # a new array, as old + g would be
                pending[k] = old = Tensor._wrap(old.xp.array(old.data, dtype=dtype))
            old.data[g.index] += g.values.data
        owned.add(k)
        return
    g = unbroadcast(g, shape)
    if old is None:
        pending[k] = g
    elif not is_grad_enabled() and k in owned and old.dtype == g.dtype:
        old.data += g.data
    else:
        pending[k] = old + g
        owned.add(k)


def _base(array):
    while getattr(array, "base", None) is not None:
        array = array.base
    return array


def _accumulate_leaf(t: Tensor, g: Tensor, claimed: set) -> None:
    """Store ``g`` as (or add it to) a leaf's ``.grad``.

    Ops such as add and reshape pass a gradient array through unchanged, so two
    leaves could receive views of one array, or of the caller's ``grad``; an
    optimizer updating one ``.grad`` in place would then corrupt the other.
    A leaf keeps the array only when no one else has its memory; otherwise it
    gets a copy. A broadcast view (read-only) is always copied.
    """
    if g.dtype != t.dtype:
        g = g.astype(t.dtype)
    if t.grad is not None:
        t.grad = t.grad + g
        return
    if not g.requires_grad:
        base = _base(g.data)
        if id(base) in claimed or not g.data.flags.c_contiguous:
            g = Tensor._wrap(g.data.copy())
            base = g.data
        claimed.add(id(base))
    t.grad = g


def grad(
    outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False
):
    """Gradients of ``outputs`` with respect to ``inputs``, leaving ``.grad`` alone.

    Like ``torch.autograd.grad``. With ``create_graph=True`` the gradients are
    themselves differentiable, so derivatives of derivatives work:

    >>> x = tensor(3.0, requires_grad=True)
    >>> (dy,) = grad(x ** 3, [x], create_graph=True)   # 3x^2 = 27
    >>> (d2y,) = grad(dy, [x])                          # 6x = 18
    >>> float(dy.item()), float(d2y.item())
    (27.0, 18.0)
    """
    single_out = isinstance(outputs, Tensor)
    outputs = [outputs] if single_out else list(outputs)
    single_in = isinstance(inputs, Tensor)
    inputs = [inputs] if single_in else list(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(f"grad: input {i} (shape {t.shape}) does not require grad")
    for o in outputs:
        if not o.requires_grad:
            raise RuntimeError("grad: an output does not require grad (it has no graph)")
    result = run_backward(outputs, grad_outputs, retain_graph, create_graph, inputs=inputs)
    for i, g in enumerate(result):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"grad: input {i} (shape {inputs[i].shape}) was not used to compute "
                    "the outputs; pass allow_unused=True to get None for it"
                )
        elif not create_graph:
            result[i] = Tensor._wrap(result[i].data)
    return result[0] if single_in else result


# --------------------------------------------------------------------------
# Creation
# --------------------------------------------------------------------------


def tensor(data, dtype=None, requires_grad: bool = False, device: str | None = None) -> Tensor:
    """Make a tensor from a number, a (nested) list, or a NumPy/CuPy array.

    Python floats become float32 (minilm's default), Python ints int64; an
    array keeps its dtype unless ``dtype`` is given.

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
    arr = backend.to_device(data, device) if hasattr(data, "dtype") else data
    arr = xp.asarray(arr, dtype=dtype)
    if arr.dtype == object:
        raise TypeError(f"tensor: cannot make a tensor from {type(data).__name__} of objects")
    t = Tensor._wrap(arr)
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
        t = Tensor._wrap(arr)
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
    return Tensor._wrap(xp.full(shape, value, dtype=np.dtype(dtype or _default_float)))


def zeros_like(t: Tensor) -> Tensor:
    return Tensor._wrap(t.xp.zeros_like(t.data))


def ones_like(t: Tensor) -> Tensor:
    return Tensor._wrap(t.xp.ones_like(t.data))


def arange(start, stop=None, step=1, dtype=None, device="cpu") -> Tensor:
    """Like ``numpy.arange``: ``arange(5)``, ``arange(2, 10, 2)``."""
    xp = backend.xp_for(device)
    if stop is None:
        start, stop = 0, start
    return Tensor._wrap(xp.arange(start, stop, step, dtype=dtype))


def manual_seed(n: int) -> None:
    """Seed every random generator minilm uses (CPU and GPU)."""
    backend.seed(n)
