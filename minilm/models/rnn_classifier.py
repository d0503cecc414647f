"""A recurrent sentence classifier: word vectors, a GRU (or an LSTM) reading the
sentence left to right, the hidden states pooled over time, dropout, a linear
layer scoring the classes.

A sentence of n words gives n hidden states ``h_1 .. h_n`` (H numbers each, the
top layer's). Rather than classify from the last state alone, which must carry
the whole sentence, the states are **pooled over time**: the largest value of
each unit over the sentence (``pool="max"``, as Kim's CNN pools its feature
maps), or their mean (``pool="mean"``). One vector of H numbers per sentence,
whatever its length.

**Batches of unequal lengths.** A batch is right-padded with ``pad_id``
(:func:`minilm.data.pad_batch`). The recurrence reads left to right, so the
state at step t has seen only the words up to t: the padding after a sentence
cannot change its states, and the pooling keeps only the sentence's steps
(``t < n``). So a sentence gets the same logits alone or in any padded batch
(in eval mode). A bidirectional reader would see the padding first, and is not
offered.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .. import functional as F
from .. import ops
from ..nn import init
from ..nn.layers import Dropout, Embedding, Linear
from ..nn.module import Module
from ..nn.recurrent import GRU, LSTM, RNN
from ..tensor import Tensor

__all__ = ["RNNClassifierConfig", "RNNClassifier"]

CELLS = {"gru": GRU, "lstm": LSTM, "rnn": RNN}
POOLS = {"max": F.max_over_time, "mean": F.mean_over_time}


@dataclass
class RNNClassifierConfig:
    """RNNClassifier hyperparameters: ``cell`` ("gru", "lstm" or "rnn"),
    ``embed_dim`` the word vectors' size, ``hidden_size`` and ``num_layers`` of
    the recurrence, ``pool`` ("max" or "mean" over time), ``dropout`` (on the
    pooled vector, and between stacked layers), ``pad_id`` the padding id.

    ``embed_init``: the word vectors start uniform in [-embed_init, embed_init]
    as :class:`~minilm.models.textcnn.TextCNNConfig`'s do (0 keeps
    :class:`~minilm.nn.Embedding`'s N(0, 1))."""

    vocab_size: int
    num_classes: int = 2
    cell: str = "gru"
    embed_dim: int = 64
    hidden_size: int = 128
    num_layers: int = 1
    pool: str = "max"
    dropout: float = 0.5
    pad_id: int = 0
    embed_init: float = 0.25

    def __post_init__(self):
        if self.cell not in CELLS:
            raise ValueError(
                f"RNNClassifierConfig: cell must be one of {sorted(CELLS)}, got {self.cell!r}"
            )
        if self.pool not in POOLS:
            raise ValueError(
                f"RNNClassifierConfig: pool must be one of {sorted(POOLS)}, got {self.pool!r}"
            )
        sizes = (self.vocab_size, self.num_classes, self.embed_dim, self.hidden_size,
                 self.num_layers)  # fmt: skip
        if min(sizes) < 1:
            raise ValueError(f"RNNClassifierConfig: sizes must be >= 1, got {self}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"RNNClassifierConfig: dropout must be in [0, 1), got {self.dropout}")

    def to_dict(self) -> dict:
        return asdict(self)


class RNNClassifier(Module):
    """Embedding, a GRU/LSTM/RNN over the tokens, masked max (or mean) over
    time of the top layer's states, dropout, Linear: token ids (B, T) -> logits
    (B, num_classes).

    >>> import minilm
    >>> model = RNNClassifier(RNNClassifierConfig(vocab_size=20, hidden_size=4))
    >>> model(minilm.tensor([[1, 5, 6, 7, 0, 0], [1, 8, 0, 0, 0, 0]])).shape
    (2, 2)
    """

    def __init__(self, config: RNNClassifierConfig):
        super().__init__()
        c = self.config = config
        self.embed = Embedding(c.vocab_size, c.embed_dim)
        if c.embed_init:
            init.uniform_(self.embed.weight, -c.embed_init, c.embed_init)
        self.rnn = CELLS[c.cell](c.embed_dim, c.hidden_size, num_layers=c.num_layers,
                                 dropout=c.dropout if c.num_layers > 1 else 0.0)  # fmt: skip
        self.drop = Dropout(c.dropout)
        self.head = Linear(c.hidden_size, c.num_classes)

    def features(self, ids) -> Tensor:
        """The pooled hidden states, before dropout: (B, hidden_size)."""
        c, xp = self.config, self.embed.weight.xp
        idx = xp.asarray(ids.data if isinstance(ids, Tensor) else ids)  # (B, T)
        if idx.ndim != 2 or idx.shape[1] == 0:
            raise ValueError(f"RNNClassifier: need token ids (B, T), T >= 1, got shape {idx.shape}")
        keep = idx != c.pad_id  # (B, T)
        n = keep.sum(axis=1)  # (B,) the sentences' lengths (right padding)
        if (n == 0).any():
            raise ValueError("RNNClassifier: a sentence is all padding (no token to pool)")
        idx = idx[:, : int(n.max())]  # the steps after the longest sentence change nothing
        # one embedding lookup per step, as RNN.run wants them (see its docstring)
        hs, _ = self.rnn.run([self.embed(idx[:, t]) for t in range(idx.shape[1])])
        h = ops.stack(hs, axis=-1)  # (B, H, T): channels first, as the pooling wants
        valid = xp.arange(idx.shape[1])[None, :] < n[:, None]  # (B, T)
        return POOLS[c.pool](h, mask=valid)  # (B, H)

    def forward(self, ids) -> Tensor:
        return self.head(self.drop(self.features(ids)))  # (B, num_classes)
