"""The same GPT in PyTorch, for the benchmark and the oracle tests.

Layer for layer it is :class:`minilm.models.GPT`: learned positions, pre-norm
blocks with a fused (d, 3d) qkv projection, tanh-GELU, a final layer norm and
logits through the tied token embedding. :func:`copy_weights` loads a minilm
model's weights into it (minilm's Linear stores (in, out), PyTorch (out, in)).
Imports torch, so only call it when torch is installed.
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

        def forward(self, idx):
            x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1], device=idx.device))
            for block in self.blocks:
                x = block(x)
            return self.ln_f(x) @ self.wte.weight.T  # (B, T, V), tied

    return TorchGPT()


def copy_weights(model, ref) -> None:
    """Load minilm ``model``'s weights into the PyTorch ``ref`` (in place)."""
    import torch

    def put(dst, src):
        w = src.numpy()
        dst.copy_(torch.tensor(w.T if w.ndim == 2 else w))

    with torch.no_grad():
        ref.wte.weight.copy_(torch.tensor(model.wte.weight.numpy()))
        ref.wpe.weight.copy_(torch.tensor(model.wpe.embedding.weight.numpy()))
        pairs = [("ln_1", "ln_1"), ("attn.qkv_proj", "qkv"), ("attn.out_proj", "out"),
                 ("ln_2", "ln_2"), ("ff.fc", "fc"), ("ff.proj", "proj")]  # fmt: skip
        for ours, theirs in zip(model.blocks, ref.blocks):
            for a, b in pairs:
                src, dst = ours, theirs
                for part in a.split("."):
                    src = getattr(src, part)
                dst = getattr(dst, b)
                put(dst.weight, src.weight)
                if src.bias is not None:
                    put(dst.bias, src.bias)
        put(ref.ln_f.weight, model.ln_f.weight)
        if model.ln_f.bias is not None:
            put(ref.ln_f.bias, model.ln_f.bias)
