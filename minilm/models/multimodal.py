"""Multimodal models in miniature, for :mod:`minilm.data.shapes`.

- Image encoders: :class:`ImageMLP` (flattened pixels) and :class:`ImageConv`
  (two stride-2 convolutions, ``minilm.nn.Conv2d``);
  :class:`TextEncoder`: word embeddings of a fixed-length, padded text,
  concatenated in order, through an MLP (order matters: "a red circle above a
  blue square" is not "a blue square above a red circle").
- Question answering, two ways of fusing: :class:`EarlyFusionQA` joins the raw
  inputs (pixels and one-hot question words) and runs one MLP over both;
  :class:`LateFusionQA` encodes each separately and combines the two final
  vectors (concatenation and elementwise product) in a classifier head.
- :class:`DualEncoder`: CLIP (Radford et al. 2021) in miniature: unit-length
  image and caption embeddings, cosine similarities scaled by a learned
  exp(``logit_scale``), trained with the symmetric :func:`info_nce`;
  :func:`recall_at_k` scores retrieval both ways.
- :class:`PrefixCaptioner`: the image embedding mapped to P vectors placed
  before the caption's tokens in a :class:`~minilm.models.gpt.GPT` (ClipCap,
  Mokady et al. 2021); the loss counts caption tokens only; :meth:`caption`
  decodes greedily and :func:`caption_scores` parses the text back into
  colour / shape / position.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .. import functional as F
from .. import nn
from ..backend import np
from ..data import shapes
from ..nn.module import Module, Parameter
from ..ops import concatenate
from ..tensor import no_grad, tensor
from .gpt import GPT, GPTConfig

__all__ = [
    "MultimodalConfig", "ImageMLP", "ImageConv", "image_encoder", "TextEncoder",
    "EarlyFusionQA", "LateFusionQA", "DualEncoder", "info_nce", "recall_at_k",
    "chance_recall_at_k", "PrefixCaptioner", "caption_scores",
]  # fmt: skip


@dataclass
class MultimodalConfig:
    """Sizes shared by the models here. ``encoder``: "mlp" or "conv"."""

    size: int = 24  # image side
    d: int = 64  # embedding width of each encoder
    hidden: int = 128
    encoder: str = "mlp"
    word_dim: int = 16
    prefix_len: int = 2  # P, the captioner's image vectors
    n_layer: int = 2
    n_head: int = 2
    n_embd: int = 64


class ImageMLP(Module):
    """Flattened pixels (B, 3, S, S) -> Linear -> ReLU -> Linear -> (B, d)."""

    def __init__(self, size: int, d: int, hidden: int = 128):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(3 * size * size, hidden), nn.ReLU(),
                                 nn.Linear(hidden, d))  # fmt: skip

    def forward(self, images):
        return self.net(images.reshape(images.shape[0], -1))  # (B, d)


class ImageConv(Module):
    """(B, 3, S, S) -> two 3x3 stride-2 convolutions with ReLU -> flatten -> Linear
    -> (B, d)."""

    def __init__(self, size: int, d: int, channels: int = 16):
        super().__init__()
        if size % 4:
            raise ValueError(f"ImageConv: image size must be a multiple of 4, got {size}")
        self.conv1 = nn.Conv2d(3, channels, 3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(channels, 2 * channels, 3, stride=2, padding=1)
        self.proj = nn.Linear(2 * channels * (size // 4) ** 2, d)

    def forward(self, images):
        h = self.conv1(images).relu()  # (B, c, S/2, S/2)
        h = self.conv2(h).relu()  # (B, 2c, S/4, S/4)
        return self.proj(h.reshape(h.shape[0], -1))  # (B, d)


def image_encoder(c: MultimodalConfig) -> Module:
    """The image encoder ``c.encoder`` names."""
    if c.encoder == "mlp":
        return ImageMLP(c.size, c.d, c.hidden)
    if c.encoder == "conv":
        return ImageConv(c.size, c.d)
    raise ValueError(f"image_encoder: unknown encoder {c.encoder!r}; use 'mlp' or 'conv'")


class TextEncoder(Module):
    """Word ids (B, L) -> embeddings (B, L, e), concatenated (B, L e) -> MLP -> (B, d)."""

    def __init__(self, length: int, d: int, word_dim: int = 16, hidden: int = 128,
                 vocab_size: int = len(shapes.VOCAB)):  # fmt: skip
        super().__init__()
        self.length = length
        self.embed = nn.Embedding(vocab_size, word_dim)
        self.net = nn.Sequential(nn.Linear(length * word_dim, hidden), nn.ReLU(),
                                 nn.Linear(hidden, d))  # fmt: skip

    def forward(self, ids):
        if ids.ndim != 2 or ids.shape[1] != self.length:
            raise ValueError(f"TextEncoder: ids must be (B, {self.length}), got {ids.shape}")
        e = self.embed(ids)  # (B, L, e)
        return self.net(e.reshape(e.shape[0], -1))  # (B, d)


class EarlyFusionQA(Module):
    """One MLP over [flattened pixels, one-hot question words]: logits over
    :data:`~minilm.data.shapes.ANSWERS`. ``model(images, question_ids)``."""

    def __init__(self, c: MultimodalConfig | None = None):
        super().__init__()
        c = MultimodalConfig() if c is None else c
        V, L = len(shapes.VOCAB), shapes.QUESTION_LEN
        self.net = nn.Sequential(
            nn.Linear(3 * c.size * c.size + L * V, 2 * c.hidden), nn.ReLU(),
            nn.Linear(2 * c.hidden, c.hidden), nn.ReLU(),
            nn.Linear(c.hidden, len(shapes.ANSWERS)),
        )  # fmt: skip

    def forward(self, images, question_ids):
        B = images.shape[0]
        words = F.one_hot(question_ids, len(shapes.VOCAB)).reshape(B, -1)  # (B, L V)
        return self.net(concatenate([images.reshape(B, -1), words], axis=1))  # (B, A)


class LateFusionQA(Module):
    """Image encoder and question encoder apart; their vectors u, v combined as
    [u, v, u * v] in a classifier head. ``model(images, question_ids)``.

    >>> import minilm
    >>> d = shapes.make_dataset(2)
    >>> LateFusionQA()(minilm.tensor(d.images), minilm.tensor(d.question_ids)).shape
    (2, 9)
    """

    def __init__(self, c: MultimodalConfig | None = None):
        super().__init__()
        c = MultimodalConfig() if c is None else c
        self.image = image_encoder(c)
        self.text = TextEncoder(shapes.QUESTION_LEN, c.d, c.word_dim, c.hidden)
        self.head = nn.Sequential(nn.Linear(3 * c.d, c.hidden), nn.ReLU(),
                                  nn.Linear(c.hidden, len(shapes.ANSWERS)))  # fmt: skip

    def forward(self, images, question_ids):
        u, v = self.image(images), self.text(question_ids)  # (B, d) each
        return self.head(concatenate([u, v, u * v], axis=1))  # (B, A)


def info_nce(image_emb, text_emb, logit_scale=0.0):
    """Symmetric InfoNCE (CLIP's loss): row i of each (B, d) batch is a matching
    pair. With logits = exp(logit_scale) * image_emb @ text_emb.T (B, B), the mean
    of the cross-entropy of each row against its diagonal (image -> text) and of
    each column (text -> image). ``logit_scale`` may be a Tensor (learned).

    >>> import minilm
    >>> e = minilm.tensor([[1.0, 0.0], [0.0, 1.0]])
    >>> round(info_nce(e, e).item(), 4)  # log(1 + e^-1)
    0.3133
    """
    if image_emb.ndim != 2 or image_emb.shape != text_emb.shape:
        raise ValueError(f"info_nce: need two (B, d) batches of one shape, got "
                         f"{image_emb.shape} and {text_emb.shape}")  # fmt: skip
    scale = logit_scale.exp() if hasattr(logit_scale, "exp") else math.exp(logit_scale)
    logits = (image_emb @ text_emb.T) * scale  # (B, B): rows images, columns texts
    targets = tensor(np.arange(image_emb.shape[0]), device=image_emb.device)
    return (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2


def _unit(x, eps: float = 1e-8):
    return x / ((x * x).sum(axis=-1, keepdims=True) + eps).sqrt()  # rows of length 1


class DualEncoder(Module):
    """CLIP in miniature: :meth:`embed_images` and :meth:`embed_texts` give unit
    vectors (B, d); ``model.loss(images, caption_ids)`` is :func:`info_nce` with
    the learned ``logit_scale`` (initial temperature 0.07, and the scale held at
    most 100, as CLIP does, so that the logits cannot grow without bound)."""

    MAX_LOGIT_SCALE = math.log(100.0)

    def __init__(self, c: MultimodalConfig | None = None):
        super().__init__()
        c = MultimodalConfig() if c is None else c
        self.image = image_encoder(c)
        self.text = TextEncoder(shapes.CAPTION_LEN, c.d, c.word_dim, c.hidden)
        self.logit_scale = Parameter(tensor(math.log(1 / 0.07)))

    def embed_images(self, images):
        return _unit(self.image(images))

    def embed_texts(self, caption_ids):
        return _unit(self.text(caption_ids))

    def loss(self, images, caption_ids):
        scale = self.logit_scale.clip(None, self.MAX_LOGIT_SCALE)
        return info_nce(self.embed_images(images), self.embed_texts(caption_ids), scale)


def recall_at_k(sim, row_keys, col_keys, k: int) -> float:
    """Share of rows of ``sim`` (N, M) whose k highest columns include a match: a
    column whose key equals the row's (keys, e.g. caption texts, make equal
    captions count as the same answer).

    >>> recall_at_k(np.array([[0.9, 0.1], [0.8, 0.2]]), ["a", "b"], ["a", "b"], 1)
    0.5
    """
    sim = np.asarray(sim)
    if sim.ndim != 2 or sim.shape != (len(row_keys), len(col_keys)):
        raise ValueError(f"recall_at_k: sim must be (len(row_keys), len(col_keys)) = "
                         f"({len(row_keys)}, {len(col_keys)}), got {sim.shape}")  # fmt: skip
    if not 1 <= k <= sim.shape[1]:
        raise ValueError(f"recall_at_k: k must be in [1, {sim.shape[1]}], got {k}")
    top = np.argsort(-sim, axis=1, kind="stable")[:, :k]  # (N, k); ties: the lower column first
    cols = np.asarray(col_keys, dtype=object)
    hits = [row_keys[i] in set(cols[top[i]]) for i in range(sim.shape[0])]
    return float(np.mean(hits))


def chance_recall_at_k(row_keys, col_keys, k: int) -> float:
    """:func:`recall_at_k` of a random ranking: with m matches among M columns,
    1 - C(M - m, k) / C(M, k), averaged over the rows.

    >>> chance_recall_at_k(["a", "b", "c", "d"], ["a", "b", "c", "d"], 1)
    0.25
    """
    M = len(col_keys)
    counts = {}
    for key in col_keys:
        counts[key] = counts.get(key, 0) + 1
    return float(np.mean([1 - math.comb(M - counts.get(r, 0), k) / math.comb(M, k)
                          for r in row_keys]))  # fmt: skip


class PrefixCaptioner(Module):
    """Image -> P prefix vectors -> GPT over <bos> + caption words.

    ``model.loss(images, caption_ids)``: next-word cross-entropy on the caption
    tokens only (the prefix has no targets; <pad> targets are ignored).
    ``model.caption(images)``: greedy captions, as text.

    >>> import minilm
    >>> d = shapes.make_dataset(2)
    >>> model = PrefixCaptioner()
    >>> model(minilm.tensor(d.images), minilm.tensor(d.caption_ids[:, :-1])).shape
    (2, 9, 27)
    >>> len(model.caption(minilm.tensor(d.images)))
    2
    """

    def __init__(self, c: MultimodalConfig | None = None):
        super().__init__()
        c = MultimodalConfig() if c is None else c
        self.P, self.n_embd = c.prefix_len, c.n_embd
        self.image = image_encoder(c)
        self.to_prefix = nn.Linear(c.d, c.prefix_len * c.n_embd)
        self.gpt = GPT(GPTConfig(vocab_size=len(shapes.VOCAB),
                                 block_size=c.prefix_len + shapes.CAPTION_LEN,
                                 n_layer=c.n_layer, n_head=c.n_head, n_embd=c.n_embd))  # fmt: skip

    def prefix(self, images):
        """The P vectors (B, P, n_embd) that stand for each image."""
        h = self.to_prefix(self.image(images))  # (B, P C)
        return h.reshape(images.shape[0], self.P, self.n_embd)  # (B, P, C)

    def forward(self, images, ids):
        """Logits (B, T, V) of the word after each of ``ids`` (B, T)."""
        return self.gpt(ids, prefix=self.prefix(images))

    def loss(self, images, caption_ids):
        """Mean cross-entropy of each caption word and <eos> after the prefix,
        <bos> and the words before it (teacher forcing)."""
        ids = caption_ids if hasattr(caption_ids, "data") else tensor(caption_ids)
        logits = self(images, ids[:, :-1])  # (B, T - 1, V)
        return F.cross_entropy(logits, ids[:, 1:], ignore_index=shapes.VOCAB.index(shapes.PAD))

    def caption(self, images, max_words: int = shapes.CAPTION_LEN - 1) -> list[str]:
        """Greedy captions for ``images`` (B, 3, S, S), all rows decoded together:
        the prefix and <bos> go through the GPT once, then one word per step
        through its KV caches; it stops when every row has said <eos>."""
        eos = shapes.VOCAB.index(shapes.EOS)
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                caches = self.gpt.new_caches()
                ids = np.full((images.shape[0], 1), shapes.VOCAB.index(shapes.BOS))
                logits = self.gpt(tensor(ids, device=images.device), caches=caches,
                                  prefix=self.prefix(images))  # fmt: skip
                for step in range(max_words):
                    nxt = logits[:, -1].numpy().argmax(axis=-1)  # (B,)
                    ids = np.concatenate([ids, nxt[:, None]], axis=1)  # (B, step + 2)
                    if step == max_words - 1 or (ids == eos).any(axis=1).all():
                        break
                    logits = self.gpt(tensor(nxt[:, None], device=images.device), caches=caches)
        finally:
            self.train(was_training)
        return [shapes.decode(row[1:]) for row in ids]


def caption_scores(generated, scenes) -> dict:
    """How well captions describe scenes: ``exact`` (the caption the grammar
    gives), ``parsed`` (follows the grammar), ``count`` (names as many objects),
    and ``colour`` / ``shape`` / ``position``: the share of true objects whose
    attribute the caption names for the same object (the k-th it names against
    the k-th of the true caption: top or left first).

    >>> scene = [shapes.Obj("red", "circle", "top"), shapes.Obj("blue", "square", "bottom")]
    >>> s = caption_scores(["a red square above a blue square"], [scene])
    >>> s["exact"], s["colour"], s["shape"], s["position"]
    (0.0, 1.0, 0.5, 1.0)
    """
    if len(generated) != len(scenes) or not scenes:
        raise ValueError(f"caption_scores: need one caption per scene (and some), got "
                         f"{len(generated)} captions for {len(scenes)} scenes")  # fmt: skip
    n_obj = sum(len(s) for s in scenes)
    score = {"exact": 0, "parsed": 0, "count": 0, "colour": 0, "shape": 0, "position": 0}
    for text, scene in zip(generated, scenes):
        truth = shapes.caption(scene)
        got, want = shapes.parse_caption(text), shapes.parse_caption(truth)
        score["exact"] += text == truth
        score["parsed"] += bool(got)
        score["count"] += len(got) == len(want)
        for (c, s, p), (tc, ts, tp) in zip(got, want):
            score["colour"] += c == tc
            score["shape"] += s == ts
            score["position"] += p == tp
    n = len(scenes)
    return {key: v / (n if key in ("exact", "parsed", "count") else n_obj)
            for key, v in score.items()}  # fmt: skip
