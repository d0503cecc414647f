"""Mixed precision (minilm.precision, fit(precision=...)): the rounding is float16's
and bfloat16's, autocast rounds where a GPU would, the loss scaler follows its rule,
and fit trains, skips overflowed steps and resumes exactly under fp16."""

import math

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minilm
import minilm.functional as F
import minilm.nn as nn
import minilm.optim as optim
from minilm.models.gpt import GPT, GPTConfig
from minilm.precision import (
    LossScaler,
    autocast,
    gradient_underflow,
    round_array,
    round_to,
    scaler_update,
)
from minilm.train import NonFiniteError, cross_entropy_loss, fit

BF16 = np.dtype(ml_dtypes.bfloat16)


def bf16_by_bits(x: np.ndarray) -> np.ndarray:
    """bfloat16 rounding written out on float32 bits: keep the top 16 bits, round
    to nearest, ties to even (finite inputs)."""
    u = x.astype(np.float32).view(np.uint32).astype(np.uint64)
    lsb = (u >> 16) & 1
    u = ((u + 0x7FFF + lsb) >> 16) << 16
    return (u & 0xFFFFFFFF).astype(np.uint32).view(np.float32)


floats32 = st.floats(width=32, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(floats32, min_size=1, max_size=30))
def test_bfloat16_rounding_is_round_to_nearest_even_on_the_bits(values):
    x = np.array(values, dtype=np.float32)
    got = round_array(x, BF16)
    want = bf16_by_bits(x)
    finite = np.isfinite(want)
    np.testing.assert_array_equal(got[finite], want[finite])
    assert got.dtype == np.float32


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=-6e4, max_value=6e4), min_size=1, max_size=30))
def test_float16_rounding_is_the_nearest_float16(values):
    x = np.array(values, dtype=np.float32)
    got = round_array(x, np.float16)
    # the nearest of the two float16 neighbours of each value
    for v, r in zip(x.astype(np.float64), got.astype(np.float64)):
        lo = np.float16(v)
        cands = {float(lo), float(np.nextafter(lo, np.float16(np.inf))),
                 float(np.nextafter(lo, np.float16(-np.inf)))}  # fmt: skip
        best = min(abs(c - v) for c in cands)
        assert abs(r - v) == best


def test_float16_range_overflows_to_inf_and_underflows_to_zero():
    x = np.array([70000.0, 65504.0, 1e-8, 2.9e-8, 6e-8, 1e-4], dtype=np.float32)
    r = round_array(x, np.float16)
    assert r[0] == np.inf and r[1] == 65504.0
    assert r[2] == 0.0 and r[3] == 0.0  # below half the smallest subnormal, 2**-24 / 2
    assert r[4] == 2.0**-24  # the smallest subnormal
    assert abs(r[5] - 1e-4) < 1e-7


def test_round_to_passes_the_gradient_rounded_and_is_differentiable():
    x = minilm.tensor([1e-9, 0.5, 3.0], requires_grad=True)
    y = round_to(x, "fp16")
    y.backward(minilm.tensor([1e-9, 1.0 + 2**-12, 7e4]))
    # the incoming gradient is rounded to float16: 1e-9 underflows, 1 + 2**-12 loses its tail
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, np.inf])
    x = minilm.tensor([0.25, 2.0], requires_grad=True)
    g = minilm.grad(round_to(x * x, "bf16").sum(), x, create_graph=True)
    np.testing.assert_allclose(g.numpy(), [0.5, 4.0])  # straight through: d(x^2) = 2x
    h = minilm.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), [2.0, 2.0])


def test_autocast_rounds_a_matmuls_operands_and_result():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((5, 7)).astype(np.float32), rng.standard_normal((7, 3))
    b = b.astype(np.float32)
    with autocast("fp16"):
        got = (minilm.tensor(a) @ minilm.tensor(b)).numpy()
    want = a.astype(np.float16).astype(np.float32) @ b.astype(np.float16).astype(np.float32)
    np.testing.assert_array_equal(got, want.astype(np.float16).astype(np.float32))
    plain = (minilm.tensor(a) @ minilm.tensor(b)).numpy()  # outside: untouched
    np.testing.assert_allclose(plain, a @ b, rtol=1e-6)
    assert not np.array_equal(plain, got)


def test_autocast_linear_with_real_float16_arrays_keeps_softmax_and_loss_in_float32():
    layer = nn.Linear(4, 3)
    x = minilm.randn(2, 4)
    with autocast("fp16", emulate=False):
        y = layer(x)
        p = F.softmax(y)
        loss = F.cross_entropy(y, minilm.tensor([0, 2]))
    assert y.dtype == np.float16
    assert p.dtype == np.float32 and loss.dtype == np.float32
    loss.backward()
    assert layer.weight.grad.dtype == np.float32  # the master weight's gradient


