"""Reference solution: chapters/07_transformers/exercises/ex4_block_forward.py."""

from minilm.backend import np


def _layer_norm(x, weight, bias, eps=1e-5):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _gelu(u):
    return 0.5 * u * (1 + np.tanh(np.sqrt(2 / np.pi) * (u + 0.044715 * u**3)))


def _attention(h, p, num_heads):
    B, T, d = h.shape
    hd = d // num_heads
    qkv = h @ p["attn.qkv_proj.weight"] + p["attn.qkv_proj.bias"]  # (B, T, 3d)
    q, k, v = (
        np.transpose(qkv[..., i * d : (i + 1) * d].reshape(B, T, num_heads, hd), (0, 2, 1, 3))
        for i in range(3)
    )  # (B, H, T, hd) each
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(hd)  # (B, H, T, T)
    scores = np.where(np.tril(np.ones((T, T), dtype=bool)), scores, -np.inf)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    out = (e / e.sum(axis=-1, keepdims=True)) @ v  # (B, H, T, hd)
    out = np.transpose(out, (0, 2, 1, 3)).reshape(B, T, d)
    return out @ p["attn.out_proj.weight"] + p["attn.out_proj.bias"]


def block_forward(x, params, num_heads):
    p = params
    x = x + _attention(_layer_norm(x, p["ln_1.weight"], p["ln_1.bias"]), p, num_heads)
    h = _layer_norm(x, p["ln_2.weight"], p["ln_2.bias"])
    h = _gelu(h @ p["ff.fc.weight"] + p["ff.fc.bias"])
    return x + h @ p["ff.proj.weight"] + p["ff.proj.bias"]
