"""Attention layers: additive (Bahdanau), dot/general (Luong), multi-head
attention with a KV cache, and positional encodings (sinusoidal and learned).

Masks follow minilm's (and PyTorch's) boolean convention everywhere: **True
where a query may attend to a key**. A padding mask over keys has shape (B, S)
and is True on real tokens.

The attention *function* itself, ``softmax(q k^T / sqrt(d)) v``, lives once in
:func:`minilm.functional.scaled_dot_product_attention`; the modules here project
their inputs and call it.
"""

from __future__ import annotations

import math

from .. import functional as F
from ..backend import np
from ..functional import mask_array
from ..tensor import Tensor, as_tensor
from .layers import Dropout, Embedding, Linear
from .module import Module

__all__ = [
    "masked_softmax",
    "AdditiveAttention",
    "DotAttention",
    "KVCache",
    "MultiHeadAttention",
    "sinusoidal_positions",
    "SinusoidalPositionalEncoding",
    "LearnedPositionalEncoding",
]


def masked_softmax(scores: Tensor, mask=None, axis: int = -1) -> Tensor:
    """Softmax of ``scores`` over ``axis`` with the entries where ``mask`` is False
    removed (they get weight exactly 0). ``mask`` broadcasts to ``scores``.

    >>> import minilm
    >>> w = masked_softmax(minilm.tensor([1.0, 2.0, 3.0]), [True, True, False])
    >>> [round(v, 4) for v in w.tolist()]
    [0.2689, 0.7311, 0.0]
    """
    return F.softmax(scores, axis=axis, mask=mask)


def _padding_mask_3d(mask, like: Tensor):
    """A key padding mask (B, S) as (B, 1, S), to broadcast over T queries."""
    if mask is None:
        return None
    m = mask_array(mask, like)
    return m[:, None, :] if m.ndim == 2 else m


def _as_queries(query: Tensor) -> tuple[Tensor, bool]:
    """Accept one query per batch row (B, d) or T of them (B, T, d)."""
    return (query.expand_dims(1), True) if query.ndim == 2 else (query, False)


class AdditiveAttention(Module):
    """Bahdanau attention: ``score(q, k) = v . tanh(q W_q + k W_k)``.

    ``forward(query, keys, values=None, mask=None)`` with query (B, d_q) or
    (B, T, d_q), keys (B, S, d_k), values (B, S, d_v) (default: the keys) and a
    key padding mask (B, S). Returns ``(context, weights)``: context (B, d_v) or
    (B, T, d_v), weights (B, S) or (B, T, S), each row summing to 1.

    >>> import minilm
    >>> attn = AdditiveAttention(query_dim=4, key_dim=6, hidden_dim=8)
    >>> ctx, w = attn(minilm.randn(2, 4), minilm.randn(2, 5, 6))
    >>> ctx.shape, w.shape
    ((2, 6), (2, 5))
    """

    def __init__(self, query_dim: int, key_dim: int, hidden_dim: int):
        super().__init__()
        self.W_q = Linear(query_dim, hidden_dim, bias=False)
        self.W_k = Linear(key_dim, hidden_dim)
        self.v = Linear(hidden_dim, 1, bias=False)

    def forward(self, query, keys, values=None, mask=None):
        values = keys if values is None else values
        q, single = _as_queries(query)  # (B, T, d_q)
        hq = self.W_q(q).expand_dims(2)  # (B, T, 1, h)
        hk = self.W_k(keys).expand_dims(1)  # (B, 1, S, h)
        scores = self.v((hq + hk).tanh()).squeeze(-1)  # (B, T, S)
        weights = masked_softmax(scores, _padding_mask_3d(mask, scores))  # (B, T, S)
        context = weights @ values  # (B, T, d_v)
        if single:
            return context.squeeze(1), weights.squeeze(1)
        return context, weights


class DotAttention(Module):
    """Luong's multiplicative attention: ``score(q, k) = q . k`` ("dot") or
    ``q W k`` ("general", with ``query_dim`` and ``key_dim`` given);
    ``scaled=True`` divides by sqrt(d) as the transformer does.

    Same call and returns as :class:`AdditiveAttention`.

    >>> import minilm
    >>> attn = DotAttention()
    >>> ctx, w = attn(minilm.randn(2, 3, 4), minilm.randn(2, 5, 4))
    >>> ctx.shape, w.shape
    ((2, 3, 4), (2, 3, 5))
    """

    def __init__(self, query_dim: int | None = None, key_dim: int | None = None,
                 scaled: bool = False):  # fmt: skip
        super().__init__()
        self.W = None
        if query_dim is not None or key_dim is not None:
            if query_dim is None or key_dim is None:
                raise ValueError("DotAttention: 'general' scoring needs both query_dim and key_dim")
            self.W = Linear(query_dim, key_dim, bias=False)
        self.scaled = scaled

    def forward(self, query, keys, values=None, mask=None):
        values = keys if values is None else values
        q, single = _as_queries(query)  # (B, T, d)
        if self.W is not None:
            q = self.W(q)  # (B, T, d_k)
        if not self.scaled:  # F's attention divides by sqrt(d): undo it for Luong's plain dot
            q = q * math.sqrt(q.shape[-1])
        context, weights = F.scaled_dot_product_attention(
            q, keys, values, mask=_padding_mask_3d(mask, q), return_weights=True
        )  # (B, T, d_v), (B, T, S)
        if single:
            return context.squeeze(1), weights.squeeze(1)
        return context, weights


