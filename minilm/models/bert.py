"""A BERT-style encoder (Devlin et al. 2019): pretrained by masked language
modelling, then fine-tuned with a small head for classification.

Pretraining hides some tokens and asks the encoder to recover them from both
sides of the context: :func:`mask_tokens` picks 15% of the real tokens; of
those, 80% become ``[MASK]``, 10% a random token, 10% stay as they are (so the
model cannot learn that only ``[MASK]`` positions matter). The loss counts the
picked positions only.

BERT also pretrained a second task, next-sentence prediction (NSP): the input is
a pair ``[CLS] A [SEP] B [SEP]`` (:func:`pack_pair`), B is the sentence that
really follows A half the time and a random sentence otherwise
(:func:`next_sentence_pairs`), a *segment* embedding tells A's tokens (0) from
B's (1), and a small head on the ``[CLS]`` state says which. Both are off by
default (``BERTConfig(n_segments=0, nsp=False)``: one sentence per sequence and
the MLM loss alone, which RoBERTa (Liu et al. 2019) found works as well or better).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .. import functional as F
from ..backend import np
from ..nn import init
from ..nn.attention import LearnedPositionalEncoding
from ..nn.layers import GELU, Dropout, Embedding, LayerNorm, Linear, Tanh
from ..nn.module import Module, Parameter
from ..tensor import Tensor, as_tensor, tensor, zeros
from .transformer import TransformerEncoder

__all__ = ["BERTConfig", "BERT", "BERTClassifier", "mask_rule", "mask_tokens", "IGNORE",
           "next_sentence_pairs", "pack_pair"]  # fmt: skip

IGNORE = -100  # the target of a position the MLM loss skips (F.cross_entropy's ignore_index)


@dataclass
class BERTConfig:
    """BERT hyperparameters. Token ids below ``num_special`` are special
    (``[PAD]=0, [CLS]=1, [SEP]=2, [MASK]=3`` by default, plus ``[UNK]`` if the
    tokenizer has one): never masked, never drawn as random replacements.

    ``n_segments``: how many segment (token type) embeddings to add to the tokens
    (2 for sentence pairs; 0, the default, adds none: one sentence per sequence).
    ``nsp``: give the encoder a next-sentence-prediction head (:meth:`BERT.nsp_logits`).
    Either adds parameters *after* the others are initialised, so a model with them
    starts from the same weights as one without, plus its own."""

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
    n_segments: int = 0
    nsp: bool = False

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


def next_sentence_pairs(documents, n: int, rng=None):
    """Draw ``n`` sentence pairs for next-sentence prediction, BERT's 50/50 rule.

    ``documents`` is a list of documents, each a list of sentences in order.
    Sentences are named by their index in the concatenation of the documents
    (``[s for doc in documents for s in doc]``). A first sentence A is drawn
    uniformly among those with a successor in their document; with probability
    1/2 the second, B, is that successor (``is_next = 1``), otherwise a uniform
    random sentence of any document that is neither A nor its successor
    (``is_next = 0``). Returns NumPy int64 arrays ``(first, second, is_next)``, each (n,).

    >>> first, second, is_next = next_sentence_pairs([["a", "b", "c"], ["d", "e"]], 6, rng=0)
    >>> bool(((second == first + 1) | (is_next == 0)).all())  # a true B is the next one
    True
    >>> sorted(set(first.tolist()) - {0, 1, 3})  # 2 ("c") and 4 ("e") end their documents
    []
    """
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    lengths = np.array([len(doc) for doc in documents], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    total = int(lengths.sum())
    # every sentence but the last of its document can be an A
    firsts = np.concatenate([s + np.arange(m - 1) for s, m in zip(starts, lengths) if m > 1]
                            or [np.zeros(0, dtype=np.int64)])  # fmt: skip
    if len(firsts) == 0 or total < 3:
        raise ValueError("next_sentence_pairs: need a document of two sentences or more and "
                         "three sentences in all, got documents of lengths "
                         f"{lengths.tolist()}")  # fmt: skip
    first = firsts[gen.integers(0, len(firsts), n)]
    is_next = (gen.random(n) < 0.5).astype(np.int64)
    # a random B: uniform over the total - 2 sentences that are neither A nor A + 1
    r = gen.integers(0, total - 2, n)
    other = r + 2 * (r >= first)  # skip over first and first + 1
    second = np.where(is_next == 1, first + 1, other)
    return first, second.astype(np.int64), is_next


def pack_pair(a, b, max_len: int, cls_id: int = 1, sep_id: int = 2):
    """``[CLS] a [SEP] b [SEP]`` and its segment ids (0 for ``[CLS]``, a and the
    first ``[SEP]``; 1 for b and the last ``[SEP]``), as two lists. Too long a pair
    loses tokens from the end of the longer sentence, one at a time, until it
    fits in ``max_len`` (BERT's rule, without its random choice of end).

    >>> pack_pair([5, 6, 7], [8, 9], max_len=7)
    ([1, 5, 6, 2, 8, 9, 2], [0, 0, 0, 0, 1, 1, 1])
    >>> pack_pair([5, 6, 7], [8, 9], max_len=6)  # a loses 7, then (a tie) b loses 9
    ([1, 5, 6, 2, 8, 2], [0, 0, 0, 0, 1, 1])
    """
    if max_len < 5:
        raise ValueError(f"pack_pair: max_len must be at least 5 ([CLS] a [SEP] b [SEP] with a "
                         f"token each), got {max_len}")  # fmt: skip
    a, b = list(a), list(b)
    while len(a) + len(b) + 3 > max_len:
        longer = a if len(a) > len(b) else b
        longer.pop()
    ids = [cls_id, *a, sep_id, *b, sep_id]
    return ids, [0] * (len(a) + 2) + [1] * (len(b) + 1)


class BERT(Module):
    """Token (+ segment) + learned position embeddings -> a bidirectional
    transformer encoder.

    ``model(ids, key_padding_mask=None, segment_ids=None)`` -> hidden states
    (B, T, d); the mask (B, T) is True on real tokens (default: ``ids != pad_id``);
    ``segment_ids`` (B, T), for a model with ``n_segments``, say which sentence of
    a pair each token is in (default: all 0, one sentence). The MLM head (dense ->
    GELU -> layer norm -> the tied embedding matrix + a bias) gives
    :meth:`mlm_logits`; :meth:`mlm_loss` masks a batch and scores it. With
    ``config.nsp``, :meth:`nsp_logits` and :meth:`mlm_nsp_loss` add BERT's
    next-sentence prediction.

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
        self._init(self.named_parameters())
        # each optional part is made and initialised after the ones before it, which it
        # leaves as they were: with or without it, those start from the same weights
        self.seg = Embedding(c.n_segments, c.d_model) if c.n_segments else None
        if self.seg is not None:
            self._init(self.seg.named_parameters())
        if c.nsp:  # BERT's pooler (dense + tanh on the [CLS] state), then a 2-way linear
            self.nsp_pool, self.nsp_act = Linear(c.d_model, c.d_model), Tanh()
            self.nsp_head = Linear(c.d_model, 2)
            self._init((n, p) for n, p in self.named_parameters() if n.startswith("nsp_"))

    @staticmethod
    def _init(named_parameters):
        for name, p in named_parameters:
            if p.ndim == 2:
                init.normal_(p, std=0.02)
            elif name.endswith("bias") and "norm" not in name and "ln" not in name:
                init.zeros_(p)

    def padding_mask(self, ids) -> Tensor:
        return as_tensor(ids.data != self.config.pad_id)

    def forward(self, ids, key_padding_mask=None, segment_ids=None):
        if key_padding_mask is None:
            key_padding_mask = self.padding_mask(ids)
        x = self.tok(ids)  # (B, T, d)
        if segment_ids is not None and self.seg is None:
            raise ValueError("BERT: segment_ids given to a model without segment embeddings; "
                             "build it with BERTConfig(n_segments=2)")  # fmt: skip
        if self.seg is not None:
            if segment_ids is None:
                segment_ids = self.tok.weight.xp.zeros(ids.shape, dtype="int64")
            x = x + self.seg(segment_ids)
        x = self.drop(self.pos(x))  # (B, T, d)
        return self.encoder(x, key_padding_mask=key_padding_mask)  # (B, T, d)

    def mlm_logits(self, hidden):
        h = self.mlm_norm(self.mlm_act(self.mlm_dense(hidden)))  # (B, T, d)
        return h @ self.tok.weight.T + self.mlm_bias  # (B, T, V)

    def nsp_logits(self, hidden):
        """(B, 2) next-sentence logits from the ``[CLS]`` state: class 1 is "B follows A"."""
        if not self.config.nsp:
            raise ValueError("BERT: this model has no next-sentence head; build it with "
                             "BERTConfig(nsp=True)")  # fmt: skip
        return self.nsp_head(self.nsp_act(self.nsp_pool(hidden[:, 0])))  # (B, d) -> (B, 2)

    def _masked_hidden(self, ids, rng, mask_prob, segment_ids):
        c = self.config
        inputs, targets = mask_tokens(ids, c.vocab_size, c.mask_id, c.num_special, rng,
                                      mask_prob, c.pad_id)  # fmt: skip
        device = self.tok.weight.device
        inputs, targets = tensor(inputs, device=device), tensor(targets, device=device)
        mask = as_tensor(ids.data != c.pad_id) if isinstance(ids, Tensor) else None
        return self(inputs, mask, segment_ids), targets

    def mlm_loss(self, ids, rng=None, mask_prob: float = 0.15, segment_ids=None) -> Tensor:
        """Mask a batch of ids (B, T) with :func:`mask_tokens` and return the
        cross-entropy of recovering the picked tokens."""
        hidden, targets = self._masked_hidden(ids, rng, mask_prob, segment_ids)
        return F.cross_entropy(self.mlm_logits(hidden), targets, ignore_index=IGNORE)

    def mlm_nsp_loss(self, ids, segment_ids, is_next, rng=None,
                     mask_prob: float = 0.15) -> tuple[Tensor, Tensor]:  # fmt: skip
        """BERT's two pretraining losses from one pass over a batch of masked pairs.

        ``ids`` and ``segment_ids`` (B, T) are packed pairs (:func:`pack_pair`),
        ``is_next`` (B,) 1 where B follows A. Returns ``(mlm, nsp)``: the MLM
        cross-entropy (as :meth:`mlm_loss`) and the cross-entropy of
        :meth:`nsp_logits` against ``is_next``; BERT minimises their sum.
        """
        hidden, targets = self._masked_hidden(ids, rng, mask_prob, segment_ids)
        mlm = F.cross_entropy(self.mlm_logits(hidden), targets, ignore_index=IGNORE)
        return mlm, F.cross_entropy(self.nsp_logits(hidden), is_next)


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
