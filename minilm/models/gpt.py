"""GPT: a decoder-only transformer language model (Radford et al. 2018, 2019).

Tokens -> token embedding + learned position embedding -> ``n_layer`` causal
pre-norm blocks -> layer norm -> logits through the *same* matrix as the token
embedding (weight tying). Generation keeps a :class:`~minilm.nn.KVCache` per
layer, so each new token costs one row of attention instead of the whole prefix.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from ..backend import np
from ..nn import init
from ..nn.attention import KVCache, LearnedPositionalEncoding
from ..nn.layers import Dropout, Embedding, LayerNorm, Linear
from ..nn.module import Module, ModuleList
from ..ops import concatenate
from ..tensor import as_tensor, no_grad, tensor
from .transformer import TransformerBlock

__all__ = ["GPTConfig", "GPT", "CONFIGS"]


@dataclass
class GPTConfig:
    """GPT hyperparameters. The defaults are the course's small char model
    (the CPU benchmark's "small"); the standard char-GPT is
    ``GPTConfig(vocab_size=65, block_size=256, n_layer=6, n_head=6, n_embd=384)``."""

    vocab_size: int = 65
    block_size: int = 64  # the longest context the model sees
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    dropout: float = 0.0
    bias: bool = True
    tie_weights: bool = True

    def to_dict(self) -> dict:
        return asdict(self)

    def num_parameters(self) -> int:
        """What :class:`GPT` allocates, from the config alone (no arrays made): a
        checkpoint's config is checked against its tensors with it before loading."""
        V, T, C, b = self.vocab_size, self.block_size, self.n_embd, int(self.bias)
        norm = C * (1 + b)
        block = 2 * norm + (C * 3 * C + 3 * C * b) + (C * C + C * b)
        block += (C * 4 * C + 4 * C * b) + (4 * C * C + C * b)
        head = 0 if self.tie_weights else C * V
        return V * C + T * C + self.n_layer * block + norm + head


# The course's two char-GPT sizes (vocab_size 65: tinyshakespeare's characters).
# "small" trains on a laptop CPU; "standard" is nanoGPT's Shakespeare model, for a GPU.
CONFIGS = {
    "small": GPTConfig(block_size=64, n_layer=4, n_head=4, n_embd=128),
    "standard": GPTConfig(block_size=256, n_layer=6, n_head=6, n_embd=384),
}


class GPT(Module):
    """Decoder-only transformer LM. ``model(idx)`` -> logits (B, T, vocab_size).

    Trains with :func:`minilm.train.fit` as is: the default loss is
    ``cross_entropy(model(x), y)``.

    >>> import minilm
    >>> model = GPT(GPTConfig(vocab_size=10, block_size=8, n_layer=1, n_head=2, n_embd=16))
    >>> model(minilm.tensor([[1, 2, 3]])).shape
    (1, 3, 10)
    >>> len(model.generate([1, 2], max_new_tokens=5, seed=0))
    5
    """

    def __init__(self, config: GPTConfig):
        super().__init__()
        c = self.config = config
        self.wte = Embedding(c.vocab_size, c.n_embd)
        self.wpe = LearnedPositionalEncoding(c.n_embd, c.block_size)
        self.drop = Dropout(c.dropout)
        self.blocks = ModuleList(
            [TransformerBlock(c.n_embd, c.n_head, 4 * c.n_embd, c.dropout, c.bias)
             for _ in range(c.n_layer)]
        )  # fmt: skip
        self.ln_f = LayerNorm(c.n_embd, bias=c.bias)
        self.lm_head = None if c.tie_weights else Linear(c.n_embd, c.vocab_size, bias=False)
        self._init_weights()

    def _init_weights(self):
        """GPT-2's: N(0, 0.02) weights, zero biases, and the projections that write
        into the residual stream scaled by 1/sqrt(2 n_layer), so the stream's
        variance does not grow with depth."""
        for name, p in self.named_parameters():
            if name.endswith("bias"):
                init.zeros_(p)
            elif p.ndim == 2:
                std = 0.02
                if name.endswith(("out_proj.weight", "ff.proj.weight")):
                    std /= math.sqrt(2 * self.config.n_layer)
                init.normal_(p, std=std)

    def new_caches(self) -> list[KVCache]:
        """One empty KV cache per block, for :meth:`forward` with ``caches``."""
        return [KVCache() for _ in self.blocks]

    def forward(self, idx, caches=None, prefix=None):
        """Logits (B, T, V) for token ids ``idx`` (B, T).

        With ``caches`` (from :meth:`new_caches`), ``idx`` continues the tokens
        already cached: its positions start at the cache length, and the caches
        grow by T. Use under ``no_grad``.

        ``prefix`` (B, P, C): vectors placed before the token embeddings, as if
        they were P embedded tokens (an image's embedding for a captioner).
        Positions count over prefix + tokens (P + T <= block_size), the tokens
        attend to the prefix (causally: prefix vector p sees only prefix vectors
        up to p), and the logits returned are the T token positions' only. With
        ``caches`` the prefix goes in the first call, on empty caches, which then
        grow by P + T; later calls continue with tokens alone.

        >>> import minilm
        >>> gpt = GPT(GPTConfig(vocab_size=10, block_size=8, n_layer=1, n_head=2, n_embd=16))
        >>> gpt(minilm.tensor([[1, 2, 3]]), prefix=minilm.randn(1, 2, 16)).shape
        (1, 3, 10)
        """
        if idx.ndim != 2:
            raise ValueError(f"GPT: idx must be (B, T) token ids, got shape {idx.shape}")
        P = 0
        if prefix is not None:
            B, C = idx.shape[0], self.config.n_embd
            if prefix.ndim != 3 or prefix.shape[0] != B or prefix.shape[2] != C:
                raise ValueError(f"GPT: prefix must be (B={B}, P, n_embd={C}), got shape "
                                 f"{prefix.shape}")  # fmt: skip
            if caches is not None and caches[0].length > 0:
                raise ValueError("GPT: a prefix goes before the first tokens; pass it with empty "
                                 "caches (or none), not to a call that continues them")  # fmt: skip
            prefix, P = as_tensor(prefix), prefix.shape[1]
        offset = 0 if caches is None else caches[0].length
        if offset + P + idx.shape[1] > self.config.block_size:
            raise ValueError(
                f"GPT: {offset + P + idx.shape[1]} positions exceed block_size="
                f"{self.config.block_size}; crop the context to the last block_size tokens"
            )
        x = self.wte(idx)  # (B, T, C)
        if P:
            x = concatenate([prefix, x], axis=1)  # (B, P + T, C)
        x = self.drop(self.wpe(x, offset=offset))
        for i, block in enumerate(self.blocks):
            x = block(x, causal=True, cache=None if caches is None else caches[i])
        x = self.ln_f(x)  # (B, P + T, C)
        if P:
            x = x[:, P:]  # (B, T, C)
        if self.lm_head is not None:
            return self.lm_head(x)
        return x @ self.wte.weight.T  # (B, T, V)

    def next_logits(self, tokens, state=None):
        """One step for :mod:`minilm.generate`: logits (V,) of the token after
        ``tokens`` (the new tokens since the last call), and the new state.

        The state is ``(ids so far, KV caches)``; it is never changed in place
        (a cache append makes new arrays), so beam search can branch from it.
        While the context fits in ``block_size`` only the new tokens go through
        the network; past it the context is cropped to the last ``block_size``
        tokens and recomputed (learned positions are absolute, so a cache built
        for one window does not fit the next).
        """
        ids, caches = ([], None) if state is None else state
        ids = ids + list(tokens)
        device = self.wte.weight.device
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                if len(ids) <= self.config.block_size and (caches is not None or state is None):
                    caches = self.new_caches() if caches is None else [c.copy() for c in caches]
                    logits = self(tensor([list(tokens)], device=device), caches=caches)
                else:
                    caches = None
                    logits = self(tensor([ids[-self.config.block_size :]], device=device))
        finally:
            self.train(was_training)
        return logits[0, -1].numpy(), (ids, caches)

    def next_logits_many(self, tokens, states):
        """One step for n sequences at once, each at its own position: logits
        (n, V) and the n new states (see :meth:`next_logits`).

        This is what lets a server batch requests that arrived at different
        times (continuous batching). Sequences that continue a cache by one
        token go through the network together: their caches, of lengths L_i,
        are padded on the right to the longest, the new token's key lands in
        column max(L), and a key mask lets row i see its own L_i keys and its
        new one only. Each row adds its own position embedding. Prompts (no
        state yet), several new tokens, and contexts past ``block_size`` take
        :meth:`next_logits` one by one.
        """
        n = len(tokens)
        if len(states) != n:
            raise ValueError(f"next_logits_many: {n} token lists but {len(states)} states")
        logits, new_states = [None] * n, [None] * n
        fits = lambda s: s[1] is not None and len(s[0]) < self.config.block_size
        batch = [i for i in range(n) if states[i] is not None and len(tokens[i]) == 1
                 and fits(states[i])]  # fmt: skip
        for i in sorted(set(range(n)) - set(batch)):
            logits[i], new_states[i] = self.next_logits(tokens[i], states[i])
        if batch:
            rows, caches = self._step_rows([tokens[i][0] for i in batch],
                                           [states[i][1] for i in batch])  # fmt: skip
            for j, i in enumerate(batch):
                logits[i] = rows[j]
                new_states[i] = (states[i][0] + list(tokens[i]), caches[j])
        return np.stack(logits), new_states

    def _step_rows(self, new_ids, row_caches):
        """Logits (n, V) of the token after each row's ``new_ids[i]``, which
        continues ``row_caches[i]`` (a list of per-layer KV caches, lengths L_i);
        and each row's grown caches."""
        xp, device = self.wte.weight.xp, self.wte.weight.device
        lengths = [c[0].length for c in row_caches]
        n, L = len(lengths), max(lengths)
        padded = []
        for layer in range(len(self.blocks)):
            k0 = row_caches[0][layer].k.data
            k = xp.zeros((n, k0.shape[1], L, k0.shape[3]), dtype=k0.dtype)
            v = xp.zeros_like(k)
            for r, c in enumerate(row_caches):
                k[r, :, : lengths[r]] = c[layer].k.data[0]
                v[r, :, : lengths[r]] = c[layer].v.data[0]
            cache = KVCache()
            cache.k, cache.v = as_tensor(k), as_tensor(v)
            padded.append(cache)
        keys = xp.arange(L + 1)[None, :]
        seen = (keys < xp.asarray(lengths)[:, None]) | (keys == L)  # (n, L + 1)
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                pos = self.wpe.embedding.weight[xp.asarray(lengths)]  # (n, C): each row's own
                x = self.wte(tensor([[t] for t in new_ids], device=device)) + pos[:, None, :]
                for block, cache in zip(self.blocks, padded):
                    x = block(x, key_padding_mask=seen, cache=cache)  # one query: nothing ahead
                x = self.ln_f(x)
                out = self.lm_head(x) if self.lm_head is not None else x @ self.wte.weight.T
        finally:
            self.train(was_training)
        grown = []
        for r, length in enumerate(lengths):
            caches = []
            for cache in padded:
                c = KVCache()
                c.k = as_tensor(xp.concatenate([cache.k.data[r : r + 1, :, :length],
                                             cache.k.data[r : r + 1, :, L:]], axis=2))  # fmt: skip
                c.v = as_tensor(xp.concatenate([cache.v.data[r : r + 1, :, :length],
                                             cache.v.data[r : r + 1, :, L:]], axis=2))  # fmt: skip
                caches.append(c)
            grown.append(caches)
        return out[:, -1].numpy(), grown

    def generate(self, prompt, max_new_tokens: int, temperature: float = 1.0,
                 top_k: int | None = None, top_p: float | None = None,
                 greedy: bool = False, stop_token: int | None = None,
                 seed: int | None = None, use_cache: bool = True) -> list[int]:  # fmt: skip
        """Sample ``max_new_tokens`` tokens after ``prompt`` (a list of ids) with
        :func:`minilm.generate.generate`; returns the new tokens only.

        ``use_cache=False`` rereads the whole (cropped) context every step: the
        same tokens, more work; it is there to compare against.
        """
        from ..generate import generate

        model = self if use_cache else _Uncached(self)
        return generate(model, prompt, max_new_tokens, temperature=temperature, top_k=top_k,
                        top_p=top_p, greedy=greedy, stop_token=stop_token, seed=seed)  # fmt: skip


class _Uncached:
    """A GPT's ``next_logits`` that recomputes the whole context each step."""

    def __init__(self, gpt: GPT):
        self.gpt = gpt

    def next_logits(self, tokens, state=None):
        ids = (state or []) + list(tokens)
        bs = self.gpt.config.block_size
        logits, _ = self.gpt.next_logits(ids[-bs:], None)
        return logits, ids
