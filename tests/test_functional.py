"""minilm.functional: property tests (forward vs NumPy, first and second
derivatives) plus the properties that define each function."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import minilm
import minilm.functional as F
from minilm.backend import np
from minilm.testing import away_from, floats, op_test, shapes

one = lambda s: (s,)
rows = shapes(min_dims=1).map(one)  # at least one axis: the class/feature axis


def np_log_softmax(x, axis=-1):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def np_softmax(x, axis=-1):
    return np.exp(np_log_softmax(x, axis))


def _axis(in_shapes):
    nd = len(in_shapes[0])
    return st.fixed_dictionaries({"axis": st.integers(-nd, nd - 1)})


test_softmax = op_test(F.softmax, np_softmax, kwargs=_axis, shape=rows)
test_log_softmax = op_test(F.log_softmax, np_log_softmax, kwargs=_axis, shape=rows)


@st.composite
def _mask_kwargs(draw, in_shapes):
    """A mask over the last axis, of the input's shape or broadcast from its
    last axis; some rows may keep nothing."""
    shape = in_shapes[0]
    mask_shape = draw(st.sampled_from([shape, shape[-1:]]))
    flat = draw(
        st.lists(st.booleans(), min_size=math.prod(mask_shape), max_size=math.prod(mask_shape))
    )
    return {"mask": np.array(flat, dtype=bool).reshape(mask_shape)}


def np_masked_softmax(x, mask):
    keep = np.broadcast_to(mask, x.shape)
    return np_softmax(np.where(keep, x, -1e300))


test_masked_softmax = op_test(F.softmax, np_masked_softmax, kwargs=_mask_kwargs, shape=rows)


@st.composite
def _ce_kwargs(draw, in_shapes):
    shape = in_shapes[0]
    C = shape[-1]
    n = int(np.prod(shape[:-1]))
    t = draw(st.lists(st.integers(-1, C - 1), min_size=n, max_size=n))  # -1: ignored
    return {
        "targets": np.array(t, dtype=np.int64).reshape(shape[:-1]),
        "ignore_index": -1,
        "label_smoothing": draw(st.sampled_from([0.0, 0.1])),
        "reduction": draw(st.sampled_from(["mean", "sum", "none"])),
    }


def np_cross_entropy(x, targets, ignore_index, label_smoothing, reduction):
    C = x.shape[-1]
    logp = np_log_softmax(x).reshape(-1, C)
    t = targets.reshape(-1)
    keep = t != ignore_index
    q = np.full(logp.shape, label_smoothing / C)
    q[np.arange(len(t)), np.where(keep, t, 0)] += 1 - label_smoothing
    loss = -(q * logp).sum(-1) * keep
    if reduction == "none":
        return loss.reshape(targets.shape)
    return loss.sum() / max(keep.sum(), 1) if reduction == "mean" else loss.sum()


test_cross_entropy = op_test(F.cross_entropy, np_cross_entropy, kwargs=_ce_kwargs, shape=rows)


def _nll(x, targets, ignore_index, label_smoothing, reduction):
    return F.nll_loss(x, targets, ignore_index=ignore_index, reduction=reduction)


@st.composite
def _nll_kwargs(draw, in_shapes):
    kw = draw(_ce_kwargs(in_shapes))
    kw["label_smoothing"] = 0.0
    return kw


def np_nll(logp, targets, ignore_index, label_smoothing, reduction):
    C = logp.shape[-1]
    t = targets.reshape(-1)
    keep = t != ignore_index
    loss = -logp.reshape(-1, C)[np.arange(len(t)), np.where(keep, t, 0)] * keep
    if reduction == "none":
        return loss.reshape(targets.shape)
    return loss.sum() / max(keep.sum(), 1) if reduction == "mean" else loss.sum()


test_nll_loss = op_test(_nll, np_nll, kwargs=_nll_kwargs, shape=rows)
test_mse_loss = op_test(F.mse_loss, lambda a, b: ((a - b) ** 2).mean(), nargs=2)


def np_bce_logits(x, y):
    p = 1 / (1 + np.exp(-x))
    return (-(y * np.log(p) + (1 - y) * np.log(1 - p))).mean()


test_bce_with_logits = op_test(
    F.binary_cross_entropy_with_logits, np_bce_logits, nargs=2, elements=[floats(), floats(0, 1)]
)
test_bce_with_logits_pos_weight = op_test(
    lambda x, y: F.binary_cross_entropy_with_logits(x, y, pos_weight=2.0),
    lambda x, y: (
        -(2.0 * y * np.log(1 / (1 + np.exp(-x))) + (1 - y) * np.log(1 - 1 / (1 + np.exp(-x))))
    ).mean(),
    nargs=2,
    elements=[floats(), floats(0, 1)],
)
test_bce_probs = op_test(
    F.binary_cross_entropy,
    lambda p, y: (-(y * np.log(p) + (1 - y) * np.log(1 - p))).mean(),
    nargs=2,
    elements=[floats(0.05, 0.95), floats(0, 1)],
)

_erf = np.frompyfunc(math.erf, 1, 1)
test_gelu = op_test(F.gelu, lambda x: 0.5 * x * (1 + np.asarray(_erf(x / math.sqrt(2)), float)))
test_gelu_tanh = op_test(
    lambda x: F.gelu(x, approximate="tanh"),
    lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
)
test_leaky_relu = op_test(
    lambda x: F.leaky_relu(x, 0.1), lambda x: np.where(x > 0, x, 0.1 * x), elements=away_from(0.0)
)


@st.composite
def _ln_shapes(draw):
    s = draw(shapes(min_dims=1, min_side=2))
    return s, s[-1:], s[-1:]


test_layer_norm = op_test(
    lambda x, w, b: F.layer_norm(x, w, b),
    lambda x, w, b: (
        (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5) * w + b
    ),
    nargs=3,
    shape=_ln_shapes(),
    atol=1e-4,
)


@st.composite
def _emb_kwargs(draw, in_shapes):
    V = in_shapes[0][0]
    idx = draw(st.lists(st.integers(0, V - 1), min_size=1, max_size=6))
    return {"indices": np.array(idx).reshape(draw(st.sampled_from([(-1,), (1, -1)])))}


test_embedding = op_test(
    lambda w, indices: F.embedding(indices, w),
    lambda w, indices: w[indices],
    kwargs=_emb_kwargs,
    shape=shapes(min_dims=2, max_dims=2).map(one),
)


@st.composite
def _linear_shapes(draw):
    lead = draw(shapes(max_dims=2))
    i, o = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    return (*lead, i), (i, o), (o,)


test_linear = op_test(F.linear, lambda x, w, b: x @ w + b, nargs=3, shape=_linear_shapes())


@st.composite
def _conv_case(draw):
    N, C, O, K = (draw(st.integers(1, 3)) for _ in range(4))
    L = draw(st.integers(K, K + 4))
    return (N, C, L), (O, C, K), (O,)


def np_conv1d(x, w, b, stride, padding):
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding)))
    N, C, L = x.shape
    O, _, K = w.shape
    L_out = (L - K) // stride + 1
    out = np.zeros((N, O, L_out))
    for n in range(N):
        for o in range(O):
            for t in range(L_out):
                out[n, o, t] = (x[n, :, t * stride : t * stride + K] * w[o]).sum() + b[o]
    return out


test_conv1d = op_test(
    F.conv1d,
    np_conv1d,
    nargs=3,
    shape=_conv_case(),
    kwargs=lambda s: st.fixed_dictionaries(
        {"stride": st.integers(1, 2), "padding": st.integers(0, 2)}
    ),
)


@st.composite
def _conv2d_case(draw):
    N, C, O = (draw(st.integers(1, 2)) for _ in range(3))
    kH, kW = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    H, W = draw(st.integers(kH, kH + 3)), draw(st.integers(kW, kW + 3))  # often not square
    return (N, C, H, W), (O, C, kH, kW), (O,)


def _as_pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def np_conv2d(x, w, b, stride, padding):
    """Cross-correlation the slow way: one dot product per output position."""
    (sh, sw), (ph, pw) = _as_pair(stride), _as_pair(padding)
    x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    N, C, H, W = x.shape
    O, _, kH, kW = w.shape
    out = np.zeros((N, O, (H - kH) // sh + 1, (W - kW) // sw + 1))
    for n in range(N):
        for o in range(O):
            for i in range(out.shape[2]):
                for j in range(out.shape[3]):
                    window = x[n, :, i * sh : i * sh + kH, j * sw : j * sw + kW]
                    out[n, o, i, j] = (window * w[o]).sum() + b[o]
    return out


def _int_or_pair(lo, hi):
    side = st.integers(lo, hi)
    return side | st.tuples(side, side)


test_conv2d = op_test(
    F.conv2d,
    np_conv2d,
    nargs=3,
    shape=_conv2d_case(),
    kwargs=lambda s: st.fixed_dictionaries(
        {"stride": _int_or_pair(1, 3), "padding": _int_or_pair(0, 2)}
    ),
)


@st.composite
def _attn_shapes(draw):
    batch = draw(shapes(max_dims=2, max_side=2))
    T, S, d, dv = (draw(st.integers(1, 4)) for _ in range(4))
    return (*batch, T, d), (*batch, S, d), (*batch, S, dv)


def np_attention(q, k, v, mask=None, causal=False):
    s = q @ np.swapaxes(k, -1, -2) / math.sqrt(q.shape[-1])
    T, S = s.shape[-2:]
    allowed = np.ones(s.shape, bool)
    if mask is not None:
        allowed &= mask
    if causal:
        allowed &= np.tril(np.ones((T, S), bool), k=S - T)
    s = np.where(allowed, s, -1e300)
    return np_softmax(s) @ v


@st.composite
def _attn_kwargs(draw, in_shapes):
    T, S = in_shapes[0][-2], in_shapes[1][-2]
    flat = draw(st.lists(st.booleans(), min_size=T * S, max_size=T * S))
    mask = np.array(flat).reshape(T, S)
    mask[:, 0] = True  # every query may see at least one key
    return {"mask": draw(st.sampled_from([None, mask])), "causal": draw(st.booleans())}


test_attention = op_test(
    F.scaled_dot_product_attention, np_attention, nargs=3, shape=_attn_shapes(), kwargs=_attn_kwargs
)


# ---- defining properties ----


@given(st.lists(floats(-1e4, 1e4), min_size=1, max_size=8))
def test_softmax_rows_sum_to_one(values):
    p = F.softmax(minilm.tensor([values])).numpy()
    assert np.all(p >= 0) and abs(p.sum() - 1) < 1e-5


@pytest.mark.parametrize("scale", [1e4, -1e4])
def test_losses_finite_on_extreme_logits(scale):
    logits = minilm.tensor([[scale, 0.0, -scale], [0.0, scale, 1.0]], requires_grad=True)
    t = minilm.tensor([2, 0])
    assert np.all(np.isfinite(F.log_softmax(logits).numpy()))
    loss = F.cross_entropy(logits, t)
    loss.backward()
    assert np.isfinite(loss.item()) and np.all(np.isfinite(logits.grad.numpy()))
    bce = F.binary_cross_entropy_with_logits(logits, minilm.ones(2, 3))
    assert np.isfinite(bce.item())


def test_float16_mean_cross_entropy_over_many_rows_keeps_its_gradient():
    """The mean divides by the number of rows; in float16 a count past 65504
    would be inf, so the scale 1/count is computed first, then cast."""
    n = 70_000
    x = minilm.tensor(np.zeros((n, 2), np.float16), requires_grad=True)
    F.cross_entropy(x, minilm.tensor(np.zeros(n, np.int64))).backward()
    np.testing.assert_allclose(
        x.grad.numpy()[0].astype(np.float64), [-0.5 / n, 0.5 / n], rtol=1e-2
    )  # float16 subnormals


def test_fused_cross_entropy_equals_composed():
    x = minilm.randn(5, 7, dtype="float64")
    t = minilm.tensor([0, 6, 3, 3, 1])
    fused = F.cross_entropy(x, t).item()
    composed = F.nll_loss(F.log_softmax(x), t).item()
    assert abs(fused - composed) < 1e-12


def test_dropout_scales_and_is_identity_in_eval():
    x = minilm.ones(20000)
    y = F.dropout(x, 0.25, training=True).numpy()
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((y == 0).mean() - 0.25) < 0.02
    assert F.dropout(x, 0.25, training=False) is x
    with pytest.raises(ValueError, match="dropout probability"):
        F.dropout(x, 1.0)


def test_causal_softmax_skips_the_masking_pass_only_where_no_row_is_empty():
    """With a causal mask and S >= T every query keeps key 0, so the weights are
    exactly 0 where masked and the plain softmax gradient is already 0 there."""
    rng = np.random.default_rng(0)
    for T, S in [(4, 4), (3, 5), (5, 3)]:
        q, k, v = (minilm.tensor(rng.standard_normal(s), requires_grad=True)
                   for s in [(2, T, 4), (2, S, 4), (2, S, 3)])  # fmt: skip
        F.scaled_dot_product_attention(q, k, v, causal=True).sum().backward()
        with_mask = [t.grad.numpy().copy() for t in (q, k, v)]
        q2, k2, v2 = (minilm.tensor(t.numpy(), requires_grad=True) for t in (q, k, v))
        np_mask = np.tril(np.ones((T, S), bool), k=S - T)  # the same mask, given by hand
        F.scaled_dot_product_attention(q2, k2, v2, mask=np_mask).sum().backward()
        for a, b in zip(with_mask, (q2.grad, k2.grad, v2.grad)):
            np.testing.assert_allclose(a, b.numpy(), rtol=1e-12, atol=1e-12)
        if S < T:  # rows with no key: nothing flows back through their scores
            assert np.abs(with_mask[0][:, : T - S]).max() == 0


def test_attention_weights_sum_to_one_over_unmasked_keys():
    q, k, v = (minilm.randn(2, 4, 8) for _ in range(3))
    _, w = F.scaled_dot_product_attention(q, k, v, causal=True, return_weights=True)
    w = w.numpy()
    np.testing.assert_allclose(w.sum(-1), 1, rtol=1e-6)
    assert np.all(w[:, np.triu_indices(4, 1)[0], np.triu_indices(4, 1)[1]] == 0)


def test_causal_attention_leaks_no_future():
    q, k, v = (minilm.randn(1, 5, 4, dtype="float64") for _ in range(3))
    base = F.scaled_dot_product_attention(q, k, v, causal=True).numpy()
    k2, v2 = k.numpy().copy(), v.numpy().copy()
    k2[:, 3:] += 10.0
    v2[:, 3:] -= 7.0
    moved = F.scaled_dot_product_attention(q, minilm.tensor(k2), minilm.tensor(v2), causal=True)
    np.testing.assert_allclose(moved.numpy()[:, :3], base[:, :3], rtol=1e-12)


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match=r"cross_entropy: logits \(2, 3\) need targets"):
        F.cross_entropy(minilm.zeros(2, 3), minilm.tensor([0, 1, 2]))
    with pytest.raises(TypeError, match="integer class indices"):
        F.cross_entropy(minilm.zeros(2, 3), minilm.zeros(2))
    with pytest.raises(IndexError, match="target 3 is out of range for 3 classes"):
        F.cross_entropy(minilm.zeros(2, 3), minilm.tensor([0, 3]))
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.mse_loss(minilm.zeros(2), minilm.zeros(2), reduction="avg")
    with pytest.raises(IndexError, match="out of range for a table of 4 rows"):
        F.embedding(minilm.tensor([4]), minilm.zeros(4, 2))
    with pytest.raises(ValueError, match="linear: input has 3 features"):
        F.linear(minilm.zeros(2, 3), minilm.zeros(4, 5))


def test_conv2d_bad_inputs_are_named():
    x, w = minilm.zeros(1, 2, 5, 4), minilm.zeros(3, 2, 3, 3)
    with pytest.raises(ValueError, match=r"x must be \(N, C_in, H, W\), got shape \(2, 5, 4\)"):
        F.conv2d(minilm.zeros(2, 5, 4), w)
    with pytest.raises(ValueError, match="for a single image add a batch axis"):
        F.conv2d(minilm.zeros(5, 4), w)
    with pytest.raises(ValueError, match=r"weight must be \(C_out, C_in, kH, kW\).*\(3, 2, 3\)"):
        F.conv2d(x, minilm.zeros(3, 2, 3))
    with pytest.raises(ValueError, match=r"kH, kW >= 1, got shape \(3, 2, 0, 3\)"):
        F.conv2d(x, minilm.zeros(3, 2, 0, 3))
    with pytest.raises(ValueError, match=r"has 2 channels \(axis 1\) but weight .* C_in = 4"):
        F.conv2d(x, minilm.zeros(3, 4, 3, 3))
    with pytest.raises(ValueError, match=r"bias must be \(C_out,\) = \(3,\), got shape \(2,\)"):
        F.conv2d(x, w, minilm.zeros(2))
    for bad in (0, (1, 0), (1, 2, 3), 1.5, True, "2", None):
        with pytest.raises(ValueError, match=r"conv2d: stride must be an int >= 1 or a \(height"):
            F.conv2d(x, w, stride=bad)
    with pytest.raises(ValueError, match=r"conv2d: padding must be an int >= 0 .* got \(0, -1\)"):
        F.conv2d(x, w, padding=(0, -1))
    with pytest.raises(ValueError, match=r"\(3, 5\) is bigger than the padded input \(5, 4\)"):
        F.conv2d(x, minilm.zeros(3, 2, 3, 5))
    assert F.conv2d(x, minilm.zeros(3, 2, 3, 5), padding=(0, 1)).shape == (1, 3, 3, 2)
    assert F.conv2d(x, w, stride=np.int64(2), padding=[1, np.int64(0)]).shape == (1, 3, 3, 1)
