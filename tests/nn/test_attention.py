"""Attention layers and positional encodings: the properties that define them.

Weights are distributions over the allowed keys; padded keys change nothing;
one head is plain attention; the KV cache changes nothing but the cost; the
sinusoidal table is the formula and shifts by rotation; gradients are right.
"""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import minilm
import minilm.functional as F
import minilm.nn as nn
from minilm.backend import np
from minilm.testing import gradcheck


def _double(module):
    for p in module.parameters():
        p.data = p.data.astype(np.float64)
    return module


def _padding(B, S, gen):
    """(B, S) bool, True on a random-length prefix of real keys (at least one)."""
    lengths = gen.integers(1, S + 1, size=B)
    return np.arange(S)[None, :] < lengths[:, None]


@given(B=st.integers(1, 3), T=st.integers(1, 5), S=st.integers(1, 6), seed=st.integers(0, 99))
def test_sdpa_weights_sum_to_one_over_allowed_keys_and_zero_elsewhere(B, T, S, seed):
    gen = np.random.default_rng(seed)
    q, k, v = (minilm.tensor(gen.standard_normal(s)) for s in [(B, T, 4), (B, S, 4), (B, S, 3)])
    mask = gen.random((B, T, S)) < 0.6
    mask[..., 0] = True  # every query may see at least one key
    _, w = F.scaled_dot_product_attention(q, k, v, mask=mask, return_weights=True)
    w = w.numpy()
    np.testing.assert_allclose(w.sum(-1), 1.0, rtol=1e-5)
    assert (w[~mask] == 0).all()


@pytest.mark.parametrize("kind", ["additive", "dot", "general", "scaled"])
def test_rnn_attention_weights_are_distributions_over_real_keys(kind):
    gen = np.random.default_rng(0)
    B, S, d = 3, 6, 5
    attn = {
        "additive": nn.AdditiveAttention(d, d, 7),
        "dot": nn.DotAttention(),
        "general": nn.DotAttention(d, d),
        "scaled": nn.DotAttention(scaled=True),
    }[kind]
    mask = _padding(B, S, gen)
    keys = minilm.randn(B, S, d)
    ctx, w = attn(minilm.randn(B, d), keys, mask=mask)
    assert ctx.shape == (B, d) and w.shape == (B, S)
    np.testing.assert_allclose(w.numpy().sum(-1), 1.0, rtol=1e-5)
    assert (w.numpy()[~mask] == 0).all()
    np.testing.assert_allclose(
        ctx.numpy(), np.einsum("bs,bsd->bd", w.numpy(), keys.numpy()), rtol=1e-5, atol=1e-6
    )


def test_dot_attention_is_the_plain_dot_product_and_additive_is_bahdanaus_formula():
    q, k = minilm.randn(2, 4), minilm.randn(2, 3, 4)
    _, w = nn.DotAttention()(q, k)
    scores = np.einsum("bd,bsd->bs", q.numpy(), k.numpy())
    want = np.exp(scores) / np.exp(scores).sum(-1, keepdims=True)
    np.testing.assert_allclose(w.numpy(), want, rtol=1e-5)
    attn = nn.AdditiveAttention(4, 4, 6)
    _, w = attn(q, k)
    hq = q.numpy() @ attn.W_q.weight.numpy()
    hk = k.numpy() @ attn.W_k.weight.numpy() + attn.W_k.bias.numpy()
    scores = (np.tanh(hq[:, None] + hk) @ attn.v.weight.numpy())[..., 0]
    want = np.exp(scores) / np.exp(scores).sum(-1, keepdims=True)
    np.testing.assert_allclose(w.numpy(), want, rtol=1e-5)


@pytest.mark.parametrize("kind", ["additive", "general", "mha"])
def test_padded_keys_are_irrelevant(kind):
    gen = np.random.default_rng(1)
    B, S, d = 3, 7, 8
    mask = _padding(B, S, gen)
    keys = gen.standard_normal((B, S, d)).astype(np.float32)
    noisy = np.where(mask[..., None], keys, 100 * gen.standard_normal((B, S, d))).astype(np.float32)
    if kind == "mha":
        mha = nn.MultiHeadAttention(d, 2, cross=True)
        x = minilm.randn(B, 4, d)
        a = mha(x, minilm.tensor(keys), key_padding_mask=mask)
        b = mha(x, minilm.tensor(noisy), key_padding_mask=mask)
    else:
        attn = nn.AdditiveAttention(d, d, 5) if kind == "additive" else nn.DotAttention(d, d)
        q = minilm.randn(B, 4, d)
        a, _ = attn(q, minilm.tensor(keys), mask=mask)
        b, _ = attn(q, minilm.tensor(noisy), mask=mask)
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)


