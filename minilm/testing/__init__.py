"""Tools for testing differentiable code: gradient checks and hypothesis
strategies. minilm's test suite and the exercise graders are built from these.

>>> import minilm
>>> from minilm.testing import gradcheck
>>> x = minilm.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
>>> gradcheck(lambda t: t * t, [x])
True
"""

from .gradcheck import GradcheckError, gradcheck, gradgradcheck, numerical_grad
from .optest import check_op, op_test
from .strategies import (
    arrays,
    away_from,
    axes,
    broadcastable_shapes,
    floats,
    grid,
    separated,
    shapes,
    tensors,
)

__all__ = [
    "GradcheckError",
    "gradcheck",
    "gradgradcheck",
    "numerical_grad",
    "check_op",
    "op_test",
    "arrays",
    "away_from",
    "axes",
    "broadcastable_shapes",
    "floats",
    "grid",
    "separated",
    "shapes",
    "tensors",
]
