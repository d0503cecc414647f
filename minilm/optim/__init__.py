"""Optimizers, learning-rate schedules and gradient clipping: ``import minilm.optim as optim``.

>>> import minilm, minilm.nn as nn, minilm.optim as optim
>>> model = nn.Linear(3, 1)
>>> opt = optim.AdamW(model.parameters(), lr=1e-2)
>>> loss = (model(minilm.randn(8, 3)) ** 2).mean()
>>> opt.zero_grad(); loss.backward(); opt.step()
"""

from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .clip import clip_grad_norm_, clip_grad_value_
from .lr_scheduler import (
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LRScheduler,
    StepLR,
    WarmupCosineLR,
)
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = [
    "Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "lr_scheduler", "LRScheduler",
    "StepLR", "ExponentialLR", "CosineAnnealingLR", "WarmupCosineLR", "LambdaLR",
    "clip_grad_norm_", "clip_grad_value_",
]  # fmt: skip