def test_mha_self_attention_ignores_padded_tokens_at_real_positions():
    gen = np.random.default_rng(2)
    B, T, d = 4, 6, 8
    mask = _padding(B, T, gen)
    mha = nn.MultiHeadAttention(d, 4)
    x = gen.standard_normal((B, T, d)).astype(np.float32)
    y = np.where(mask[..., None], x, gen.standard_normal((B, T, d))).astype(np.float32)
    a = mha(minilm.tensor(x), key_padding_mask=mask).numpy()
    b = mha(minilm.tensor(y), key_padding_mask=mask).numpy()
    np.testing.assert_allclose(a[mask], b[mask], rtol=1e-5, atol=1e-6)


def test_mha_with_one_head_is_single_head_attention():
    d = 6
    mha = nn.MultiHeadAttention(d, num_heads=1)
    x = minilm.randn(2, 5, d)
    qkv = x.numpy() @ mha.qkv_proj.weight.numpy() + mha.qkv_proj.bias.numpy()
    q, k, v = (minilm.tensor(a) for a in np.split(qkv, 3, axis=-1))
    single = F.scaled_dot_product_attention(q, k, v, causal=True).numpy()
    want = single @ mha.out_proj.weight.numpy() + mha.out_proj.bias.numpy()
    np.testing.assert_allclose(mha(x, causal=True).numpy(), want, rtol=1e-5, atol=1e-6)


def test_mha_heads_attend_independently():
    """Each head sees only its own slice of q, k, v: zeroing head 1's value
    columns changes nothing that head 0 writes."""
    d, H = 8, 2
    mha = nn.MultiHeadAttention(d, H, bias=False)
    x = minilm.randn(1, 4, d)
    _, w = mha(x, return_weights=True)
    assert w.shape == (1, H, 4, 4)
    q, k, v = np.split(x.numpy() @ mha.qkv_proj.weight.numpy(), 3, axis=-1)
    for h in range(H):
        s = slice(h * 4, (h + 1) * 4)
        scores = q[0, :, s] @ k[0, :, s].T / 2.0
        want = np.exp(scores) / np.exp(scores).sum(-1, keepdims=True)
        np.testing.assert_allclose(w.numpy()[0, h], want, rtol=1e-5, atol=1e-6)


def test_mha_matches_torch_multihead_attention():
    torch = pytest.importorskip("torch")
    d, H, B, T = 8, 2, 2, 5
    mha = nn.MultiHeadAttention(d, H)
    ref = torch.nn.MultiheadAttention(d, H, batch_first=True)
    with torch.no_grad():
        ref.in_proj_weight.copy_(torch.tensor(mha.qkv_proj.weight.numpy().T))
        ref.in_proj_bias.copy_(torch.tensor(mha.qkv_proj.bias.numpy()))
        ref.out_proj.weight.copy_(torch.tensor(mha.out_proj.weight.numpy().T))
        ref.out_proj.bias.copy_(torch.tensor(mha.out_proj.bias.numpy()))
    x = minilm.randn(B, T, d)
    xt = torch.tensor(x.numpy())
    causal = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)  # torch: True = blocked
    want, _ = ref(xt, xt, xt, attn_mask=causal)
    np.testing.assert_allclose(
        mha(x, causal=True).numpy(), want.detach().numpy(), rtol=1e-4, atol=1e-5
    )


@given(T=st.integers(1, 6), split=st.integers(0, 6), seed=st.integers(0, 50))
def test_kv_cache_gives_the_same_outputs_as_the_full_prefix(T, split, seed):
    minilm.manual_seed(seed)
    mha = nn.MultiHeadAttention(8, 2)
    x = minilm.randn(2, T, 8)
    full = mha(x, causal=True).numpy()
    cache = nn.KVCache()
    split = min(split, T)
    pieces = []
    with minilm.no_grad():
        if split:
            pieces.append(mha(x[:, :split], causal=True, cache=cache).numpy())
        for t in range(split, T):  # then one token at a time
            pieces.append(mha(x[:, t : t + 1], causal=True, cache=cache).numpy())
    assert cache.length == T
    np.testing.assert_allclose(np.concatenate(pieces, axis=1), full, rtol=1e-5, atol=1e-6)


