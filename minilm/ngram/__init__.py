"""n-gram language models, counted with NumPy: MLE, add-k, interpolation, backoff, Kneser-Ney.

>>> from minilm.ngram import NgramModel
>>> lm = NgramModel(order=3, smoothing="kneser-ney").fit(["emma", "olivia", "ava", "isabella"])
>>> lm.perplexity(["anna"]) < 27
True
"""

from .counts import NgramCounts
from .model import BOS, EOS, UNK, NgramModel
from .smoothing import (
    MLE,
    SMOOTHINGS,
    AddK,
    Backoff,
    Interpolation,
    KneserNey,
    Smoothing,
    make_smoothing,
)  # fmt: skip

__all__ = [
    "NgramModel",
    "NgramCounts",
    "Smoothing",
    "MLE",
    "AddK",
    "Interpolation",
    "Backoff",
    "KneserNey",
    "SMOOTHINGS",
    "make_smoothing",
    "BOS",
    "EOS",
    "UNK",
]
