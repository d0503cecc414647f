"""The transformer (Vaswani et al. 2017), pre-norm as in GPT-2: blocks, the
encoder, the decoder, and the encoder-decoder model for translation.

A block is two residual lines::

    x = x + attention(norm(x))      # tokens look at each other
    x = x + feed_forward(norm(x))   # each token thinks on its own

A decoder block adds a third, cross-attention to the encoder's output, between
them. Normalizing *before* each sublayer (pre-norm) keeps the residual stream
an untouched sum, which trains stably without warmup tricks at these sizes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..backend import np
from ..nn import init
from ..nn.attention import (
    LearnedPositionalEncoding,
    MultiHeadAttention,
    SinusoidalPositionalEncoding,
)
from ..nn.layers import GELU, Dropout, Embedding, LayerNorm, Linear
from ..nn.module import Module, ModuleList
from ..tensor import Tensor, as_tensor, no_grad, tensor
from .seq2seq import cut_at_eos, emittable

__all__ = [
    "FeedForward",
    "TransformerBlock",
    "TransformerEncoder",
    "TransformerDecoder",
    "TransformerConfig",
    "Transformer",
]


class FeedForward(Module):
    """The position-wise MLP: ``Linear(d, d_ff) -> GELU -> Linear(d_ff, d) -> dropout``.

    >>> import minilm
    >>> FeedForward(8, 32)(minilm.randn(2, 3, 8)).shape
    (2, 3, 8)
    """

    def __init__(self, d_model: int, d_ff: int, dropout: float = 0.0, bias: bool = True,
                 approximate: str = "tanh"):  # fmt: skip
        super().__init__()
        self.fc = Linear(d_model, d_ff, bias=bias)
        self.act = GELU(approximate)
        self.proj = Linear(d_ff, d_model, bias=bias)
        self.dropout = Dropout(dropout)

    def forward(self, x):
        return self.dropout(self.proj(self.act(self.fc(x))))  # (B, T, d)


class TransformerBlock(Module):
    """One pre-norm block: self-attention, optional cross-attention, feed-forward,
    each as ``x + sublayer(norm(x))``.

    ``forward(x, context=None, causal=False, key_padding_mask=None,
    context_padding_mask=None, cache=None)``. An encoder block is
    ``TransformerBlock(d, h)``; a decoder block is ``TransformerBlock(d, h,
    cross=True)`` called with ``causal=True`` and the encoder output as
    ``context``; a GPT block is an encoder block called with ``causal=True``.

    >>> import minilm
    >>> block = TransformerBlock(8, 2)
    >>> block(minilm.randn(2, 5, 8), causal=True).shape
    (2, 5, 8)
    """

    def __init__(self, d_model: int, num_heads: int, d_ff: int | None = None,
                 dropout: float = 0.0, bias: bool = True, cross: bool = False):  # fmt: skip
        super().__init__()
        self.ln_1 = LayerNorm(d_model, bias=bias)
        self.attn = MultiHeadAttention(d_model, num_heads, dropout, bias)
        self.ln_cross = self.cross_attn = None
        if cross:
            self.ln_cross = LayerNorm(d_model, bias=bias)
            self.cross_attn = MultiHeadAttention(d_model, num_heads, dropout, bias, cross=True)
        self.ln_2 = LayerNorm(d_model, bias=bias)
        self.ff = FeedForward(d_model, d_ff or 4 * d_model, dropout, bias)

    def forward(self, x, context=None, causal=False, key_padding_mask=None,
                context_padding_mask=None, cache=None):  # fmt: skip
        x = x + self.attn(self.ln_1(x), causal=causal, key_padding_mask=key_padding_mask,
                          cache=cache)  # fmt: skip
        if self.cross_attn is not None:
            x = x + self.cross_attn(
                self.ln_cross(x), context, key_padding_mask=context_padding_mask
            )
        return x + self.ff(self.ln_2(x))  # (B, T, d)


class TransformerEncoder(Module):
    """A stack of blocks over embedded tokens, with a final layer norm.

    ``forward(x, key_padding_mask=None)``: x (B, S, d), mask (B, S) True on real
    tokens. Every position attends to every real position (no causal mask).
    """

    def __init__(self, num_layers: int, d_model: int, num_heads: int,
                 d_ff: int | None = None, dropout: float = 0.0):  # fmt: skip
        super().__init__()
        self.layers = ModuleList(
            [TransformerBlock(d_model, num_heads, d_ff, dropout) for _ in range(num_layers)]
        )
        self.ln_f = LayerNorm(d_model)

    def forward(self, x, key_padding_mask=None):
        for layer in self.layers:
            x = layer(x, key_padding_mask=key_padding_mask)
        return self.ln_f(x)  # (B, S, d)


class TransformerDecoder(Module):
    """Causal blocks with cross-attention to an encoder's output ``memory``.

    ``forward(y, memory, memory_padding_mask=None)``: y (B, T, d) embedded target
    prefix, memory (B, S, d).
    """

    def __init__(self, num_layers: int, d_model: int, num_heads: int,
                 d_ff: int | None = None, dropout: float = 0.0):  # fmt: skip
        super().__init__()
        self.layers = ModuleList(
            [
                TransformerBlock(d_model, num_heads, d_ff, dropout, cross=True)
                for _ in range(num_layers)
            ]
        )
        self.ln_f = LayerNorm(d_model)

    def forward(self, y, memory, memory_padding_mask=None):
        for layer in self.layers:
            y = layer(y, context=memory, causal=True, context_padding_mask=memory_padding_mask)
        return self.ln_f(y)  # (B, T, d)


@dataclass
class TransformerConfig:
    """Hyperparameters of the encoder-decoder :class:`Transformer`."""

    src_vocab_size: int
    tgt_vocab_size: int
    d_model: int = 128
    num_heads: int = 4
    num_encoder_layers: int = 2
    num_decoder_layers: int = 2
    d_ff: int | None = None  # default 4 * d_model
    dropout: float = 0.1
    max_len: int = 64
    positional: str = "sinusoidal"  # or "learned"
    pad_id: int = 0
    bos_id: int = 1
    eos_id: int = 2
    tie_weights: bool = True  # the target embedding is the output layer


def _positional(kind: str, d_model: int, max_len: int) -> Module:
    if kind == "sinusoidal":
        return SinusoidalPositionalEncoding(d_model, max_len)
    if kind == "learned":
        pe = LearnedPositionalEncoding(d_model, max_len)
        init.normal_(pe.embedding.weight, std=0.02)
        return pe
    raise ValueError(f"positional must be 'sinusoidal' or 'learned', got {kind!r}")


class Transformer(Module):
    """The encoder-decoder transformer for sequence-to-sequence tasks.

    ``forward(src, tgt_in, src_mask=None)`` -> logits (B, T, V_tgt): src (B, S)
    token ids, tgt_in (B, T) the target shifted right (starting with BOS), the
    mask (B, S) True on real source tokens (default: ``src != pad_id``).
    Train with ``cross_entropy(logits, tgt_out, ignore_index=pad_id)``;
    translate with :meth:`greedy_decode`.

    >>> import minilm
    >>> cfg = TransformerConfig(src_vocab_size=11, tgt_vocab_size=13, d_model=16,
    ...                         num_heads=2, num_encoder_layers=1, num_decoder_layers=1)
    >>> model = Transformer(cfg)
    >>> src, tgt = minilm.tensor([[3, 4, 5, 0]]), minilm.tensor([[1, 6, 7]])
    >>> model(src, tgt).shape
    (1, 3, 13)
    """

    def __init__(self, config: TransformerConfig):
        super().__init__()
        c = self.config = config
        self.src_embed = Embedding(c.src_vocab_size, c.d_model)
        self.tgt_embed = Embedding(c.tgt_vocab_size, c.d_model)
        for emb in (self.src_embed, self.tgt_embed):
            init.normal_(emb.weight, std=c.d_model**-0.5)
        self.src_pos = _positional(c.positional, c.d_model, c.max_len)
        self.tgt_pos = _positional(c.positional, c.d_model, c.max_len)
        self.dropout = Dropout(c.dropout)
        self.encoder = TransformerEncoder(c.num_encoder_layers, c.d_model, c.num_heads, c.d_ff,
                                          c.dropout)  # fmt: skip
        self.decoder = TransformerDecoder(c.num_decoder_layers, c.d_model, c.num_heads, c.d_ff,
                                          c.dropout)  # fmt: skip
        self.head = None if c.tie_weights else Linear(c.d_model, c.tgt_vocab_size, bias=False)

    def _embed(self, ids, table, pos):
        # scale by sqrt(d) so the embedding is not drowned by the positional signal
        x = table(ids) * math.sqrt(self.config.d_model)  # (B, T, d)
        return self.dropout(pos(x))

    def src_padding_mask(self, src) -> Tensor:
        """(B, S) True on real source tokens."""
        return as_tensor(src.data != self.config.pad_id)

    def encode(self, src, src_mask=None):
        """(memory (B, S, d), src_mask (B, S))."""
        src_mask = self.src_padding_mask(src) if src_mask is None else src_mask
        return self.encoder(self._embed(src, self.src_embed, self.src_pos), src_mask), src_mask

    def decode(self, tgt_in, memory, src_mask):
        """Logits (B, T, V) for each target prefix position."""
        y = self.decoder(self._embed(tgt_in, self.tgt_embed, self.tgt_pos), memory, src_mask)
        if self.head is not None:
            return self.head(y)
        return y @ self.tgt_embed.weight.T  # (B, T, V): weight tying

    def forward(self, src, tgt_in, src_mask=None):
        memory, src_mask = self.encode(src, src_mask)
        return self.decode(tgt_in, memory, src_mask)

    def greedy_decode(self, src, max_len: int | None = None, src_mask=None) -> list[list[int]]:
        """Translate a batch greedily: at each step take the most likely token.
        Returns one list of target ids per source row, without BOS and EOS.

        Recomputes the decoder over the whole prefix each step: short sentences
        make that cheap, and it keeps the code to one forward.
        """
        c = self.config
        max_len = min(max_len or c.max_len, c.max_len)
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                memory, src_mask = self.encode(src, src_mask)
                B = src.shape[0]
                out = np.full((B, 1), c.bos_id, dtype=np.int64)
                done = np.zeros(B, dtype=bool)
                for _ in range(max_len - 1):
                    logits = self.decode(tensor(out, device=src.device), memory, src_mask)
                    nxt = emittable(logits[:, -1].numpy(), c).argmax(-1)  # (B,)
                    nxt = np.where(done, c.pad_id, nxt)
                    out = np.concatenate([out, nxt[:, None]], axis=1)
                    done |= nxt == c.eos_id
                    if done.all():
                        break
        finally:
            self.train(was_training)
        return [cut_at_eos(row[1:], c.eos_id) for row in out.tolist()]  # pads only follow EOS
