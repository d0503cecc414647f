"""Comparisons and logic: their results are bool tensors outside the graph
(no gradient flows through a comparison)."""

from ..autograd import TensorBase


def _array(x):
    return x.data if isinstance(x, TensorBase) else x


def _compare(name):
    def op(a, b):
        return a._make(getattr(a.data, name)(_array(b)))

    op.__name__ = name
    return op


def logical_not(a):
    return a._make(~a.data)


def logical_and(a, b):
    return a._make(a.data & _array(b))


def logical_or(a, b):
    return a._make(a.data | _array(b))


class ComparisonMethods:
    """Tensor's comparison and logic operators (mixed into :class:`minilm.Tensor`)."""

    __slots__ = ()
    __lt__, __le__ = _compare("__lt__"), _compare("__le__")
    __gt__, __ge__ = _compare("__gt__"), _compare("__ge__")
    __eq__, __ne__ = _compare("__eq__"), _compare("__ne__")
    __invert__, __and__, __or__ = logical_not, logical_and, logical_or
    __hash__ = object.__hash__  # __eq__ is elementwise, yet tensors key dicts by identity
