"""The reverse-mode engine: grad mode, Function, and the backward walk.

Calling an op runs a :class:`Function`: its ``forward`` computes on raw arrays,
and when an input needs a gradient the output remembers the Function
(``out._ctx``), which remembers its input tensors. :func:`backward` walks that
graph from the outputs to the leaves, asking each Function for its inputs'
gradients and handing them to a :class:`GradTable`, which adds up the
gradients each tensor receives.

A Function's ``backward`` is written with Tensor ops, so the backward pass is
itself a computation the engine can differentiate: ``create_graph=True`` gives
second and higher derivatives. Otherwise backward runs with grad mode off and
those ops build no graph; then a faster array-level backward registered in
:mod:`minilm.fast` may stand in for the op's own (see ``fast.backward_for``).

Three jobs live here and nowhere else: summing a gradient back to the shape of
a broadcast input (:func:`unbroadcast`), checking that inputs share a device,
and noticing a saved tensor that was changed in place after an op used it
(each tensor carries a version counter, shared with its views, that every
in-place operation bumps; a Function records its inputs' versions).

This module knows tensors only through :class:`TensorBase` (the slots the
engine reads); :mod:`minilm.tensor` builds the full :class:`~minilm.Tensor` on
it, with the ops' methods.
"""

from __future__ import annotations

import contextlib
import threading
import weakref

from . import backend, fast

# --------------------------------------------------------------------------
# Grad mode: thread-local, every context re-entrant
# --------------------------------------------------------------------------


class _GradMode(threading.local):
    """Per-thread: whether ops record a graph, and the modes to restore."""

    enabled = True  # the value a new thread starts with

    def __init__(self):
        self.saved = []


_mode = _GradMode()