def test_mha_gradients_match_finite_differences():
    mha = _double(nn.MultiHeadAttention(4, 2, cross=True))
    x = minilm.randn(2, 3, 4, dtype="float64", requires_grad=True)
    ctx = minilm.randn(2, 5, 4, dtype="float64", requires_grad=True)
    mask = np.array([[True] * 5, [True, True, False, False, False]])
    assert gradcheck(lambda a, c: mha(a, c, key_padding_mask=mask), [x, ctx])
    assert gradcheck(lambda w: F.linear(x, w), [mha.q_proj.weight])


def test_additive_attention_gradients_match_finite_differences():
    attn = _double(nn.AdditiveAttention(3, 4, 5))
    q = minilm.randn(2, 3, dtype="float64", requires_grad=True)
    k = minilm.randn(2, 4, 4, dtype="float64", requires_grad=True)
    assert gradcheck(lambda a, b: attn(a, b, mask=[[1, 1, 1, 0], [1, 1, 1, 1]])[0], [q, k])


def test_attention_dropout_only_while_training():
    mha = nn.MultiHeadAttention(8, 2, dropout=0.5)
    x = minilm.randn(2, 4, 8)
    mha.eval()
    np.testing.assert_array_equal(mha(x).numpy(), mha(x).numpy())
    mha.train()
    assert not np.allclose(mha(x).numpy(), mha(x).numpy())


def test_bad_inputs_say_what_is_wrong():
    with pytest.raises(ValueError, match="divisible"):
        nn.MultiHeadAttention(10, 3)
    with pytest.raises(ValueError, match=r"\(B, T, 8\)"):
        nn.MultiHeadAttention(8, 2)(minilm.randn(3, 8))
    with pytest.raises(ValueError, match="context"):
        nn.MultiHeadAttention(8, 2, cross=True)(minilm.randn(1, 3, 8))
    with pytest.raises(ValueError, match="max_len"):
        nn.LearnedPositionalEncoding(4, max_len=5)(minilm.zeros(1, 3, 4), offset=3)
    with pytest.raises(ValueError, match="both"):
        nn.DotAttention(query_dim=3)


def test_sinusoidal_table_is_the_formula():
    P = nn.sinusoidal_positions(50, 16)
    p, i = 37, 5
    w = 1 / 10000 ** (2 * i / 16)
    assert math.isclose(P[p, 2 * i], math.sin(p * w), rel_tol=1e-5)
    assert math.isclose(P[p, 2 * i + 1], math.cos(p * w), rel_tol=1e-5)
    assert nn.sinusoidal_positions(3, 5).shape == (3, 5)  # odd width: last column is a sine


def test_sinusoidal_shift_is_a_rotation_independent_of_position():
    """P[p + k] = P[p] R_k with R_k block-diagonal 2x2 rotations: relative
    offsets are linear functions, which is why the encoding was chosen."""
    d, k = 8, 3
    P = nn.sinusoidal_positions(40, d).astype(np.float64)
    w = 1 / 10000 ** (np.arange(0, d, 2) / d)
    R = np.zeros((d, d))
    for j, wj in enumerate(w):
        c, s = math.cos(k * wj), math.sin(k * wj)
        R[2 * j : 2 * j + 2, 2 * j : 2 * j + 2] = [[c, -s], [s, c]]
    np.testing.assert_allclose(P[:-k] @ R, P[k:], atol=1e-5)


def test_positional_encodings_add_the_right_rows():
    sin = nn.SinusoidalPositionalEncoding(6, max_len=20)
    out = sin(minilm.zeros(2, 4, 6), offset=5).numpy()
    np.testing.assert_allclose(out[1], nn.sinusoidal_positions(20, 6)[5:9])
    learned = nn.LearnedPositionalEncoding(6, max_len=10)
    out = learned(minilm.zeros(1, 3, 6), offset=2).numpy()
    np.testing.assert_allclose(out[0], learned.embedding.weight.numpy()[2:5])
    assert learned.num_parameters() == 60 and sin.num_parameters() == 0
