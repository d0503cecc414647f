"""The RNN encoder-decoder (Sutskever et al. 2014) with attention (Bahdanau et
al. 2015; Luong et al. 2015), and the sequence autoencoder built from it.

The encoder (embedding -> GRU) reads the source; its output at every position
is the *memory* and its state after the last real token starts the decoder.
At step t the decoder looks back at the memory with its previous state
``s_{t-1}`` as the query, gets a context vector ``c_t`` (the attention-weighted
memory), and updates ``s_t = GRUCell([embed(y_{t-1}); c_t], s_{t-1})``; the
next-token logits come from ``[s_t; c_t]``.

**Teacher forcing**: while training, the decoder's input at step t is the
*true* previous token, not its own guess, so one mistake does not derail the
rest of the sentence; ``teacher_forcing < 1`` feeds back its own greedy guesses
that often instead (scheduled sampling).

With ``attention="none"`` the decoder sees the source only through the encoder's
final state, a fixed-size bottleneck: that is the :class:`SequenceAutoencoder`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..backend import np
from ..nn.attention import AdditiveAttention, DotAttention
from ..nn.layers import Dropout, Embedding, Linear
from ..nn.module import Module
from ..nn.recurrent import GRU, GRUCell
from ..ops import concatenate, stack
from ..tensor import Tensor, as_tensor, no_grad, tensor

__all__ = ["Seq2SeqConfig", "Seq2Seq", "SequenceAutoencoder", "emittable", "cut_at_eos"]


@dataclass
class Seq2SeqConfig:
    src_vocab_size: int
    tgt_vocab_size: int
    embed_dim: int = 128
    hidden_size: int = 256
    attention: str = "additive"  # "additive" (Bahdanau), "dot", "general" (Luong) or "none"
    dropout: float = 0.1
    max_len: int = 32
    pad_id: int = 0
    bos_id: int = 1
    eos_id: int = 2

    def to_dict(self) -> dict:
        return asdict(self)


class Seq2Seq(Module):
    """GRU encoder-decoder with attention.

    ``model(src, tgt_in, src_mask=None)`` -> logits (B, T, V_tgt), the same call
    as :class:`~minilm.models.Transformer`, so one training loop serves both.
    ``greedy_decode(src)`` translates; ``beam_decode(src_row)`` runs
    :func:`minilm.generate.beam_search`; ``return_attention=True`` on
    :meth:`greedy_decode` gives the (T, S) weights for heatmaps.

    >>> import minilm
    >>> model = Seq2Seq(Seq2SeqConfig(src_vocab_size=9, tgt_vocab_size=7, embed_dim=8,
    ...                               hidden_size=16))
    >>> model(minilm.tensor([[3, 4, 5, 0]]), minilm.tensor([[1, 5, 6]])).shape
    (1, 3, 7)
    """

    def __init__(self, config: Seq2SeqConfig):
        super().__init__()
        c = self.config = config
        H = c.hidden_size
        self.src_embed = Embedding(c.src_vocab_size, c.embed_dim)
        self.tgt_embed = Embedding(c.tgt_vocab_size, c.embed_dim)
        self.encoder = GRU(c.embed_dim, H)
        self.attention = {
            "additive": lambda: AdditiveAttention(H, H, H),
            "dot": lambda: DotAttention(),
            "general": lambda: DotAttention(H, H),
            "none": lambda: None,
        }.get(c.attention, lambda: _bad_attention(c.attention))()
        ctx = 0 if self.attention is None else H
        self.cell = GRUCell(c.embed_dim + ctx, H)
        self.out = Linear(H + ctx, c.tgt_vocab_size)
        self.dropout = Dropout(c.dropout)

    # ---- encoder ----
    def src_padding_mask(self, src) -> Tensor:
        return as_tensor(src.data != self.config.pad_id)

    def encode(self, src, src_mask=None):
        """(memory (B, S, H), final state (B, H), src_mask (B, S))."""
        mask = self.src_padding_mask(src) if src_mask is None else src_mask
        m = mask.data if isinstance(mask, Tensor) else mask
        memory, _ = self.encoder(self.dropout(self.src_embed(src)))  # (B, S, H)
        last = m.sum(axis=1).astype(np.int64) - 1  # index of each row's last real token
        final = memory[src.xp.arange(src.shape[0]), src.xp.maximum(last, 0)]  # (B, H)
        return memory, final, mask

    # ---- decoder ----
    def decode_step(self, y_prev, s, memory, mask):
        """One step: previous tokens (B,), state (B, H) -> (logits (B, V), state, weights)."""
        e = self.dropout(self.tgt_embed(y_prev))  # (B, E)
        weights = None
        if self.attention is None:
            s = self.cell(e, s)
            return self.out(self.dropout(s)), s, None
        context, weights = self.attention(s, memory, mask=mask)  # (B, H), (B, S)
        s = self.cell(concatenate([e, context], axis=-1), s)  # (B, H)
        logits = self.out(self.dropout(concatenate([s, context], axis=-1)))  # (B, V)
        return logits, s, weights

    def forward(self, src, tgt_in, src_mask=None, teacher_forcing: float = 1.0):
        memory, s, mask = self.encode(src, src_mask)
        y = tgt_in[:, 0]
        steps = []
        gen = np.random.default_rng() if teacher_forcing < 1 else None
        for t in range(tgt_in.shape[1]):
            logits, s, _ = self.decode_step(y, s, memory, mask)
            steps.append(logits)
            if t + 1 < tgt_in.shape[1]:
                y = tgt_in[:, t + 1]
                if gen is not None and gen.random() > teacher_forcing:
                    y = as_tensor(logits.data.argmax(-1))  # its own guess, no gradient
        return stack(steps, axis=1)  # (B, T, V)

    def greedy_decode(self, src, max_len: int | None = None, src_mask=None,
                      return_attention: bool = False):  # fmt: skip
        """Translate a batch greedily; one list of ids per row (no BOS/EOS). With
        ``return_attention`` also a list of (T_out, S) weight arrays."""
        c = self.config
        max_len = max_len or c.max_len
        was = self.training
        self.eval()
        try:
            with no_grad():
                memory, s, mask = self.encode(src, src_mask)
                B = src.shape[0]
                y = tensor(np.full(B, c.bos_id), device=src.device)
                out, attn = [], []
                done = np.zeros(B, dtype=bool)
                for _ in range(max_len):
                    logits, s, w = self.decode_step(y, s, memory, mask)
                    nxt = emittable(logits.numpy(), c).argmax(-1)
                    out.append(np.where(done, c.pad_id, nxt))
                    if w is not None:
                        attn.append(w.numpy())
                    done |= nxt == c.eos_id
                    if done.all():
                        break
                    y = tensor(nxt, device=src.device)
        finally:
            self.train(was)
        rows = np.stack(out, axis=1).tolist()  # (B, T_out)
        hyps = [cut_at_eos(r, c.eos_id) for r in rows]
        if not return_attention:
            return hyps
        weights = np.stack(attn, axis=1) if attn else None  # (B, T_out, S)
        return hyps, [None if weights is None else weights[b, : len(h) + 1]
                      for b, h in enumerate(hyps)]  # fmt: skip

    def beam_decode(self, src_row, beam_size: int = 4, max_len: int | None = None,
                    length_penalty: float = 1.0) -> list[int]:  # fmt: skip
        """Beam search for one source sentence (a list of ids); the best hypothesis
        (no EOS), via :func:`minilm.generate.beam_search`."""
        from ..generate import beam_search

        c = self.config
        was = self.training
        self.eval()
        try:
            with no_grad():
                src = tensor([list(src_row)], device=self.out.weight.device)
                memory, s0, mask = self.encode(src)

                def next_logits(tokens, state):
                    s = s0 if state is None else state
                    logits, s, _ = self.decode_step(
                        tensor([tokens[-1]], device=src.device), s, memory, mask
                    )
                    return emittable(logits.numpy()[0], c), s

                hyps = beam_search(next_logits, [c.bos_id], max_len or c.max_len, beam_size,
                                   length_penalty=length_penalty, stop_token=c.eos_id)  # fmt: skip
        finally:
            self.train(was)
        return cut_at_eos(hyps[0].tokens, c.eos_id)


def emittable(logits, config):
    """Next-token logits (a NumPy array, vocabulary last) with ``config``'s
    ``pad_id`` and ``bos_id`` set to -inf: a decoder never outputs them (no target
    is either), so decoding must not pick them even if an undertrained model
    prefers them (unless one of them is also ``eos_id``, which must stay
    possible). Modifies and returns ``logits``."""
    never = [i for i in (config.pad_id, config.bos_id) if i != config.eos_id]
    logits[..., never] = -np.inf
    return logits


def cut_at_eos(ids, eos_id):
    """``ids`` up to (not including) the first ``eos_id``, as a list."""
    return ids[: ids.index(eos_id)] if eos_id in ids else list(ids)


def _bad_attention(kind):
    raise ValueError(
        f"Seq2Seq: attention must be 'additive', 'dot', 'general' or 'none', got {kind!r}"
    )


class SequenceAutoencoder(Module):
    """Encode a sequence into one vector, decode it back: a :class:`Seq2Seq` with
    the same vocabulary on both sides and no attention, so everything the
    decoder knows passes through the ``hidden_size`` bottleneck.

    ``model(ids)`` -> logits of reconstructing ``ids`` (teacher-forced);
    ``encode(ids)`` -> codes (B, H); ``reconstruct(ids)`` -> decoded id lists.
    ``ids`` are rows ``[token..., EOS, PAD...]``.

    >>> import minilm
    >>> ae = SequenceAutoencoder(vocab_size=6, embed_dim=8, hidden_size=16)
    >>> ae.encode(minilm.tensor([[3, 4, 2, 0]])).shape
    (1, 16)
    """

    def __init__(self, vocab_size: int, embed_dim: int = 32, hidden_size: int = 128,
                 dropout: float = 0.0, max_len: int = 32, pad_id: int = 0, bos_id: int = 1,
                 eos_id: int = 2):  # fmt: skip
        super().__init__()
        self.seq2seq = Seq2Seq(Seq2SeqConfig(vocab_size, vocab_size, embed_dim, hidden_size,
                                             "none", dropout, max_len, pad_id, bos_id,
                                             eos_id))  # fmt: skip

    def teacher_inputs(self, ids) -> Tensor:
        """BOS followed by ``ids`` without its last column: the decoder's inputs."""
        c = self.seq2seq.config
        bos = np.full((ids.shape[0], 1), c.bos_id, dtype=np.int64)
        return tensor(np.concatenate([bos, ids.numpy()[:, :-1]], axis=1), device=ids.device)

    def forward(self, ids):
        return self.seq2seq(ids, self.teacher_inputs(ids))  # (B, T, V)

    def encode(self, ids) -> Tensor:
        return self.seq2seq.encode(ids)[1]  # (B, H)

    def reconstruct(self, ids, max_len: int | None = None) -> list[list[int]]:
        return self.seq2seq.greedy_decode(ids, max_len or ids.shape[1] + 2)
