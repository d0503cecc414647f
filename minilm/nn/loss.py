"""Loss modules: thin wrappers around ``minilm.functional`` that remember their options.

>>> import minilm
>>> loss = CrossEntropyLoss()
>>> round(loss(minilm.tensor([[2.0, 0.0, 0.0]]), minilm.tensor([0])).item(), 4)
0.2395
"""

from __future__ import annotations

from .. import functional as F
from .module import Module


class CrossEntropyLoss(Module):
    """Softmax cross-entropy: logits (..., C) (classes on the last axis), targets (...)."""

    def __init__(self, ignore_index=-100, label_smoothing=0.0, reduction="mean"):
        super().__init__()
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing
        self.reduction = reduction

    def forward(self, logits, targets):
        return F.cross_entropy(logits, targets, self.ignore_index, self.label_smoothing,
                               self.reduction)  # fmt: skip

    def extra_repr(self):
        return f"reduction={self.reduction!r}"


class MSELoss(Module):
    """Mean squared error between predictions and targets of the same shape."""

    def __init__(self, reduction="mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, pred, target):
        return F.mse_loss(pred, target, self.reduction)

    def extra_repr(self):
        return f"reduction={self.reduction!r}"


class BCEWithLogitsLoss(Module):
    """Binary cross-entropy of targets in [0, 1] under sigmoid(logits), computed stably."""

    def __init__(self, reduction="mean", pos_weight=None):
        super().__init__()
        self.reduction, self.pos_weight = reduction, pos_weight

    def forward(self, logits, targets):
        return F.binary_cross_entropy_with_logits(logits, targets, self.reduction,
                                                  self.pos_weight)  # fmt: skip

    def extra_repr(self):
        return f"reduction={self.reduction!r}"
