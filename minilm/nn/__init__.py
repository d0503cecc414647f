"""Neural-network building blocks, PyTorch-style: ``import minilm.nn as nn``.

>>> import minilm
>>> import minilm.nn as nn
>>> model = nn.Sequential(nn.Linear(2, 8), nn.GELU(), nn.Linear(8, 2))
>>> model(minilm.randn(4, 2)).shape
(4, 2)

Recurrent layers (``RNN``, ``LSTM``, ``GRU`` and their cells) live in
``minilm.nn.recurrent`` and are exported here.
"""

from . import init
from .attention import (
    AdditiveAttention,
    DotAttention,
    KVCache,
    LearnedPositionalEncoding,
    MultiHeadAttention,
    SinusoidalPositionalEncoding,
    sinusoidal_positions,
)
from .layers import (
    GELU,
    Conv1d,
    Conv2d,
    Dropout,
    Embedding,
    Identity,
    LayerNorm,
    LeakyReLU,
    Linear,
    ReLU,
    Sigmoid,
    Tanh,
)
from .loss import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from .module import (
    LoadResult,
    Module,
    ModuleDict,
    ModuleList,
    Parameter,
    Sequential,
    StateDictError,
)
from .pooling import AvgPool1d, MaxPool1d
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell

__all__ = [
    "init", "Module", "Parameter", "Sequential", "ModuleList", "ModuleDict", "StateDictError",
    "LoadResult", "Linear", "Embedding", "LayerNorm", "Dropout", "Conv1d", "Conv2d",
    "MaxPool1d", "AvgPool1d", "Identity", "ReLU",
    "GELU", "Tanh", "Sigmoid", "LeakyReLU", "CrossEntropyLoss", "MSELoss", "BCEWithLogitsLoss",
    "AdditiveAttention", "DotAttention", "MultiHeadAttention", "KVCache",
    "SinusoidalPositionalEncoding", "LearnedPositionalEncoding", "sinusoidal_positions",
    "RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU",
]  # fmt: skip