def test_bf16_with_real_arrays_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="CuPy has no bfloat16"):
        with autocast("bf16", emulate=False):
            pass
    with pytest.raises(ValueError, match="precision must be one of"):
        with autocast("fp8"):
            pass


def tiny_gpt(seed=0):
    minilm.manual_seed(seed)
    return GPT(GPTConfig(vocab_size=11, block_size=8, n_layer=1, n_head=2, n_embd=16))


def test_emulated_and_real_float16_agree_on_a_gpt():
    model = tiny_gpt()
    x = minilm.tensor(np.random.default_rng(1).integers(0, 11, (4, 8)))
    y = minilm.tensor(np.random.default_rng(2).integers(0, 11, (4, 8)))
    losses = []
    for emulate in (True, False):
        with autocast("fp16", emulate=emulate):
            losses.append(cross_entropy_loss(model, (x, y)).item())
    ref = cross_entropy_loss(model, (x, y)).item()
    assert abs(losses[0] - losses[1]) < 5e-3  # elementwise ops round too with real arrays
    assert abs(losses[0] - ref) < 5e-3


def test_scaler_update_rule():
    assert scaler_update(1024.0, 7, True) == (512.0, 0)
    assert scaler_update(1024.0, 998, False) == (1024.0, 999)
    assert scaler_update(1024.0, 999, False) == (2048.0, 0)
    assert scaler_update(8.0, 2, False, growth_factor=4.0, growth_interval=3) == (32.0, 0)
    s = LossScaler(init_scale=4.0, growth_interval=1, dynamic=False)
    s.update(True)
    assert s.scale_value == 4.0  # a fixed scale stays
    with pytest.raises(ValueError, match="init_scale"):
        LossScaler(init_scale=0.0)


def test_unscale_finds_overflow_and_divides():
    p = nn.Parameter(minilm.zeros(3))
    p.grad = minilm.tensor([2.0, 4.0, 8.0])
    s = LossScaler(init_scale=2.0)
    assert s.unscale_([p]) is False
    np.testing.assert_array_equal(p.grad.numpy(), [1.0, 2.0, 4.0])
    p.grad = minilm.tensor([1.0, np.inf, 0.0])
    assert s.unscale_([p]) is True
    s2 = LossScaler()
    s2.load_state_dict(s.state_dict())
    assert s2.scale_value == s.scale_value


def xor_setup(seed=0):
    X = minilm.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = minilm.tensor([0, 1, 1, 0])
    minilm.manual_seed(seed)
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
    return model, optim.Adam(model.parameters(), lr=0.05), [(X, y)]


@pytest.mark.parametrize("precision", ["fp16", "bf16"])
def test_fit_trains_in_low_precision(precision):
    model, opt, data = xor_setup()
    hist = fit(model, opt, data, steps=200, progress=False, precision=precision)
    assert hist.loss[-1] < 0.05
    assert all(p.dtype == np.float32 for p in model.parameters())  # master weights
    assert (precision == "fp16") == bool(hist.loss_scale)


def test_fit_skips_overflowed_steps_and_halves_the_scale():
    model, opt, data = xor_setup()
    before = [p.numpy().copy() for p in model.parameters()]
    big = lambda m, b: cross_entropy_loss(m, b) * 1e4  # scaled by 65536: overflows float16
    hist = fit(model, opt, data, steps=12, loss_fn=big, progress=False, precision="fp16")
    assert hist.overflows[:1] == [1]
    k = len(hist.overflows)
    assert hist.overflows == list(range(1, k + 1))  # the first k steps, then it fits
    assert hist.loss_scale[: k + 1] == [2.0**16 * 0.5**i for i in range(k + 1)]
    assert 0 < k < 12 and not hist.skipped
    # the skipped steps changed nothing: k steps from the start leave the weights as they were
    model2, opt2, _ = xor_setup()
    fit(model2, opt2, data, steps=k, loss_fn=big, progress=False, precision="fp16")
    for p, b in zip(model2.parameters(), before):
        np.testing.assert_array_equal(p.numpy(), b)
    assert not all(np.array_equal(p.numpy(), b) for p, b in zip(model.parameters(), before))


def test_a_fixed_loss_scale_leaves_overflows_to_the_guard():
    """A fixed scale cannot adapt: an overflow raises (or is skipped with
    on_nonfinite='skip'), never skipped silently on every step."""
    big = lambda m, b: cross_entropy_loss(m, b) * 1e6
    model, opt, data = xor_setup()
    with pytest.raises(NonFiniteError, match="fixed loss scale of 1"):
        fit(model, opt, data, steps=3, loss_fn=big, progress=False, precision="fp16",
            loss_scale=1.0)  # fmt: skip
    model, opt, data = xor_setup()
    hist = fit(model, opt, data, steps=3, loss_fn=big, progress=False, precision="fp16",
               loss_scale=1.0, on_nonfinite="skip")  # fmt: skip
    assert hist.skipped == [1, 2, 3] and hist.overflows == []
    assert hist.loss_scale == [1.0, 1.0, 1.0]


