"""Pooling over time: ``MaxPool1d`` and ``AvgPool1d``, the modules around
:func:`minilm.functional.max_pool1d` and :func:`~minilm.functional.avg_pool1d`.

The layout is :class:`~minilm.nn.Conv1d`'s, (N, C, L), pooled along the last
axis. Max-over-time pooling of a whole sequence (Kim's CNN) is
:func:`minilm.functional.max_over_time`, which also takes a padding mask.
"""

from __future__ import annotations

from .. import functional as F
from .module import Module


class _Pool1d(Module):
    def __init__(self, kernel_size: int, stride: int | None = None, padding: int = 0):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool1d(_Pool1d):
    """The max of each window of ``kernel_size`` steps, every ``stride`` steps
    (default: ``kernel_size``): (N, C, L) -> (N, C, L_out). Tied maxima share
    the gradient equally (PyTorch gives it to one of them).

    >>> import minilm
    >>> MaxPool1d(2)(minilm.ones(4, 3, 10)).shape
    (4, 3, 5)
    """

    def forward(self, x):
        return F.max_pool1d(x, self.kernel_size, self.stride, self.padding)


class AvgPool1d(_Pool1d):
    """The mean of each window, laid out as :class:`MaxPool1d`; zero padding
    counts in the mean (PyTorch's ``count_include_pad=True``).

    >>> import minilm
    >>> AvgPool1d(3, stride=1, padding=1)(minilm.ones(4, 3, 10)).shape
    (4, 3, 10)
    """

    def forward(self, x):
        return F.avg_pool1d(x, self.kernel_size, self.stride, self.padding)
