"""Quantization (minilm.quantize): the rounding error is at most half a step,
per-channel and group-wise scales are never coarser than one per tensor, int4
packs and unpacks, and the int8 matmul's int32 accumulation is exact."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from minilm.quantize import (
    dequantize,
    dequantize_groupwise,
    int8_matmul,
    pack_int4,
    qmax,
    quantize_groupwise,
    quantize_rows,
    quantize_symmetric,
    unpack_int4,
)

values = st.floats(-1e3, 1e3, width=32)
matrices = arrays(np.float32, st.tuples(st.integers(1, 9), st.integers(1, 9)), elements=values)


@settings(max_examples=80, deadline=None)
@given(matrices, st.sampled_from([None, 0, 1]), st.sampled_from([8, 4]))
def test_the_error_is_at_most_half_a_step(w, axis, bits):
    q, scale = quantize_symmetric(w, bits, axis)
    Q = qmax(bits)
    assert q.dtype == np.int8 and int(np.abs(q).max()) <= Q
    assert scale.dtype == np.float32 and (scale > 0).all()
    err = np.abs(dequantize(q, scale).astype(np.float64) - w)
    assert (err <= np.broadcast_to(scale, w.shape) * (0.5 + 1e-5) + 1e-30).all()
    if axis is not None:  # per channel: never coarser than one scale for all
        _, s_all = quantize_symmetric(w, bits)
        others = tuple(i for i in range(w.ndim) if i != axis)
        nonzero = np.abs(w).max(axis=others, keepdims=True) / Q > 0  # a zero channel gets 1
        assert (scale[nonzero] <= s_all * (1 + 1e-6)).all()


def test_the_largest_value_maps_to_q_and_zeros_stay_zero():
    q, s = quantize_symmetric(np.array([[0.0, 3.0], [-6.0, 1.5]], np.float32), axis=1)
    assert q.tolist() == [[0, 127], [-127, 64]]
    q, s = quantize_symmetric(np.zeros((2, 3), np.float32))
    assert (q == 0).all() and float(s) == 1.0


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4), st.sampled_from([1, 2, 4, 8]), st.integers(1, 5), st.integers(0, 2**31))
def test_groupwise_scales_bound_each_group(groups, group_size, n_out, seed):
    w = np.random.default_rng(seed).standard_normal((groups * group_size, n_out)).astype(np.float32)
    w[0, 0] = 50.0  # one outlier: only its own group's scale grows
    q, scales = quantize_groupwise(w, 4, group_size)
    assert scales.shape == (groups, n_out) and int(np.abs(q).max()) <= 7
    err = np.abs(dequantize_groupwise(q, scales) - w)
    per_value = np.repeat(scales, group_size, axis=0)
    assert (err <= per_value * (0.5 + 1e-5)).all()
    if groups > 1:
        assert scales[1:, 0].max() < scales[0, 0]


def test_groupwise_refuses_what_does_not_split():
    with pytest.raises(ValueError, match="group_size must divide"):
        quantize_groupwise(np.ones((6, 2), np.float32), group_size=4)
    with pytest.raises(ValueError, match="2-D"):
        quantize_groupwise(np.ones(8, np.float32))
    with pytest.raises(ValueError, match="inf or NaN"):
        quantize_symmetric(np.array([1.0, np.nan], np.float32))
    with pytest.raises(TypeError, match="floating-point"):
        quantize_symmetric(np.arange(4))
    with pytest.raises(ValueError, match="bits"):
        quantize_symmetric(np.ones(2, np.float32), bits=16)


@settings(max_examples=60, deadline=None)
@given(arrays(np.int8, st.tuples(st.integers(1, 4), st.integers(1, 6).map(lambda n: 2 * n)),
              elements=st.integers(-8, 7)))  # fmt: skip
def test_int4_packs_two_a_byte_and_unpacks(q):
    packed = pack_int4(q)
    assert packed.dtype == np.uint8 and packed.shape == (q.shape[0], q.shape[1] // 2)
    np.testing.assert_array_equal(unpack_int4(packed), q)
    with pytest.raises(ValueError, match="-8..7"):
        pack_int4(np.array([8, 0], np.int8))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 5), st.integers(1, 40), st.integers(1, 6), st.booleans(),
       st.integers(0, 2**31))  # fmt: skip
def test_int8_matmul_is_exact_integer_arithmetic_then_the_scales(n, k, m, per_channel, seed):
    gen = np.random.default_rng(seed)
    x = gen.standard_normal((n, k)).astype(np.float32) * 3
    w = gen.standard_normal((k, m)).astype(np.float32)
    xq, xs = quantize_rows(x)
    wq, ws = quantize_symmetric(w, axis=1 if per_channel else None)
    got = int8_matmul(xq, xs, wq, ws)
    # integers up to 127*127*40 are exact in float64: the same sum, done independently
    exact = (xq.astype(np.float64) @ wq.astype(np.float64)) * xs.astype(np.float64) * ws
    np.testing.assert_allclose(got, exact, rtol=1e-6, atol=1e-6)
    # and close to the float product: the error of two roundings
    bound = (np.abs(x) @ np.abs(w)).max() * 2 / 127 + 1e-6
    assert np.abs(got - x @ w).max() <= bound


def test_int8_matmul_checks_its_operands():
    with pytest.raises(TypeError, match="int8 operands"):
        int8_matmul(np.ones((2, 2)), 1.0, np.ones((2, 2), np.int8), 1.0)
    with pytest.raises(ValueError, match="one per output"):
        int8_matmul(np.ones((2, 4), np.int8), 1.0, np.ones((4, 3), np.int8),
                    np.ones((4, 3), np.float32))  # fmt: skip
    with pytest.raises(ValueError, match="scalar"):
        quantize_rows(np.float32(1.0))


def test_a_quantized_gpt_keeps_its_logits_and_shrinks():
    import minilm
    from minilm.models.gpt import GPT, GPTConfig
    from minilm.quantize import QuantizedLinear, quantize_model

    minilm.manual_seed(0)
    cfg = GPTConfig(vocab_size=13, block_size=8, n_layer=2, n_head=2, n_embd=32, tie_weights=False)
    x = minilm.tensor(np.random.default_rng(0).integers(0, 13, (3, 8)))
    model = GPT(cfg)
    model.eval()
    with minilm.no_grad():
        ref = model(x).numpy()
    results = {}
    for scheme in ("int8", "int8-channel", "int4"):
        minilm.manual_seed(0)
        qmodel = GPT(cfg)
        qmodel.eval()
        stats = quantize_model(qmodel, scheme, embeddings=False)
        assert stats["layers"] == 2 * 4 + 1  # qkv, out, ff in, ff out per block; the head
        assert any(isinstance(m, QuantizedLinear) for m in qmodel.modules())
        with minilm.no_grad():
            got = qmodel(x).numpy()
        results[scheme] = np.abs(got - ref).max() / np.abs(ref).max()
        ratio = stats["quantized_bytes"] / stats["float_bytes"]
        assert ratio < (0.3 if scheme != "int4" else 0.2), (scheme, ratio)
        ints = {k: v for k, v in qmodel.state_dict().items() if k.endswith(".q")}
        assert len(ints) == 9 and all(v.dtype in (np.int8, np.uint8) for v in ints.values())
    assert results["int8"] < 0.05 and results["int8-channel"] < 0.05 and results["int4"] < 0.3
    with pytest.raises(ValueError, match="scheme must be one of"):
        quantize_model(GPT(cfg), "int2")


def test_a_quantized_embedding_looks_up_the_dequantized_rows():
    from minilm.nn import Embedding
    from minilm.quantize import QuantizedEmbedding

    emb = Embedding(11, 64)
    w = emb.weight.numpy()
    ids = np.array([[0, 3, 10], [3, 3, 7]])
    for scheme in ("int8", "int8-channel", "int4"):
        qe = QuantizedEmbedding(emb, scheme)
        table = qe.dequantized_weight()
        got = qe(ids).numpy()
        np.testing.assert_array_equal(got, table[ids])  # a lookup reads the same values
        np.testing.assert_array_equal(qe.weight.numpy(), table)  # a tied head does too
        if scheme == "int4":  # groups of 32 dims in each row: each group's own half step
            groups = w.reshape(11, 2, 32)
            step = np.abs(groups).max(axis=2, keepdims=True) / 7
            err = np.abs(table.reshape(11, 2, 32) - groups)
        else:
            axis = (1,) if scheme == "int8-channel" else (0, 1)
            step = np.abs(w).max(axis=axis, keepdims=True) / 127  # per row, or one
            err = np.abs(table - w)
        assert (err <= step * (0.5 + 1e-5)).all(), scheme
        ints, scales = {"int8": (11 * 64, 1), "int8-channel": (11 * 64, 11), "int4": (11 * 32, 22)}[
            scheme
        ]  # a byte an int8 (half for int4) and a float32 a scale
        assert qe.weight_nbytes() == ints + 4 * scales
    for bad in (11, -1):
        with pytest.raises(IndexError, match=f"id {bad} is out of range for a table of 11"):
            QuantizedEmbedding(emb)(np.array([3, bad]))
    with pytest.raises(TypeError, match="integers"):
        QuantizedEmbedding(emb)(np.array([1.0]))


def test_a_tied_gpt_quantizes_its_embedding_as_its_head():
    import minilm
    from minilm.models.gpt import GPT, GPTConfig
    from minilm.quantize import QuantizedEmbedding, quantize_model

    cfg = GPTConfig(vocab_size=13, block_size=8, n_layer=1, n_head=2, n_embd=32)
    minilm.manual_seed(1)
    model, qmodel = GPT(cfg), GPT(cfg)
    qmodel.load_state_dict(model.state_dict())
    x = minilm.tensor(np.random.default_rng(1).integers(0, 13, (2, 8)))
    stats = quantize_model(qmodel, "int4")
    assert isinstance(qmodel.wte, QuantizedEmbedding) and qmodel.wte.scheme == "int8-channel"
    assert stats["layers"] == 4 + 2  # the block's four Linear layers, wte and wpe
    with minilm.no_grad():
        ref, got = model(x).numpy(), qmodel(x).numpy()
    assert np.abs(got - ref).max() < 0.3 * np.abs(ref).max()
    # the head reads the quantized table: logits are the final features times it
    with minilm.no_grad():
        h = qmodel.ln_f(qmodel.blocks[0](qmodel.wpe(qmodel.wte(x)), causal=True)).numpy()
    np.testing.assert_allclose(got, h @ qmodel.wte.dequantized_weight().T, rtol=1e-5, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4), st.integers(1, 6), st.sampled_from(["tensor", "channel", "rows"]),
       st.integers(0, 2**31))  # fmt: skip
def test_fake_quantize_is_quantize_then_dequantize_with_a_straight_through_gradient(
    n, m, mode, seed
):
    """Forward: the values the integer model uses. Backward: the straight-through
    estimator, the identity (the true derivative of rounding is 0 almost everywhere,
    so finite differences do not apply): d/dx sum(fq(x) w) = w, and the gradient of
    that with respect to w, against v, is v."""
    import minilm
    from minilm.quantize import fake_quantize

    gen = np.random.default_rng(seed)
    x, w, v = (minilm.tensor(gen.standard_normal((n, m)), requires_grad=True) for _ in range(3))
    y = fake_quantize(x, mode)
    xs = x.numpy()
    axis = {"tensor": None, "channel": 1}
    q, s = quantize_rows(xs) if mode == "rows" else quantize_symmetric(xs, 8, axis[mode])
    np.testing.assert_allclose(y.numpy(), q.astype(np.float64) * s, rtol=1e-6)
    gx = minilm.grad((y * w).sum(), x, create_graph=True)
    np.testing.assert_array_equal(gx.numpy(), w.numpy())
    gw = minilm.grad((gx * v).sum(), w)
    np.testing.assert_array_equal(gw.numpy(), v.numpy())


def test_qat_trains_the_float_weights_and_converts_to_the_model_it_simulated():
    import minilm
    from minilm import optim
    from minilm.models.gpt import GPT, GPTConfig
    from minilm.quantize import QATLinear, prepare_qat, quantize_model
    from minilm.train import fit

    cfg = GPTConfig(vocab_size=13, block_size=8, n_layer=1, n_head=2, n_embd=32)
    gen = np.random.default_rng(2)
    x = minilm.tensor(gen.integers(0, 13, (4, 8)))
    y = minilm.tensor((x.numpy() + 1) % 13)  # a task to learn: the next id
    for scheme in ("int8", "int8-channel", "int4"):
        minilm.manual_seed(2)
        model = GPT(cfg)
        before = {n: p for n, p in model.named_parameters()}
        start = {n: p.numpy().copy() for n, p in before.items()}
        assert prepare_qat(model, scheme) == 4
        assert all(isinstance(b.attn.qkv_proj, QATLinear) for b in model.blocks)
        assert {n: p for n, p in model.named_parameters()} == before  # the same Parameters
        history = fit(model, optim.Adam(model.parameters(), lr=1e-2), [(x, y)], 30,
                      progress=False)  # fmt: skip
        assert history.loss[-1] < 0.5 * history.loss[0], scheme
        changed = [
            n for n, p in model.named_parameters() if not np.array_equal(p.numpy(), start[n])
        ]
        assert "blocks.0.attn.qkv_proj.weight" in changed  # the gradient passed through
        model.eval()
        with minilm.no_grad():
            simulated = model(x).numpy()
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the scheme it was trained for: no warning
            quantize_model(model, scheme, embeddings=False)  # what QAT did not simulate stays
        with minilm.no_grad():
            converted = model(x).numpy()
        np.testing.assert_allclose(
            converted, simulated, rtol=1e-4, atol=1e-4 * np.abs(simulated).max()
        )
    with pytest.raises(ValueError, match="scheme must be one of"):
        prepare_qat(GPT(cfg), "fp8")
    for trained, converted in [("int8", "int4"), ("int4", "int8-channel")]:
        model = GPT(cfg)
        prepare_qat(model, trained)
        with pytest.warns(UserWarning, match=f"trained \\(prepare_qat\\) for \\[\\('{trained}'"):
            quantize_model(model, converted)
    model = GPT(cfg)
    prepare_qat(model, "int4", group_size=16)
    with pytest.warns(UserWarning, match="group_size 32"):
        quantize_model(model, "int4")


def test_weight_only_simulation_is_the_int4_model_and_covers_recurrent_cells():
    import copy

    import minilm
    from minilm.models.gpt import GPT, GPTConfig
    from minilm.models.rnn_lm import RNNLM, RNNLMConfig
    from minilm.quantize import quantize_model, quantize_weights_

    minilm.manual_seed(3)
    gpt = GPT(GPTConfig(vocab_size=13, block_size=8, n_layer=1, n_head=2, n_embd=32))
    x = minilm.tensor(np.random.default_rng(3).integers(0, 13, (2, 8)))
    real, simulated = copy.deepcopy(gpt), copy.deepcopy(gpt)
    real_stats, sim_stats = quantize_model(real, "int4"), quantize_weights_(simulated, "int4")
    assert real_stats == sim_stats  # the same tables, the same bytes
    with minilm.no_grad():  # int4 dequantizes on the fly: the same arithmetic
        np.testing.assert_allclose(simulated(x).numpy(), real(x).numpy(), rtol=1e-5, atol=1e-5)
    rnn = RNNLM(RNNLMConfig(13, cell="lstm", embed_dim=8, hidden_size=16))
    before = {n: p.numpy().copy() for n, p in rnn.named_parameters()}
    stats = quantize_weights_(rnn, "int8-channel")
    for name, p in rnn.named_parameters():
        w = before[name]
        if w.ndim != 2:
            np.testing.assert_array_equal(p.numpy(), w)  # biases stay
            continue
        axis = 0 if name.startswith("embed") else 1
        np.testing.assert_array_equal(p.numpy(), dequantize(*quantize_symmetric(w, 8, axis)))
    assert stats["layers"] == sum(w.ndim == 2 for w in before.values())
    rnn4 = RNNLM(RNNLMConfig(13, cell="lstm", embed_dim=8, hidden_size=16))
    stats = quantize_weights_(rnn4, "int4")  # 8 and 16 inputs: one group of them all
    assert stats["layers"] == sum(p.ndim == 2 for p in rnn4.parameters())
    w_hh = next(p for n, p in rnn4.named_parameters() if p.ndim == 2 and p.shape[0] == 16)
    steps = np.abs(w_hh.numpy()).max(axis=0) / 7  # int4 levels: a multiple of the scale
    np.testing.assert_allclose(w_hh.numpy() / steps, np.rint(w_hh.numpy() / steps), atol=1e-3)