class KVCache:
    """The keys and values one attention layer has already computed, so that
    generating token t+1 costs one new row instead of recomputing all t.

    ``append(k, v)`` adds (B, H, T_new, hd) keys and values and returns all of
    them so far. Use one cache per layer, and only under ``no_grad``.

    >>> import minilm
    >>> cache = KVCache()
    >>> k, v = cache.append(minilm.zeros(1, 2, 3, 4), minilm.zeros(1, 2, 3, 4))
    >>> cache.length, k.shape
    (3, (1, 2, 3, 4))
    """

    def __init__(self):
        self.k: Tensor | None = None
        self.v: Tensor | None = None

    @property
    def length(self) -> int:
        return 0 if self.k is None else self.k.shape[-2]

    def append(self, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        if self.k is None:
            self.k, self.v = k.detach(), v.detach()
        else:
            self.k = as_tensor(k.xp.concatenate([self.k.data, k.data], axis=-2))
            self.v = as_tensor(v.xp.concatenate([self.v.data, v.data], axis=-2))
        return self.k, self.v

    def copy(self) -> KVCache:
        """A cache that shares the arrays so far; appending to either leaves the
        other as it was (appends make new arrays), so beam search can branch."""
        c = KVCache()
        c.k, c.v = self.k, self.v
        return c

    def reset(self) -> None:
        self.k = self.v = None


class MultiHeadAttention(Module):
    """Multi-head attention: project to H heads of size d/H, attend in each, join.

    ``forward(x, context=None, mask=None, key_padding_mask=None, causal=False,
    cache=None, return_weights=False)``:

    - self-attention over x (B, T, d) by default; with ``cross=True`` the keys
      and values come from ``context`` (B, S, d) (the encoder's output).
    - ``mask``: boolean, broadcastable to (B, H, T, S), True where allowed;
      ``key_padding_mask`` (B, S): True on real keys; ``causal``: no peeking ahead.
    - ``cache``: a :class:`KVCache`; the new keys and values are appended and the
      queries attend to everything cached (self-attention only, under no_grad).

    One (d, 3d) projection makes q, k and v for self-attention in a single
    matmul; cross-attention has a (d, d) query and a (d, 2d) key-value projection.

    >>> import minilm
    >>> mha = MultiHeadAttention(d_model=8, num_heads=2)
    >>> mha(minilm.randn(3, 5, 8), causal=True).shape
    (3, 5, 8)
    """

    def __init__(self, d_model: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 cross: bool = False):  # fmt: skip
        super().__init__()
        if d_model % num_heads:
            raise ValueError(
                f"MultiHeadAttention: d_model={d_model} must be divisible by num_heads={num_heads}"
            )
        self.d_model, self.num_heads, self.cross = d_model, num_heads, cross
        self.head_dim = d_model // num_heads
        if cross:
            self.q_proj = Linear(d_model, d_model, bias=bias)
            self.kv_proj = Linear(d_model, 2 * d_model, bias=bias)
        else:
            self.qkv_proj = Linear(d_model, 3 * d_model, bias=bias)
        self.out_proj = Linear(d_model, d_model, bias=bias)
        self.attn_dropout = Dropout(dropout)
        self.resid_dropout = Dropout(dropout)

    def split_heads(self, x: Tensor) -> Tensor:
        """(B, T, d) -> (B, H, T, d/H)."""
        B, T, _ = x.shape
        return x.reshape(B, T, self.num_heads, self.head_dim).transpose((0, 2, 1, 3))

    def merge_heads(self, x: Tensor) -> Tensor:
        """(B, H, T, d/H) -> (B, T, d)."""
        B, H, T, hd = x.shape
        return x.transpose((0, 2, 1, 3)).reshape(B, T, H * hd)

    def _project(self, x, context):
        """q, k, v, each (B, T|S, H*hd), from one fused projection. H*hd is d_model
        unless heads were removed (:func:`minilm.prune.prune_heads`)."""
        if x.ndim != 3 or x.shape[-1] != self.d_model:
            raise ValueError(
                f"MultiHeadAttention: input must be (B, T, {self.d_model}), got {x.shape}"
            )
        d = self.num_heads * self.head_dim
        if self.cross:
            if context is None:
                raise ValueError("MultiHeadAttention(cross=True) needs a context (B, S, d)")
            kv = self.kv_proj(context)  # (B, S, 2 H*hd)
            return self.q_proj(x), kv[..., :d], kv[..., d:]
        if context is not None:
            raise ValueError("self-attention takes no context; build it with cross=True")
        qkv = self.qkv_proj(x)  # (B, T, 3 H*hd)
        return qkv[..., :d], qkv[..., d : 2 * d], qkv[..., 2 * d :]

    def forward(self, x, context=None, mask=None, key_padding_mask=None, causal=False,
                cache=None, return_weights=False):  # fmt: skip
        q, k, v = (self.split_heads(t) for t in self._project(x, context))  # (B, H, T|S, hd)
        if cache is not None:
            if self.cross:
                raise ValueError("a KVCache is for self-attention; cache the context's k, v once")
            k, v = cache.append(k, v)  # (B, H, S_cached + T, hd): every key so far
        allowed = _allowed(mask, key_padding_mask, q)  # broadcasts to (B, H, T, S)
        p = self.attn_dropout.p if self.training else 0.0
        out, weights = F.scaled_dot_product_attention(
            q, k, v, mask=allowed, causal=causal, return_weights=True, dropout_p=p
        )  # (B, H, T, hd), (B, H, T, S)
        y = self.resid_dropout(self.out_proj(self.merge_heads(out)))  # (B, T, d)
        return (y, weights) if return_weights else y


def _allowed(mask, key_padding_mask, like):
    """One boolean mask from a general ``mask`` and a key padding mask (B, S)."""
    allowed = None if mask is None else mask_array(mask, like)
    if key_padding_mask is not None:
        pad = mask_array(key_padding_mask, like)[:, None, None, :]  # (B, 1, 1, S)
        allowed = pad if allowed is None else allowed & pad
    return allowed


# ---- positional encodings ----


def sinusoidal_positions(num_positions: int, d_model: int, base: float = 10000.0):
    """The (num_positions, d_model) table of Vaswani et al. (2017):
    ``P[p, 2i] = sin(p / base^(2i/d))``, ``P[p, 2i+1] = cos(p / base^(2i/d))``.

    A NumPy array (float32). Each pair of columns is a rotation at its own
    frequency, so ``P[p + k]`` is a fixed linear function of ``P[p]``.

    >>> P = sinusoidal_positions(4, 6)
    >>> P.shape, float(P[0, 0]), float(P[0, 1])
    ((4, 6), 0.0, 1.0)
    """
    pos = np.arange(num_positions, dtype=np.float64)[:, None]  # (P, 1)
    i = np.arange(0, d_model, 2, dtype=np.float64)[None, :]  # (1, ceil(d/2))
    angle = pos / base ** (i / d_model)  # (P, ceil(d/2))
    P = np.zeros((num_positions, d_model))
    P[:, 0::2] = np.sin(angle)
    P[:, 1::2] = np.cos(angle[:, : d_model // 2])
    return P.astype(np.float32)


def _check_span(name, offset, T, max_len):
    if offset < 0 or offset + T > max_len:
        raise ValueError(
            f"{name}: positions {offset}..{offset + T - 1} are past max_len={max_len}; "
            "build it with a larger max_len or feed shorter sequences"
        )


class SinusoidalPositionalEncoding(Module):
    """Add the fixed sinusoidal table to x (B, T, d); ``offset`` is the position
    of x's first token (for cached generation). Nothing to learn.

    >>> import minilm
    >>> pe = SinusoidalPositionalEncoding(8, max_len=16)
    >>> pe(minilm.zeros(2, 5, 8)).shape
    (2, 5, 8)
    """

    def __init__(self, d_model: int, max_len: int = 4096):
        super().__init__()
        self.max_len = max_len
        self.register_buffer("table", as_tensor(sinusoidal_positions(max_len, d_model)))

    def forward(self, x, offset: int = 0):
        T = x.shape[-2]
        _check_span("SinusoidalPositionalEncoding", offset, T, self.max_len)
        return x + self.table[offset : offset + T]  # (B, T, d)


class LearnedPositionalEncoding(Module):
    """Add a learned vector per position (GPT-2's ``wpe``) to x (B, T, d).

    >>> import minilm
    >>> pe = LearnedPositionalEncoding(8, max_len=16)
    >>> pe(minilm.zeros(2, 5, 8), offset=3).shape
    (2, 5, 8)
    """

    def __init__(self, d_model: int, max_len: int):
        super().__init__()
        self.max_len = max_len
        self.embedding = Embedding(max_len, d_model)

    def forward(self, x, offset: int = 0):
        T = x.shape[-2]
        _check_span("LearnedPositionalEncoding", offset, T, self.max_len)
        return x + self.embedding.weight[offset : offset + T]  # (B, T, d)
