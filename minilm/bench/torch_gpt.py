"""The same GPT in PyTorch, for the benchmark and the oracle tests.

Layer for layer it is :class:`minilm.models.GPT`: learned positions, pre-norm
blocks with a fused (d, 3d) qkv projection, tanh-GELU, a final layer norm and
logits through the tied token embedding (or an ``lm_head`` without bias when
``tie_weights=False``); ``bias=False`` drops every bias, as in minilm. It has no
dropout: compare the two in eval mode or with ``dropout=0``. Its parameter names
are the ones :func:`minilm.export.torch_state_dict` writes, so :func:`copy_weights`
is that mapping plus a strict ``load_state_dict``. Imports torch, so only call it
when torch is installed.
"""

from __future__ import annotations


def torch_gpt(config):
    """A ``torch.nn.Module`` with the architecture of ``GPT(config)``."""
    import torch
    from torch import nn
    from torch.nn import functional as F

    c = config

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1 = nn.LayerNorm(c.n_embd, bias=c.bias)
            self.qkv = nn.Linear(c.n_embd, 3 * c.n_embd, bias=c.bias)
            self.out = nn.Linear(c.n_embd, c.n_embd, bias=c.bias)
            self.ln_2 = nn.LayerNorm(c.n_embd, bias=c.bias)
            self.fc = nn.Linear(c.n_embd, 4 * c.n_embd, bias=c.bias)
            self.proj = nn.Linear(4 * c.n_embd, c.n_embd, bias=c.bias)

        def forward(self, x):
            B, T, C = x.shape
            q, k, v = self.qkv(self.ln_1(x)).split(C, dim=2)
            heads = lambda t: t.view(B, T, c.n_head, C // c.n_head).transpose(1, 2)
            y = F.scaled_dot_product_attention(heads(q), heads(k), heads(v), is_causal=True)
            x = x + self.out(y.transpose(1, 2).reshape(B, T, C))
            return x + self.proj(F.gelu(self.fc(self.ln_2(x)), approximate="tanh"))

    class TorchGPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte = nn.Embedding(c.vocab_size, c.n_embd)
            self.wpe = nn.Embedding(c.block_size, c.n_embd)
            self.blocks = nn.ModuleList([Block() for _ in range(c.n_layer)])
            self.ln_f = nn.LayerNorm(c.n_embd, bias=c.bias)
            self.lm_head = None if c.tie_weights else nn.Linear(c.n_embd, c.vocab_size, bias=False)

        def forward(self, idx):
            x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1], device=idx.device))
            for block in self.blocks:
                x = block(x)
            x = self.ln_f(x)
            if self.lm_head is not None:
                return self.lm_head(x)
            return x @ self.wte.weight.T  # (B, T, V), tied

    return TorchGPT()


def copy_weights(model, ref) -> None:
    """Load minilm ``model``'s weights into the PyTorch twin ``ref`` (in place, on
    ``ref``'s device), through :func:`minilm.export.torch_state_dict`."""
    import torch

    from ..export import torch_state_dict

    state = {name: torch.from_numpy(a) for name, a in torch_state_dict(model).items()}
    ref.load_state_dict(state, strict=True)