class no_grad(contextlib.ContextDecorator):
    """Context manager (and decorator) under which ops build no graph.

    Grad mode belongs to the thread, and contexts nest: each ``with`` restores
    what was there before it, so one decorated function may call itself.

    >>> import minilm
    >>> x = minilm.tensor([1.0, 2.0], requires_grad=True)
    >>> with no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    def __init__(self, enabled: bool = False):
        self._enabled = enabled

    def __enter__(self):
        _mode.saved.append(_mode.enabled)
        _mode.enabled = self._enabled

    def __exit__(self, *exc):
        _mode.enabled = _mode.saved.pop()
        return False


def enable_grad():
    """The opposite of :class:`no_grad`: ops build a graph inside it."""
    return no_grad(enabled=True)


def is_grad_enabled() -> bool:
    return _mode.enabled


# --------------------------------------------------------------------------
# What the engine needs of a tensor
# --------------------------------------------------------------------------


class TensorBase:
    """The engine's view of a tensor: its array, gradient, graph link and
    version counter. :class:`minilm.Tensor` adds everything else.

    ``_vbox`` is a one-element list, the version counter: in-place operations
    add one to it, and views of one array share one list (as in PyTorch).
    """

    __slots__ = ("data", "grad", "requires_grad", "_ctx", "_vbox", "__weakref__")

    @staticmethod
    def _make(array, requires_grad: bool = False):  # pragma: no cover - Tensor's
        raise NotImplementedError

    @property
    def _version(self) -> int:
        """How many in-place changes this tensor's memory has seen (as ``torch``'s)."""
        return self._vbox[0]

    def _bump(self) -> None:
        self._vbox[0] += 1


# --------------------------------------------------------------------------
# Function: one node of the graph
# --------------------------------------------------------------------------


class Function:
    """One differentiable operation.

    Subclasses implement ``forward(*arrays) -> array`` on raw backend arrays and
    ``backward(grad) -> tuple`` returning one gradient Tensor (or ``None``) per
    input, written with Tensor ops. ``self.inputs`` holds the input Tensors,
    ``self.output`` the output Tensor, ``self.needs_grad[i]`` whether input
    ``i`` wants a gradient. Gradients may have the broadcast shape; the engine
    sums them back to each input's shape.

    Class attributes tell the engine about the op:

    - ``saves_inputs``: the inputs whose *values* ``backward`` reads (indices,
      or True for all); changing one of them in place before the backward is
      an error. ``saves_output``: the same for the output.
    - ``floating``: the op is defined on real numbers only (exp, sigmoid, ...):
      integer and bool inputs are promoted to the default float first.
    - ``is_view``: the output may share the input's memory (reshape, a basic
      slice), so it shares the input's version counter.
    """

    inputs: tuple
    needs_grad: tuple
    saves_inputs: tuple | bool = True
    saves_output = False
    floating = False
    is_view = False

    @classmethod
    def apply(cls, *inputs, **params):
        fn = cls(**params) if params else cls()
        tensors = _tensors(cls, inputs)
        arrays = [t.data for t in tensors]
        if len(tensors) > 1 and backend.cp is not None:  # without CuPy all is on the CPU
            _check_same_device(cls.op_name(), tensors)
        if cls.floating:
            arrays = [_as_float(a) for a in arrays]
        try:
            out_data = _run_forward(fn, arrays)
        except (ValueError, IndexError, TypeError, OverflowError) as e:
            shapes = ", ".join(f"{tuple(t.shape)} {t.dtype}" for t in tensors)
            raise type(e)(f"{cls.op_name()}: {e} (inputs: {shapes})") from e
        like = tensors[0]
        out = like._make(out_data)
        if cls.is_view and getattr(out_data, "base", None) is not None:
            if _base(out_data) is _base(like.data):  # a view, not a copy with a base of its own
                out._vbox = like._vbox
        if _mode.enabled:
            needs = tuple(t.requires_grad for t in tensors)
            if True in needs:
                fn.inputs = tensors
                fn.needs_grad = needs
                fn.versions = tuple(t._vbox[0] for t in tensors)
                fn._output = weakref.ref(out)
                fn.output_version = out._vbox[0]
                out.requires_grad = True
                out._ctx = fn
        return out

    @classmethod
    def op_name(cls) -> str:
        return cls.__name__.lower()

    @property
    def output(self):
        return self._output()

    def forward(self, *arrays):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, grad):  # pragma: no cover - abstract
        raise NotImplementedError


def _run_forward(fn, arrays):
    """``fn.forward(*arrays)``, or a faster alternative registered for this op
    and device (one that applies: it may decline with ``NotImplemented``)."""
    for alt in fast.forward_for(type(fn), arrays[0]):
        out = alt(fn, *arrays)
        if out is not NotImplemented:
            return out
    return fn.forward(*arrays)


def _tensors(cls, inputs) -> tuple:
    """The inputs as tensors: Python numbers and arrays are lifted beside the
    first tensor (a Python scalar takes the tensor's dtype when it can)."""
    like = next((x for x in inputs if isinstance(x, TensorBase)), None)
    if like is None:
        raise TypeError(
            f"{cls.op_name()}: needs at least one Tensor input, got "
            f"{', '.join(type(x).__name__ for x in inputs) or 'none'}; "
            "make one with minilm.tensor(...)"
        )
    if all(isinstance(x, TensorBase) for x in inputs):
        return inputs
    return tuple(x if isinstance(x, TensorBase) else _constant(cls, x, like) for x in inputs)


_default_float = backend.np.float32


def _constant(cls, value, like):
    xp = backend.get_array_module(like.data)
    if isinstance(value, (bool, int, float)):
        kind = like.data.dtype.kind
        if kind == "f" or (kind in "iu" and isinstance(value, int) and not isinstance(value, bool)):
            try:
                return like._make(xp.asarray(value, dtype=like.data.dtype))
            except OverflowError:
                raise OverflowError(
                    f"{cls.op_name()}: the constant {value} does not fit the tensor's dtype "
                    f"{like.data.dtype}; convert the tensor first, e.g. x.astype('int64')"
                ) from None
        return like._make(xp.asarray(value, dtype=_default_float))
    return like._make(backend.to_device(xp.asarray(value), backend.device_of(like.data)))


def _as_float(a):
    """An integer or bool array as the default float (as PyTorch promotes)."""
    return a if a.dtype.kind in "fc" else a.astype(_default_float)


def _check_same_device(op: str, tensors) -> None:
    devices = [backend.device_of(t.data) for t in tensors]
    if any(d != devices[0] for d in devices):
        where = ", ".join(
            f"input {i} {tuple(t.data.shape)} on {d}"
            for i, (t, d) in enumerate(zip(tensors, devices))
        )
        raise RuntimeError(
            f"{op}: inputs are on different devices ({where}); "
            f"move them to one device first, e.g. x.to('{devices[0]}')"
        )


def _check_versions(fn) -> None:
    """Raise if a value ``fn.backward`` reads was changed in place after ``fn`` ran."""
    saved = fn.saves_inputs
    if saved:
        for i, (t, v) in enumerate(zip(fn.inputs, fn.versions)):
            if t._vbox[0] != v and (saved is True or i in saved):
                _changed(fn, f"its input {i} {tuple(t.data.shape)}", v, t._vbox[0])
    if fn.saves_output:
        out = fn._output()
        if out is not None and out._vbox[0] != fn.output_version:
            _changed(fn, f"its output {tuple(out.data.shape)}", fn.output_version, out._vbox[0])


def _changed(fn, what, then, now):
    raise RuntimeError(
        f"backward: {fn.op_name()} needs {what} as it was when {fn.op_name()} ran, but it "
        f"was changed in place afterwards (version {then} then, {now} now: a setitem, an "
        "in-place method like add_ or +=, or an optimizer step); make the change after "
        "backward, or change a copy (x.clone()) instead"
    )


# --------------------------------------------------------------------------
# The backward walk
# --------------------------------------------------------------------------


def unbroadcast(grad, shape: tuple):
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


def topological_order(roots) -> list:
    """Tensors reachable from ``roots``, every tensor after all of its inputs.

    Iterative depth-first search: a 100,000-op chain needs no recursion.
    """
    order, seen = [], set()
    for root in roots:
        stack = [(root, False)]
        while stack:
            t, expanded = stack.pop()
            if expanded:
                order.append(t)
            elif id(t) not in seen:
                seen.add(id(t))
                stack.append((t, True))
                for inp in _inputs_of(t):
                    if inp.requires_grad and id(inp) not in seen:
                        stack.append((inp, False))
    return order


def _inputs_of(t) -> tuple:
    fn = t._ctx
    if fn is None:
        return ()
    if fn.inputs is None:
        raise RuntimeError(
            f"backward: the graph through {fn.op_name()} was already freed by an earlier "
            "backward; pass retain_graph=True to the first backward (or recompute the "
            "forward pass) to go through it again"
        )
    return fn.inputs


def backward(roots, grads, retain_graph=None, create_graph=False, inputs=None):
    """Run the chain rule from ``roots`` (seeded with ``grads``) to the leaves.

    Without ``inputs`` every leaf's ``.grad`` accumulates its gradient; with
    ``inputs`` their gradients are returned instead (see :func:`grad`). The
    walk is chapter 3's ``Scalar.backward``: a topological order, then each
    node, outputs first, hands its gradient to its Function, whose input
    gradients the :class:`GradTable` adds up.
    """
    if retain_graph is None:
        retain_graph = create_graph
    order = topological_order(roots)
    table = GradTable(create_graph, order, inputs)
    for root, g in zip(roots, grads):
        table.add(root, _root_grad(root, g, create_graph), owner="caller")
    with no_grad(enabled=create_graph):
        for t in reversed(order):
            g = table.pop(t)
            if g is None:
                continue
            fn = t._ctx
            if fn is None:
                table.store_leaf(t, g)
                continue
            for inp, gi in zip(fn.inputs, _input_grads(fn, g, create_graph)):
                table.add(inp, gi)
            if not retain_graph:
                fn.inputs = None  # free the graph as we go
    return table.found


def _input_grads(fn, g, create_graph: bool) -> tuple:
    """``fn.backward(g)`` (or, in a plain backward, a faster array-level one
    registered in :mod:`minilm.fast`), one entry per input, None where an input
    needs no gradient."""
    _check_versions(fn)
    grads = NotImplemented
    if not create_graph:
        for alt in fast.backward_for(type(fn), g.data):
            grads = alt(fn, g)
            if grads is not NotImplemented:
                break
    if grads is NotImplemented:
        grads = fn.backward(g)
    if not isinstance(grads, tuple):
        grads = (grads,)
    return tuple(gi if need else None for gi, need in zip(grads, fn.needs_grad))


def _root_grad(root, grad, create_graph: bool):
    if grad is None:
        if root.size != 1:
            raise RuntimeError(
                f"backward: output has shape {root.shape}, so a gradient must be given "
                "(backward(grad) with a tensor of that shape), or reduce it to a "
                "scalar first, e.g. y.sum().backward()"
            )
        return root._make(root.xp.ones(root.shape, dtype=root.dtype))
    if not isinstance(grad, TensorBase):
        grad = root._make(root.xp.asarray(grad))
    if grad.shape != root.shape:
        raise ValueError(
            f"backward: gradient has shape {grad.shape} but the output has shape {root.shape}"
        )
    return grad if create_graph else grad.detach()


class SliceGrad:
    """The gradient a basic slice ``x[index]`` sends back to ``x``: zero except
    ``values`` at ``index``. A fast backward may return one instead of a full
    array; :class:`GradTable` then adds ``values`` into that slice of the sum it
    keeps for ``x``. Slicing one array into pieces (q, k and v out of one
    projection; the time steps of a sequence) costs one pass over the array's
    gradient, not one per piece.
    """

    __slots__ = ("values", "index", "shape")

    def __init__(self, values, index, shape: tuple):
        self.values, self.index, self.shape = values, index, shape

    def dense(self):
        v = self.values.data
        out = self.values.xp.zeros(self.shape, dtype=v.dtype)
        out[self.index] = v
        return self.values._make(out)


class GradTable:
    """The gradients received so far by each tensor of one backward pass.

    ``add(t, g)`` sums ``g`` (un-broadcast to ``t``'s shape) into ``t``'s entry;
    ``pop(t)`` hands the total on when the walk reaches ``t``;
    ``store_leaf(t, g)`` puts a leaf's total into ``t.grad``. With ``targets``
    (for :func:`grad`) it keeps only what leads to them, collects their
    gradients in ``found`` and leaves every ``.grad`` alone.

    In a plain backward (no graph being built) the table saves memory and
    passes: a sum it allocated itself is added into in place (nothing else can
    see it until it is popped), and a :class:`SliceGrad` is added into its
    slice. Any other array may be shared (add hands both its inputs the same
    gradient), so the first addition to it makes a new array, which the table
    then owns. Under ``create_graph`` every sum is a new node of the graph.
    """

    def __init__(self, create_graph: bool = False, order=(), targets=None):
        self.create_graph = create_graph
        self.sums = {}  # id(tensor) -> gradient so far
        self.owned = set()  # ids whose sum the table allocated: safe to add into
        self.claimed = set()  # memory handed out already (see store_leaf)
        self.targets = self.keep = self.found = None
        if targets is not None:
            self.targets = {id(t): i for i, t in enumerate(targets)}
            self.found = [None] * len(targets)
            self.keep = set()  # the nodes with a target below them
            for t in order:  # inputs come before outputs
                if any(id(i) in self.keep or id(i) in self.targets for i in _inputs_of(t)):
                    self.keep.add(id(t))

    def add(self, t, g, owner=None) -> None:
        k = id(t)
        if g is None or (self.keep is not None and k not in self.keep and k not in self.targets):
            return
        if owner == "caller":  # the caller's memory: never a leaf's .grad as it is
            self.claimed.add(id(_base(g.data)))
        old = self.sums.get(k)
        if isinstance(g, SliceGrad):
            if old is None:
                self.sums[k] = g.dense()
            else:
                dtype = old.xp.result_type(old.dtype, g.values.dtype)
                if k not in self.owned or old.dtype != dtype:  # a new array, as old + g
                    self.sums[k] = old = old._make(old.xp.array(old.data, dtype=dtype))
                old.data[g.index] += g.values.data
            self.owned.add(k)
            return
        g = unbroadcast(g, t.shape)  # its sum is an op: on the GPU, a registered GEMV
        if old is None:
            self.sums[k] = g
        elif not self.create_graph and k in self.owned and old.dtype == g.dtype:
            old.data += g.data
        else:
            self.sums[k] = old + g
            self.owned.add(k)

    def pop(self, t):
        """``t``'s total gradient, or None when nothing below ``t`` needs it."""
        k = id(t)
        self.owned.discard(k)
        g = self.sums.pop(k, None)
        if self.targets is not None:
            if k in self.targets and g is not None:
                self.found[self.targets[k]] = g
            if k not in self.keep:
                return None
        return g

    def store_leaf(self, t, g) -> None:
        """Store ``g`` as (or add it to) a leaf's ``.grad``.

        Ops such as add and reshape pass a gradient array through unchanged,
        so two leaves could receive views of one array, or of the caller's
        ``grad``; an optimizer updating one ``.grad`` in place would then
        corrupt the other. A leaf keeps the array only when no one else has
        its memory; otherwise it gets a copy. A broadcast or other read-only
        view is always copied.
        """
        if g.dtype != t.dtype:
            g = g.astype(t.dtype)
        if t.grad is not None:
            t.grad = t.grad + g
            return
        if not g.requires_grad:
            base = _base(g.data)
            flags = g.data.flags
            if id(base) in self.claimed or not (flags.c_contiguous and flags.writeable):
                g = g._make(g.data.copy())
                base = g.data
            self.claimed.add(id(base))
        t.grad = g


def _base(array):
    while getattr(array, "base", None) is not None:
        array = array.base
    return array


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):  # fmt: skip
    """Gradients of ``outputs`` with respect to ``inputs``, leaving ``.grad`` alone.

    Like ``torch.autograd.grad``. With ``create_graph=True`` the gradients are
    themselves differentiable, so derivatives of derivatives work:

    >>> import minilm
    >>> x = minilm.tensor(3.0, requires_grad=True)
    >>> (dy,) = grad(x ** 3, [x], create_graph=True)   # 3x^2 = 27
    >>> (d2y,) = grad(dy, [x])                          # 6x = 18
    >>> float(dy.item()), float(d2y.item())
    (27.0, 18.0)

    An input the outputs do not depend on is an error, unless
    ``allow_unused=True``: then its gradient is None.
    """
    single_in = isinstance(inputs, TensorBase)
    inputs = [inputs] if single_in else list(inputs)
    outputs = [outputs] if isinstance(outputs, TensorBase) else list(outputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, TensorBase):
        grad_outputs = [grad_outputs]
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(f"grad: input {i} (shape {t.shape}) does not require grad")
    for i, o in enumerate(outputs):
        if not o.requires_grad:
            raise RuntimeError(
                f"grad: output {i} (shape {o.shape}) does not require grad: it was not "
                "computed from a tensor that requires grad (or was computed under no_grad)"
            )
    result = backward(outputs, grad_outputs, retain_graph, create_graph, inputs=inputs)
    for i, g in enumerate(result):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"grad: input {i} (shape {inputs[i].shape}) was not used to compute "
                    "the outputs; pass allow_unused=True to get None for it"
                )
        else:
            if g.dtype != inputs[i].dtype:  # a gradient has its input's dtype
                g = g.astype(inputs[i].dtype)
            result[i] = g if create_graph else g.detach()
    return result[0] if single_in else result
