"""Module and Parameter: the containers every model is built from.

A :class:`Module` finds its parameters and sub-modules by looking at its own
attributes, in the order they were assigned: anything that is a
:class:`Parameter` is a parameter, anything that is a Module is a child. So a
layer is written as plainly as in PyTorch::

    class Affine(Module):
        def __init__(self, n):
            super().__init__()
            self.w = Parameter(minilm.ones(n))
            self.b = Parameter(minilm.zeros(n))

        def forward(self, x):
            return x * self.w + self.b
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple

from .. import backend
from ..tensor import Tensor, as_tensor, tensor


class Parameter(Tensor):
    """A Tensor that a Module registers as learnable (``requires_grad=True``).

    >>> import minilm
    >>> p = Parameter(minilm.zeros(2, 3))
    >>> p.requires_grad, p.shape
    (True, (2, 3))
    """

    def __init__(self, data, requires_grad: bool = True):
        t = data if isinstance(data, Tensor) else tensor(data)
        self.data, self.grad, self._ctx, self._vbox = t.data, None, None, [0]
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class StateDictError(ValueError):
    """A state dict does not fit the module it is loaded into."""


LoadResult = namedtuple("LoadResult", ["missing_keys", "unexpected_keys"])


class Module:
    """Base class of every layer and model: subclass it and write ``forward``.

    >>> import minilm
    >>> from minilm import nn
    >>> net = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
    >>> net(minilm.ones(3, 2)).shape
    (3, 1)
    >>> net.num_parameters()
    17
    """

    training = True  # a class default, so a subclass that skips super().__init__() still works

    def __init__(self):
        self.training = True

    def forward(self, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # ---- what a module holds ----
    def register_buffer(self, name: str, value: Tensor | None) -> None:
        """Keep a non-learnable tensor (a running mean, a causal mask): it moves with
        ``to(device)`` and is saved in ``state_dict``, but no optimizer sees it."""
        if "_buffer_names" not in vars(self):
            self._buffer_names = []
        if name not in self._buffer_names:
            self._buffer_names.append(name)
        setattr(self, name, value)

    def named_children(self):
        """(name, module) for each direct sub-module."""
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value

    def children(self):
        for _, m in self.named_children():
            yield m

    def named_modules(self, prefix: str = ""):
        """(dotted name, module) for this module and every module below it."""
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def _own(self, kind):
        for name, value in vars(self).items():
            if kind is Parameter and isinstance(value, Parameter):
                yield name, value
            elif kind == "buffer" and name in vars(self).get("_buffer_names", ()):
                if isinstance(value, Tensor):
                    yield name, value

    def named_parameters(self, prefix: str = "", recurse: bool = True):
        """(dotted name, Parameter) pairs; a shared (tied) parameter appears once."""
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mod_name, m in modules:
            for name, p in m._own(Parameter):
                if id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{mod_name}.{name}" if mod_name else name), p

    def parameters(self, recurse: bool = True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self):
        for mod_name, m in self.named_modules():
            for name, b in m._own("buffer"):
                yield (f"{mod_name}.{name}" if mod_name else name), b

    def num_parameters(self, trainable_only: bool = False) -> int:
        """How many numbers the model learns."""
        return sum(p.size for p in self.parameters() if p.requires_grad or not trainable_only)

    # ---- modes and housekeeping ----
    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout active) for this module and all below it."""
        for m in self.modules():
            m.training = mode
        return self

    def eval(self) -> Module:
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (set ``.grad`` to None)."""
        for p in self.parameters():
            p.grad = None

    def requires_grad_(self, flag: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad = flag
        return self

    def apply(self, fn) -> Module:
        """Call ``fn(module)`` on every module, children first (e.g. custom init)."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def to(self, device: str) -> Module:
        """Move every parameter and buffer to ``device`` in place (the Parameter
        objects stay the same, so an optimizer built earlier still holds them)."""
        device = backend.check_device(device)
        for m in self.modules():
            for _, p in m._own(Parameter):
                p.data = backend.to_device(p.data, device)
                if p.grad is not None:
                    p.grad = as_tensor(backend.to_device(p.grad.data, device))
            for name, b in list(m._own("buffer")):
                setattr(m, name, as_tensor(backend.to_device(b.data, device)))
        return self

    # ---- state dicts ----
    def state_dict(self) -> OrderedDict:
        """Every parameter and buffer by dotted name (tied weights under each name).

        The tensors share memory with the module, as in PyTorch: copy them (or
        ``minilm.save`` them) to keep a snapshot.
        """
        out = OrderedDict()
        for mod_name, m in self.named_modules():
            for kind in (Parameter, "buffer"):
                for name, t in m._own(kind):
                    out[f"{mod_name}.{name}" if mod_name else name] = as_tensor(t.data)
        return out

    def load_state_dict(self, state_dict, strict: bool = True) -> LoadResult:
        """Copy values from ``state_dict`` into this module's tensors, in place.

        Every key must fit: with ``strict=True`` missing and unexpected keys are
        an error, and a wrongly-shaped value always is. The error lists them all.
        Values may be Tensors or NumPy/CuPy arrays.
        """
        own = self.state_dict()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        wrong = [
            f"{k}: expected {own[k].shape}, got {tuple(_array(state_dict[k]).shape)}"
            for k in own
            if k in state_dict and tuple(_array(state_dict[k]).shape) != own[k].shape
        ]
        if wrong or (strict and (missing or unexpected)):
            lines = [f"cannot load state dict into {type(self).__name__}:"]
            if missing:
                lines.append(f"  missing keys: {', '.join(missing)}")
            if unexpected:
                lines.append(f"  unexpected keys: {', '.join(unexpected)}")
            if wrong:
                lines.append(f"  wrongly-shaped keys: {'; '.join(wrong)}")
            raise StateDictError("\n".join(lines))
        for k, t in own.items():
            if k in state_dict:
                value = backend.to_device(_array(state_dict[k]), t.device)
                t.data[...] = value.astype(t.dtype, copy=False)
        return LoadResult(missing, unexpected)

    # ---- printing ----
    def extra_repr(self) -> str:
        """The text inside this module's parentheses, e.g. ``in_features=2``."""
        return ""

    def _repr_lines(self) -> str:
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}("]
        for name, child in children:
            body = child._repr_lines().replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        lines.append(")")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"{self._repr_lines()}  # {self.num_parameters():,} parameters"


def _array(value):
    return value.data if isinstance(value, Tensor) else value


class Sequential(Module):
    """Modules applied one after another.

    >>> import minilm
    >>> from minilm import nn
    >>> f = nn.Sequential(nn.Linear(3, 2), nn.Tanh())
    >>> f(minilm.ones(4, 3)).shape, len(f)
    ((4, 2), 2)
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], dict):
            modules = modules[0].items()
        else:
            modules = ((str(i), m) for i, m in enumerate(modules))
        for name, m in modules:
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: item {name!r} is a {type(m).__name__}, not a Module")
            setattr(self, name, m)

    def __getitem__(self, i):
        mods = list(self.children())
        return Sequential(*mods[i]) if isinstance(i, slice) else mods[i]

    def __len__(self) -> int:
        return len(list(self.children()))

    def __iter__(self):
        return self.children()

    def forward(self, x):
        for m in self.children():
            x = m(x)
        return x


class ModuleList(Module):
    """A list of modules whose parameters the parent finds (a plain list hides them).

    >>> from minilm import nn
    >>> blocks = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    >>> len(blocks), len(list(blocks.parameters()))
    (3, 6)
    """

    def __init__(self, modules=()):
        super().__init__()
        self._size = 0
        self.extend(modules)

    def append(self, module: Module) -> ModuleList:
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList holds Modules, got {type(module).__name__}")
        setattr(self, str(self._size), module)
        self._size += 1
        return self

    def extend(self, modules) -> ModuleList:
        for m in modules:
            self.append(m)
        return self

    def _index(self, i: int) -> str:
        if not -self._size <= i < self._size:
            raise IndexError(f"ModuleList index {i} out of range (length {self._size})")
        return str(i % self._size)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return ModuleList(list(self)[i])
        return getattr(self, self._index(i))

    def __setitem__(self, i: int, module: Module) -> None:
        setattr(self, self._index(i), module)

    def __len__(self) -> int:
        return self._size

    def __iter__(self):
        return (getattr(self, str(i)) for i in range(self._size))


class ModuleDict(Module):
    """A dict of modules by name, registered with the parent.

    >>> from minilm import nn
    >>> heads = nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.Linear(2, 3)})
    >>> sorted(heads.keys()), heads["b"].out_features
    (['a', 'b'], 3)
    """

    def __init__(self, modules=None):
        super().__init__()
        self._names = []
        for name, m in dict(modules or {}).items():
            self[name] = m

    def __setitem__(self, name: str, module: Module) -> None:
        if not isinstance(name, str) or name.startswith("_") or hasattr(type(self), name):
            raise KeyError(f"ModuleDict: {name!r} can't be a key (it clashes with an attribute)")
        if not isinstance(module, Module):
            raise TypeError(f"ModuleDict holds Modules, got {type(module).__name__}")
        if name not in self._names:
            self._names.append(name)
        setattr(self, name, module)

    def __getitem__(self, name: str) -> Module:
        if name not in self._names:
            raise KeyError(f"ModuleDict has no module {name!r}; keys: {self._names}")
        return getattr(self, name)

    def __contains__(self, name) -> bool:
        return name in self._names

    def __len__(self) -> int:
        return len(self._names)

    def __iter__(self):
        return iter(list(self._names))

    def keys(self):
        return list(self._names)

    def values(self):
        return [getattr(self, k) for k in self._names]

    def items(self):
        return [(k, getattr(self, k)) for k in self._names]