def test_fit_takes_a_loss_scaler_of_your_own():
    model, opt, data = xor_setup()
    scaler = LossScaler(init_scale=4.0, growth_interval=2)
    hist = fit(model, opt, data, steps=5, progress=False, precision="fp16", loss_scale=scaler)
    assert hist.loss_scale == [4.0, 4.0, 8.0, 8.0, 16.0]


def test_rounding_a_scalar_and_a_vector_product():
    x = minilm.tensor(np.float32(1.0 + 2**-12))
    assert round_to(x, "fp16").item() == 1.0
    with autocast("fp16"):
        assert (minilm.tensor([1.0, 2.0**-12]) @ minilm.tensor([1.0, 1.0])).item() == 1.0
    from minilm.precision import describe

    assert "refused" in describe("bf16", "cuda")


def test_fp16_resume_is_exact(tmp_path):
    def run(steps, path, resume):
        model, opt, data = xor_setup()
        big = lambda m, b: cross_entropy_loss(m, b) * 1e3
        hist = fit(model, opt, data, steps=steps, loss_fn=big, progress=False,
                   precision="fp16", checkpoint_path=path, resume=resume)  # fmt: skip
        return model, hist

    full, hist_full = run(10, tmp_path / "a.ckpt", False)
    run(4, tmp_path / "b.ckpt", False)
    part, hist_part = run(10, tmp_path / "b.ckpt", True)
    for p, q in zip(full.parameters(), part.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy())
    assert hist_full.loss_scale == hist_part.loss_scale
    assert hist_full.overflows == hist_part.overflows


def test_fit_rejects_bad_precision_arguments():
    model, opt, data = xor_setup()
    with pytest.raises(ValueError, match="precision must be one of"):
        fit(model, opt, data, steps=1, progress=False, precision="half")
    with pytest.raises(ValueError, match="loss_scale is for precision='fp16'"):
        fit(model, opt, data, steps=1, progress=False, loss_scale=128.0)
    with pytest.raises(ValueError, match="'dynamic', a positive number or a LossScaler"):
        fit(model, opt, data, steps=1, progress=False, precision="fp16", loss_scale="big")


def test_gradient_underflow_is_what_loss_scaling_fixes():
    model = tiny_gpt()
    model.eval()
    gen = np.random.default_rng(0)
    batch = (minilm.tensor(gen.integers(0, 11, (8, 8))), minilm.tensor(gen.integers(0, 11, (8, 8))))
    tiny = lambda m, b: cross_entropy_loss(m, b) * 2.0**-20  # a very large batch's gradients
    unscaled = gradient_underflow(model, tiny, batch, "fp16", 1.0)
    scaled = gradient_underflow(model, tiny, batch, "fp16", 2.0**20)
    assert unscaled["underflow"] > 0.3
    assert scaled["underflow"] < 0.01 and scaled["rel_error"] < 0.05
    bf16 = gradient_underflow(model, tiny, batch, "bf16", 1.0)  # float32's range
    assert bf16["underflow"] < 0.01
    assert all(p.grad is None for p in model.parameters())
    assert math.isfinite(unscaled["rel_error"])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(width=32, allow_nan=False), min_size=1, max_size=40),
       st.integers(-30, 20))  # fmt: skip
def test_the_fast_float16_rounding_is_the_cast_bit_for_bit(values, exponent):
    x = np.array(values, dtype=np.float32) * np.float32(2.0**exponent)
    got = round_to(minilm.tensor(x), "fp16").numpy()  # the fast layer's, on float32
    want = round_array(x, np.float16)
    np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3), st.sampled_from(["fp16", "bf16"]),
       st.integers(0, 2**31))  # fmt: skip
def test_round_to_derivatives_over_random_shapes(shape, prec, seed):
    """RoundTo's derivative is the rounded incoming gradient (straight through; the
    true derivative of rounding is 0 almost everywhere, so finite differences do not
    apply). First derivative: d/dx sum(round(x) w) = round(w); second: the
    gradient of that with respect to w, against v, is round(v)."""
    gen = np.random.default_rng(seed)

    def draw():
        values = gen.standard_normal(shape) * 10.0 ** gen.integers(-9, 3, shape)
        return minilm.tensor(values.astype(np.float32), requires_grad=True)

    x, w, v = draw(), draw(), draw()
    low = np.float16 if prec == "fp16" else BF16
    gx = minilm.grad((round_to(x, prec) * w).sum(), x, create_graph=True)
    np.testing.assert_array_equal(gx.numpy(), round_array(w.numpy(), low))
    gw = minilm.grad((gx * v).sum(), w)
    np.testing.assert_array_equal(gw.numpy(), round_array(v.numpy(), low))
