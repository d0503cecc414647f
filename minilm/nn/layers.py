"""Layers: Linear, Embedding, LayerNorm, Dropout, Conv1d, Conv2d and the activations.

Layouts read like the maths (see ``minilm.functional``): ``Linear.weight`` is
(in_features, out_features) and the layer computes ``x @ W + b``; PyTorch stores
the transpose. ``Conv1d.weight`` is (C_out, C_in, K) and ``Conv2d.weight``
(C_out, C_in, kH, kW), as in PyTorch.
"""

from __future__ import annotations

import math

from .. import functional as F
from .. import ops
from ..backend import np
from ..tensor import zeros
from . import init
from .module import Module, Parameter


def _empty(*shape, device="cpu", dtype=np.float32) -> Parameter:
    return Parameter(zeros(*shape, device=device, dtype=dtype))


class Linear(Module):
    """``y = x @ W + b`` with W (in_features, out_features).

    Weights and bias start in U(-1/sqrt(in), 1/sqrt(in)), as in PyTorch.

    >>> import minilm
    >>> layer = Linear(3, 2)
    >>> layer(minilm.ones(5, 3)).shape, layer.weight.shape
    ((5, 2), (3, 2))
    """

    def __init__(self, in_features, out_features, bias=True, device="cpu", dtype=np.float32):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        bound = 1 / math.sqrt(in_features)
        self.weight = init.uniform_(_empty(in_features, out_features, device=device, dtype=dtype),
                                    -bound, bound)  # fmt: skip
        self.bias = None
        if bias:
            self.bias = init.uniform_(_empty(out_features, device=device, dtype=dtype),
                                      -bound, bound)  # fmt: skip

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)  # (..., in) -> (..., out)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, " \
               f"bias={self.bias is not None}"  # fmt: skip


class Embedding(Module):
    """A (num_embeddings, embedding_dim) table of vectors, looked up by integer id.

    >>> import minilm
    >>> emb = Embedding(10, 4)
    >>> emb(minilm.tensor([[1, 2, 3]])).shape
    (1, 3, 4)
    """

    def __init__(self, num_embeddings, embedding_dim, device="cpu", dtype=np.float32):
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.weight = init.normal_(_empty(num_embeddings, embedding_dim, device=device,
                                          dtype=dtype))  # fmt: skip

    def forward(self, idx):
        return F.embedding(idx, self.weight)  # (...) -> (..., D)

    def extra_repr(self):
        return f"{self.num_embeddings}, {self.embedding_dim}"


class LayerNorm(Module):
    """Normalize the last ``len(normalized_shape)`` axes to mean 0 and variance 1,
    then scale by ``weight`` (ones) and shift by ``bias`` (zeros).

    >>> import minilm
    >>> ln = LayerNorm(4)
    >>> y = ln(minilm.randn(2, 4))
    >>> bool(abs(y.mean(axis=-1).numpy()).max() < 1e-5)
    True
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device="cpu", dtype=np.float32):  # fmt: skip
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape, self.eps = tuple(normalized_shape), eps
        self.weight = self.bias = None
        if elementwise_affine:
            self.weight = init.ones_(_empty(*self.normalized_shape, device=device, dtype=dtype))
            if bias:
                self.bias = _empty(*self.normalized_shape, device=device, dtype=dtype)

    def forward(self, x):
        n = len(self.normalized_shape)
        if x.shape[-n:] != self.normalized_shape:
            raise ValueError(
                f"LayerNorm{self.normalized_shape}: input {x.shape} does not end in "
                f"{self.normalized_shape}"
            )
        if n == 1:
            return F.layer_norm(x, self.weight, self.bias, self.eps)
        flat = lambda t: None if t is None else t.reshape(-1)
        y = F.layer_norm(x.reshape(*x.shape[:-n], -1), flat(self.weight), flat(self.bias), self.eps)
        return y.reshape(x.shape)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, affine={self.weight is not None}"


class Dropout(Module):
    """Zero each element with probability ``p`` while training (scaling the rest
    by 1/(1-p)); the identity after ``eval()``."""

    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1), got {p}")
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"


class _Conv(Module):
    """What Conv1d and Conv2d share: weight (C_out, C_in, *kernel) and bias (C_out,),
    uniform in +-1/sqrt(C_in * prod(kernel)) as in PyTorch, and the repr."""

    def _make_parameters(self, in_channels, out_channels, kernel: tuple, bias, device, dtype):
        self.in_channels, self.out_channels = in_channels, out_channels
        bound = 1 / math.sqrt(in_channels * math.prod(kernel))
        shape = (out_channels, in_channels, *kernel)
        self.weight = init.uniform_(_empty(*shape, device=device, dtype=dtype), -bound, bound)
        self.bias = None
        if bias:
            self.bias = init.uniform_(_empty(out_channels, device=device, dtype=dtype),
                                      -bound, bound)  # fmt: skip

    def extra_repr(self):
        return f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, " \
               f"stride={self.stride}, padding={self.padding}"  # fmt: skip


class Conv1d(_Conv):
    """1-D convolution: (N, C_in, L) -> (N, C_out, L_out), weight (C_out, C_in, K).

    >>> import minilm
    >>> conv = Conv1d(2, 5, kernel_size=3, padding=1)
    >>> conv(minilm.ones(4, 2, 10)).shape
    (4, 5, 10)
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True,
                 device="cpu", dtype=np.float32):  # fmt: skip
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self._make_parameters(in_channels, out_channels, (kernel_size,), bias, device, dtype)

    def forward(self, x):
        return F.conv1d(x, self.weight, self.bias, self.stride, self.padding)


class Conv2d(_Conv):
    """2-D convolution: (N, C_in, H, W) -> (N, C_out, H_out, W_out), weight
    (C_out, C_in, kH, kW). ``kernel_size``, ``stride`` and ``padding`` are an int or
    a (height, width) pair, kept as pairs, as in PyTorch.

    >>> import minilm
    >>> conv = Conv2d(3, 16, 3, stride=2, padding=1)
    >>> conv(minilm.ones(4, 3, 32, 20)).shape, conv.weight.shape
    ((4, 16, 16, 10), (16, 3, 3, 3))
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True,
                 device="cpu", dtype=np.float32):  # fmt: skip
        super().__init__()
        self.kernel_size = F._pair(kernel_size, "kernel_size", 1, who="Conv2d")
        self.stride = F._pair(stride, "stride", 1, who="Conv2d")
        self.padding = F._pair(padding, "padding", 0, who="Conv2d")
        self._make_parameters(in_channels, out_channels, self.kernel_size, bias, device, dtype)

    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding)


# ---- activations: modules around the functions, so they fit in a Sequential ----


class Identity(Module):
    def forward(self, x):
        return x


class ReLU(Module):
    def forward(self, x):
        return ops.relu(x)


class GELU(Module):
    """GELU, exact (``approximate="none"``) or GPT-2's tanh form (``"tanh"``)."""

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, x):
        return F.gelu(x, self.approximate)

    def extra_repr(self):
        return "" if self.approximate == "none" else f"approximate={self.approximate!r}"


class Tanh(Module):
    def forward(self, x):
        return ops.tanh(x)


class Sigmoid(Module):
    def forward(self, x):
        return ops.sigmoid(x)


class LeakyReLU(Module):
    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"
