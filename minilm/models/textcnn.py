"""Kim's CNN for sentence classification (Kim 2014, "Convolutional Neural
Networks for Sentence Classification").

A sentence of n words becomes an (n, d) matrix of word vectors. Filters of a
few widths k (3, 4 and 5 words by default), ``num_filters`` of each, slide
over it: filter j of width k gives ``c_t = relu(w_j . x_{t:t+k} + b_j)`` at
every position t, a feature map over time. **Max-over-time pooling** keeps the
largest value of each map, ``max_t c_t``: "did this k-gram detector fire
anywhere in the sentence?", one number per filter whatever the sentence's
length. The pooled features of all widths are concatenated, dropped out
(p = 0.5 in the paper) and fed to a linear layer that scores the classes.

**Batches of unequal lengths.** A batch is right-padded with ``pad_id``
(:func:`minilm.data.pad_batch`). The padding must change nothing, so:

- the padding's word vectors are zeroed (so the ``[PAD]`` row of the table
  never enters a window, and gets no gradient);
- for width k, only the windows of the sentence count in the max: positions
  ``t <= n - k``, or ``t = 0`` alone for a sentence shorter than k, whose one
  window is the sentence followed by zero vectors, as if it had been padded to
  k words;
- a batch shorter than the widest filter is padded up to it.

So a sentence gets the same logits alone or in any padded batch (in eval mode).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .. import functional as F
from .. import ops
from ..nn import init
from ..nn.layers import Conv1d, Dropout, Embedding, Linear
from ..nn.module import Module, ModuleList
from ..tensor import Tensor, as_tensor

__all__ = ["TextCNNConfig", "TextCNN"]


@dataclass
class TextCNNConfig:
    """TextCNN hyperparameters: ``widths`` of the filters, ``num_filters`` of
    each width, ``embed_dim`` the word vectors' size, ``pad_id`` the padding id.
    Kim's were d = 300 (word2vec), widths (3, 4, 5), 100 filters each, dropout 0.5.

    ``embed_init``: the word vectors start uniform in [-embed_init, embed_init],
    0.25 as in Kim's code for the words word2vec lacks (and for all of them in his
    CNN-rand), rather than :class:`~minilm.nn.Embedding`'s N(0, 1): vectors that
    large make the first filter responses large and the model overfits sooner
    (on chapter 08's sentiment val split, 0.78 accuracy from N(0, 1), 0.81 from
    U[-0.25, 0.25], other settings equal)."""

    vocab_size: int
    num_classes: int = 2
    embed_dim: int = 64
    widths: tuple[int, ...] = (3, 4, 5)
    num_filters: int = 100
    dropout: float = 0.5
    pad_id: int = 0
    embed_init: float = 0.25

    def __post_init__(self):
        self.widths = tuple(self.widths)
        if not self.widths or any(not isinstance(k, int) or k < 1 for k in self.widths):
            raise ValueError(f"TextCNNConfig: widths must be ints >= 1, got {self.widths}")
        if min(self.vocab_size, self.num_classes, self.embed_dim, self.num_filters) < 1:
            raise ValueError(f"TextCNNConfig: sizes must be >= 1, got {self}")

    def to_dict(self) -> dict:
        return asdict(self)


class TextCNN(Module):
    """Embedding, a Conv1d per width, ReLU, max over time, concatenation,
    dropout, Linear: token ids (B, T) -> logits (B, num_classes).

    >>> import minilm
    >>> model = TextCNN(TextCNNConfig(vocab_size=20, num_filters=4))
    >>> model(minilm.tensor([[1, 5, 6, 7, 0, 0], [1, 8, 0, 0, 0, 0]])).shape
    (2, 2)
    """

    def __init__(self, config: TextCNNConfig):
        super().__init__()
        c = self.config = config
        self.embed = Embedding(c.vocab_size, c.embed_dim)
        init.uniform_(self.embed.weight, -c.embed_init, c.embed_init)
        self.convs = ModuleList([Conv1d(c.embed_dim, c.num_filters, k) for k in c.widths])
        self.drop = Dropout(c.dropout)
        self.head = Linear(len(c.widths) * c.num_filters, c.num_classes)

    def features(self, ids) -> Tensor:
        """The pooled features, before dropout: (B, len(widths) * num_filters),
        filter j of width ``widths[i]`` in column ``i * num_filters + j``."""
        c, xp = self.config, self.embed.weight.xp
        idx = xp.asarray(ids.data if isinstance(ids, Tensor) else ids)  # (B, T)
        if idx.ndim != 2:
            raise ValueError(f"TextCNN: need token ids (B, T), got shape {idx.shape}")
        widest = max(c.widths)
        if idx.shape[1] < widest:  # every filter needs a window
            idx = xp.pad(idx, ((0, 0), (0, widest - idx.shape[1])), constant_values=c.pad_id)
        keep = idx != c.pad_id  # (B, T)
        n = keep.sum(axis=1)  # (B,) the sentences' lengths (right padding)
        x = self.embed(idx) * as_tensor(keep[..., None].astype(self.embed.weight.dtype))
        x = x.transpose((0, 2, 1))  # (B, d, T): channels first, as Conv1d wants
        pooled = []
        for k, conv in zip(c.widths, self.convs):
            h = ops.relu(conv(x))  # (B, F, T - k + 1): one feature map per filter
            windows = xp.maximum(n, k) - k + 1  # (B,) how many windows are the sentence's
            valid = xp.arange(h.shape[-1])[None, :] < windows[:, None]  # (B, T - k + 1)
            pooled.append(F.max_over_time(h, mask=valid))  # (B, F)
        return ops.concatenate(pooled, axis=-1)  # (B, len(widths) * F)

    def forward(self, ids) -> Tensor:
        return self.head(self.drop(self.features(ids)))  # (B, num_classes)
