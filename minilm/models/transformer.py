"""The transformer (Vaswani et al. 2017), pre-norm as in GPT-2: blocks, the
encoder, the decoder, and the encoder-decoder model for translation.

A block is two residual lines::

    x = x + attention(norm(x))      # tokens look at each other
    x = x + feed_forward(norm(x))   # each token thinks on its own

A decoder block adds a third, cross-attention to the encoder's output, between
them. Normalizing *before* each sublayer (pre-norm) keeps the residual stream
an untouched sum, which trains stably without warmup tricks at these sizes.

The encoder-decoder translates greedily (:meth:`Transformer.greedy_decode`) or
by beam search (:meth:`Transformer.beam_search`, which runs
:func:`minilm.generate.beam_search` over the decoder with a KV cache).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .. import generate
from ..backend import np
from ..generate import Hypothesis
from ..nn import init
from ..nn.attention import (
    KVCache,
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

    ``forward(y, memory, memory_padding_mask=None, caches=None)``: y (B, T, d)
    embedded target prefix, memory (B, S, d). With ``caches`` (one
    :class:`~minilm.nn.attention.KVCache` per layer), y continues the positions
    already cached and each layer's self-attention keys and values are appended.
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

    def forward(self, y, memory, memory_padding_mask=None, caches=None):
        for i, layer in enumerate(self.layers):
            y = layer(y, context=memory, causal=True, context_padding_mask=memory_padding_mask,
                      cache=None if caches is None else caches[i])  # fmt: skip
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
    translate with :meth:`greedy_decode` or :meth:`beam_search`.

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

    def _embed(self, ids, table, pos, offset: int = 0):
        # scale by sqrt(d) so the embedding is not drowned by the positional signal
        x = table(ids) * math.sqrt(self.config.d_model)  # (B, T, d)
        return self.dropout(pos(x, offset=offset))

    def src_padding_mask(self, src) -> Tensor:
        """(B, S) True on real source tokens."""
        return as_tensor(src.data != self.config.pad_id)

    def encode(self, src, src_mask=None):
        """(memory (B, S, d), src_mask (B, S))."""
        src_mask = self.src_padding_mask(src) if src_mask is None else src_mask
        return self.encoder(self._embed(src, self.src_embed, self.src_pos), src_mask), src_mask

    def new_caches(self) -> list[KVCache]:
        """One empty KV cache per decoder layer, for :meth:`decode` with ``caches``."""
        return [KVCache() for _ in self.decoder.layers]

    def decode(self, tgt_in, memory, src_mask, caches=None):
        """Logits (B, T, V) for each target prefix position.

        With ``caches`` (from :meth:`new_caches`), ``tgt_in`` continues the target
        tokens already cached: its positions start at the cache length and the
        caches grow by T. Use under ``no_grad``.
        """
        offset = 0 if caches is None else caches[0].length
        y = self._embed(tgt_in, self.tgt_embed, self.tgt_pos, offset)
        y = self.decoder(y, memory, src_mask, caches)
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

    def beam_search(self, src, beam_size: int = 4, max_len: int | None = None,
                    length_penalty: float = 1.0, src_mask=None,
                    early_stopping: bool = True) -> list[list[Hypothesis]]:  # fmt: skip
        """Beam search for each source row (B, S): per row, its finished hypotheses
        (:class:`~minilm.generate.Hypothesis`: tokens, logprob, score), best first.

        The batch is encoded once; then each row is searched on its own by
        :func:`minilm.generate.beam_search`, which keeps the ``beam_size`` most
        likely prefixes at every step. A step runs the decoder once for all of
        a row's live hypotheses and feeds it only their newest tokens: the
        state of a hypothesis is its row of the per-layer KV caches (the
        cross-attention to the memory is recomputed).

        - Lengths: ``max_len`` counts target positions with BOS, as in
          :meth:`greedy_decode`, so at most ``max_len - 1`` tokens are generated.
        - EOS: a hypothesis that emits it is finished and leaves the beam; its
          tokens end with EOS, which counts in its length. Those still live
          after ``max_len - 1`` tokens finish there, without EOS.
        - Scores: ``logprob`` is the sum of the tokens' log-probabilities, under
          the decoder's softmax over the tokens it may emit (PAD and BOS are
          left out, as in greedy decoding); hypotheses are ranked by
          ``score = logprob / length ** length_penalty``. 0 ranks by the raw
          sum, which favours short outputs; 1 by the mean log-prob per token.
        - Stopping: with ``early_stopping`` (the default) the search ends as
          soon as no live hypothesis can still beat the best finished one (see
          :func:`~minilm.generate.beam_search`): the same best hypothesis, fewer
          runners-up. Without it, it goes on while any hypothesis is live.

        With ``beam_size=1`` this is :meth:`greedy_decode`.

        >>> import minilm
        >>> cfg = TransformerConfig(src_vocab_size=11, tgt_vocab_size=13, d_model=16,
        ...                         num_heads=2, num_encoder_layers=1, num_decoder_layers=1)
        >>> hyps = Transformer(cfg).beam_search(minilm.tensor([[3, 4, 5]]), beam_size=3, max_len=6)
        >>> len(hyps), len(hyps[0]) >= 3, all(1 <= len(h.tokens) <= 5 for h in hyps[0])
        (1, True, True)
        """
        if not isinstance(beam_size, (int, np.integer)) or beam_size < 1:
            raise ValueError(f"Transformer.beam_search: beam_size must be a whole number >= 1, "
                             f"got {beam_size!r}")  # fmt: skip
        c = self.config
        max_len = min(max_len or c.max_len, c.max_len)
        if max_len < 2:
            raise ValueError(f"Transformer.beam_search: max_len must be >= 2 (BOS and one "
                             f"generated token), got {max_len}")  # fmt: skip
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                memory, src_mask = self.encode(src, src_mask)
                step = lambda b: _Decoding(self, memory[b : b + 1], src_mask[b : b + 1])
                return [generate.beam_search(step(b), [c.bos_id], max_len - 1, beam_size,
                                             length_penalty=length_penalty, stop_token=c.eos_id,
                                             early_stopping=early_stopping)
                        for b in range(src.shape[0])]  # fmt: skip
        finally:
            self.train(was_training)

    def beam_decode(self, src_row, beam_size: int = 4, max_len: int | None = None,
                    length_penalty: float = 1.0) -> list[int]:  # fmt: skip
        """The best :meth:`beam_search` hypothesis for one source sentence (a list
        of ids), without EOS: the same call as
        :meth:`~minilm.models.seq2seq.Seq2Seq.beam_decode`."""
        src = tensor([list(src_row)], device=self.tgt_embed.weight.device)
        (hyps,) = self.beam_search(src, beam_size, max_len, length_penalty)
        return cut_at_eos(hyps[0].tokens, self.config.eos_id)


class _Decoding:
    """:mod:`minilm.generate`'s step functions for a :class:`Transformer`'s
    decoder over one source's ``memory`` (1, S, d).

    The state of a hypothesis is ``(caches, row)``: the per-layer KV caches of
    the step that made it, and its row in them. A step gathers the rows of the
    hypotheses it continues into new caches, so no state changes in place and
    hypotheses can branch from one state.
    """

    def __init__(self, model: Transformer, memory, src_mask):
        self.model, self.memory, self.src_mask = model, memory, src_mask

    def next_logits(self, tokens, state):
        logits, (state,) = self.next_logits_many([tokens], [state])
        return logits[0], state  # (V,)

    def next_logits_many(self, tokens, states):
        m, xp = self.model, self.memory.xp
        caches = m.new_caches()
        if states[0] is not None:
            for i, cache in enumerate(caches):
                old = [(c[i], r) for c, r in states]  # each one's layer-i cache and row
                cache.k = as_tensor(xp.concatenate([o.k.data[r : r + 1] for o, r in old]))
                cache.v = as_tensor(xp.concatenate([o.v.data[r : r + 1] for o, r in old]))
        ids = tensor([list(t) for t in tokens], device=self.memory.device)  # (n, T)
        logits = m.decode(ids, self.memory, self.src_mask, caches)  # (n, T, V); memory broadcasts
        return emittable(logits[:, -1].numpy(), m.config), [(caches, r) for r in range(len(ids))]
