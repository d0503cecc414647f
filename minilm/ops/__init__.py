"""The primitive ops: each a :class:`~minilm.autograd.Function` (reference maths
only) with its lowercase function and its Tensor methods in the same file.

``arith`` (+ - * / ** @), ``unary`` (exp, log, tanh, ...), ``reduce`` (sum,
max, logsumexp, ...), ``shape`` (reshape, transpose, concatenate, pad),
``index`` (getitem, scatter-add, where), ``compare`` (==, <, &, ...: no
gradient) and ``composite`` (softmax, log-softmax, cross-entropy, layer norm,
GELU as single Functions). :class:`minilm.Tensor` inherits the methods from
the ``*Methods`` mixins here, so "go to definition" on ``x.sum`` lands beside
``Sum``.
"""

from .arith import Add, Div, MatMul, Mul, Neg, Pow, Sub, add, div, matmul, mul, neg, pow, sub
from .composite import CrossEntropy, Gelu, LayerNorm, LogSoftmax, Softmax
from .index import GetItem, ScatterAdd, Where, getitem, index_arrays, scatter_add, where
from .reduce import (
    LogSumExp,
    Max,
    Min,
    Sum,
    argmax,
    argmin,
    keepdims_shape,
    logsumexp,
    max,
    mean,
    min,
    normalize_axis,
    sum,
    var,
)
from .shape import (
    AsType,
    BroadcastTo,
    Concatenate,
    Copy,
    Pad,
    Reshape,
    ToDevice,
    Transpose,
    broadcast_to,
    clone,
    concatenate,
    expand_dims,
    flatten,
    pad,
    reshape,
    split,
    squeeze,
    stack,
    swapaxes,
    transpose,
)
from .unary import (
    Abs,
    Clip,
    Erf,
    Exp,
    Log,
    Maximum,
    Minimum,
    Relu,
    Sigmoid,
    Sign,
    Softplus,
    Sqrt,
    Step,
    Tanh,
    abs,
    clip,
    erf,
    exp,
    log,
    maximum,
    minimum,
    relu,
    sigmoid,
    sign,
    softplus,
    sqrt,
    step,
    tanh,
)

# the public functions: minilm re-exports every one of them
__all__ = [
    # arith
    "add", "sub", "mul", "div", "neg", "pow", "matmul",
    # unary
    "exp", "log", "sqrt", "abs", "tanh", "sigmoid", "softplus", "relu", "erf", "sign",
    "step", "maximum", "minimum", "clip",
    # reduce
    "sum", "mean", "var", "max", "min", "logsumexp", "argmax", "argmin",
    # shape
    "reshape", "transpose", "swapaxes", "expand_dims", "squeeze", "broadcast_to",
    "flatten", "clone", "concatenate", "stack", "split", "pad",
    # index
    "getitem", "where", "scatter_add",
]  # fmt: skip
