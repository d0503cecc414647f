"""A BERT-style encoder (Devlin et al. 2019): pretrained by masked language
modelling, then fine-tuned with a small head for classification.

Pretraining hides some tokens and asks the encoder to recover them from both
sides of the context: :func:`mask_tokens` picks 15% of the real tokens; of
those, 80% become ``[MASK]``, 10% a random token, 10% stay as they are (so the
model cannot learn that only ``[MASK]`` positions matter). The loss counts the
picked positions only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .. import functional as F
from ..backend import np
from ..nn import init
from ..nn.attention import LearnedPositionalEncoding
from ..nn.layers import GELU, Dropout, Embedding, LayerNorm, Linear
from ..nn.module import Module, Parameter
from ..tensor import Tensor, as_tensor, tensor, zeros
from .transformer import TransformerEncoder

__all__ = ["BERTConfig", "BERT", "BERTClassifier", "mask_rule", "mask_tokens", "IGNORE"]

IGNORE = -100  # the target of a position the MLM loss skips (F.cross_entropy's ignore_index)


@dataclass
class BERTConfig:
    """BERT hyperparameters. Token ids below ``num_special`` are special
    (``[PAD]=0, [CLS]=1, [SEP]=2, [MASK]=3`` by default, plus ``[UNK]`` if the
    tokenizer has one): never masked, never drawn as random replacements."""

    vocab_size: int
    max_len: int = 64
    n_layer: int = 2
    n_head: int = 4
    d_model: int = 128
    d_ff: int | None = None
    dropout: float = 0.1
    pad_id: int = 0
    cls_id: int = 1
    mask_id: int = 3
    num_special: int = 4

    def to_dict(self) -> dict:
        return asdict(self)


def mask_rule(ids, u_pick, u_action, random_ids, mask_id: int, num_special: int,
              mask_prob: float = 0.15):  # fmt: skip
    """BERT's masking rule, given the random draws (so it can be checked by hand).

    ``u_pick`` and ``u_action`` are uniform [0, 1) arrays and ``random_ids``
    replacement tokens, all shaped like ``ids`` (B, T). A real token (id >=
    ``num_special``) is *picked* where ``u_pick < mask_prob``; a picked token
    becomes ``mask_id`` where ``u_action < 0.8``, ``random_ids`` where
    ``0.8 <= u_action < 0.9``, and stays as it is otherwise. Returns
    ``(inputs, targets)``: targets are the original ids where picked, ``IGNORE``
    elsewhere.

    >>> ids = np.array([[5, 6, 7, 0]])
    >>> u = np.array([[0.0, 0.0, 0.0, 0.0]])
    >>> inputs, targets = mask_rule(ids, u, np.array([[0.5, 0.85, 0.95, 0.5]]),
    ...                             np.full((1, 4), 9), mask_id=3, num_special=4)
    >>> inputs.tolist(), targets.tolist()
    ([[3, 9, 7, 0]], [[5, 6, 7, -100]])
    """
    picked = (ids >= num_special) & (u_pick < mask_prob)
    inputs = np.where(picked & (u_action < 0.8), mask_id, ids)
    inputs = np.where(picked & (u_action >= 0.8) & (u_action < 0.9), random_ids, inputs)
    return inputs.astype(np.int64), np.where(picked, ids, IGNORE).astype(np.int64)


def mask_tokens(ids, vocab_size: int, mask_id: int, num_special: int, rng=None,
                mask_prob: float = 0.15, pad_id: int = 0):  # fmt: skip
    """:func:`mask_rule` with fresh random draws: each real token is picked with
    probability ``mask_prob``; of those, 80% become ``mask_id``, 10% a random
    ordinary token (uniform over ``[num_special, vocab_size)``), 10% stay.
    Returns NumPy int64 arrays ``(inputs, targets)``.

    >>> ids = np.array([[5, 6, 7, 8, 0, 0]])
    >>> inputs, targets = mask_tokens(ids, vocab_size=10, mask_id=3, num_special=4,
    ...                               rng=0, mask_prob=1.0)
    >>> targets.tolist()
    [[5, 6, 7, 8, -100, -100]]
    >>> bool((inputs[0, 4:] == 0).all())
    True
    """
    ids = np.asarray(ids.numpy() if isinstance(ids, Tensor) else ids, dtype=np.int64)
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    if not 0.0 <= mask_prob <= 1.0:
        raise ValueError(f"mask_tokens: mask_prob must be in [0, 1], got {mask_prob}")
    if num_special >= vocab_size:
        raise ValueError(f"mask_tokens: num_special={num_special} leaves no ordinary tokens")
    u_pick, u_action = gen.random(ids.shape), gen.random(ids.shape)
    random_ids = gen.integers(num_special, vocab_size, size=ids.shape)
    return mask_rule(ids, u_pick, u_action, random_ids, mask_id, num_special, mask_prob)


class BERT(Module):
    """Token + learned position embeddings -> a bidirectional transformer encoder.

    ``model(ids, key_padding_mask=None)`` -> hidden states (B, T, d); the mask
    (B, T) is True on real tokens (default: ``ids != pad_id``). The MLM head
    (dense -> GELU -> layer norm -> the tied embedding matrix + a bias) gives
    :meth:`mlm_logits`; :meth:`mlm_loss` masks a batch and scores it.

    >>> import minilm
    >>> bert = BERT(BERTConfig(vocab_size=20, max_len=8, n_layer=1, n_head=2, d_model=16))
    >>> h = bert(minilm.tensor([[1, 5, 6, 2, 0]]))
    >>> h.shape, bert.mlm_logits(h).shape
    ((1, 5, 16), (1, 5, 20))
    """

    def __init__(self, config: BERTConfig):
        super().__init__()
        c = self.config = config
        self.tok = Embedding(c.vocab_size, c.d_model)
        self.pos = LearnedPositionalEncoding(c.d_model, c.max_len)
        self.drop = Dropout(c.dropout)
        self.encoder = TransformerEncoder(c.n_layer, c.d_model, c.n_head, c.d_ff, c.dropout)
        self.mlm_dense = Linear(c.d_model, c.d_model)
        self.mlm_act = GELU()
        self.mlm_norm = LayerNorm(c.d_model)
        self.mlm_bias = Parameter(zeros(c.vocab_size))
        for name, p in self.named_parameters():
            if p.ndim == 2:
                init.normal_(p, std=0.02)
            elif name.endswith("bias") and "norm" not in name and "ln" not in name:
                init.zeros_(p)

    def padding_mask(self, ids) -> Tensor:
        return as_tensor(ids.data != self.config.pad_id)

    def forward(self, ids, key_padding_mask=None):
        if key_padding_mask is None:
            key_padding_mask = self.padding_mask(ids)
        x = self.drop(self.pos(self.tok(ids)))  # (B, T, d)
        return self.encoder(x, key_padding_mask=key_padding_mask)  # (B, T, d)

    def mlm_logits(self, hidden):
        h = self.mlm_norm(self.mlm_act(self.mlm_dense(hidden)))  # (B, T, d)
        return h @ self.tok.weight.T + self.mlm_bias  # (B, T, V)

    def mlm_loss(self, ids, rng=None, mask_prob: float = 0.15) -> Tensor:
        """Mask a batch of ids (B, T) with :func:`mask_tokens` and return the
        cross-entropy of recovering the picked tokens."""
        c = self.config
        inputs, targets = mask_tokens(ids, c.vocab_size, c.mask_id, c.num_special, rng,
                                      mask_prob, c.pad_id)  # fmt: skip
        device = self.tok.weight.device
        inputs, targets = tensor(inputs, device=device), tensor(targets, device=device)
        mask = as_tensor(ids.data != c.pad_id) if isinstance(ids, Tensor) else None
        logits = self.mlm_logits(self(inputs, mask))
        return F.cross_entropy(logits, targets, ignore_index=IGNORE)


class BERTClassifier(Module):
    """A classification head on an encoder: pool the hidden states, dropout, Linear.

    ``pooling="cls"`` takes the first position (the ``[CLS]`` token); ``"mean"``
    averages the real tokens. Returns logits (B, num_classes): use
    ``F.cross_entropy`` for one label per example, or
    ``F.binary_cross_entropy_with_logits`` for several (multi-label).

    >>> import minilm
    >>> bert = BERT(BERTConfig(vocab_size=20, max_len=8, n_layer=1, n_head=2, d_model=16))
    >>> clf = BERTClassifier(bert, num_classes=3)
    >>> clf(minilm.tensor([[1, 5, 6, 2, 0]])).shape
    (1, 3)
    """

    def __init__(self, encoder: BERT, num_classes: int, pooling: str = "mean",
                 dropout: float = 0.1):  # fmt: skip
        super().__init__()
        if pooling not in ("cls", "mean"):
            raise ValueError(f"BERTClassifier: pooling must be 'cls' or 'mean', got {pooling!r}")
        self.encoder, self.pooling = encoder, pooling
        self.drop = Dropout(dropout)
        self.head = Linear(encoder.config.d_model, num_classes)

    def forward(self, ids, key_padding_mask=None):
        if key_padding_mask is None:
            key_padding_mask = self.encoder.padding_mask(ids)
        h = self.encoder(ids, key_padding_mask)  # (B, T, d)
        if self.pooling == "cls":
            pooled = h[:, 0]  # (B, d)
        else:
            m = as_tensor(
                self.encoder.tok.weight.xp.asarray(
                    key_padding_mask.data
                    if isinstance(key_padding_mask, Tensor)
                    else key_padding_mask,
                    dtype=h.dtype,
                )[..., None]
            )  # (B, T, 1)
            pooled = (h * m).sum(axis=1) / m.sum(axis=1)  # (B, d)
        return self.head(self.drop(pooled))  # (B, num_classes)
