"""Recurrent cells and layers: each cell against its equations written out in
NumPy, the fast layer's gate Functions against the composed ops, layers against
PyTorch given the same weights, and gradients through time against finite
differences."""

import pytest

import minilm
import minilm.nn as nn
from minilm.backend import np
from minilm.fast.recurrent import GRUGates, LSTMGates, composed_gru, composed_lstm
from minilm.testing import gradcheck, gradgradcheck

F64 = np.float64


def sig(x):
    return 1 / (1 + np.exp(-x))


def t64(a, grad=False):
    return minilm.tensor(np.asarray(a, dtype=F64), requires_grad=grad)


def weights(cell):
    return [p.numpy() for p in (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)]


# ---- cells against their equations ----


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_cell_equation(nonlinearity):
    minilm.manual_seed(0)
    cell = nn.RNNCell(3, 4, nonlinearity=nonlinearity, dtype=F64)
    x, h = (
        np.random.default_rng(1).standard_normal((2, 5, 3)),
        np.random.default_rng(2).standard_normal((5, 4)),
    )
    Wi, Wh, bi, bh = weights(cell)
    pre = x[0] @ Wi + bi + h @ Wh + bh
    want = np.tanh(pre) if nonlinearity == "tanh" else np.maximum(pre, 0)
    np.testing.assert_allclose(cell(t64(x[0]), t64(h)).numpy(), want, rtol=1e-12)


def test_lstm_cell_equation(fast_layer):
    minilm.manual_seed(0)
    H = 4
    cell = nn.LSTMCell(3, H, dtype=F64)
    rng = np.random.default_rng(1)
    x, h, c = rng.standard_normal((5, 3)), rng.standard_normal((5, H)), rng.standard_normal((5, H))
    Wi, Wh, bi, bh = weights(cell)
    a = x @ Wi + bi + h @ Wh + bh
    i, f, g, o = (
        sig(a[:, :H]),
        sig(a[:, H : 2 * H]),
        np.tanh(a[:, 2 * H : 3 * H]),
        sig(a[:, 3 * H :]),
    )
    c_want = f * c + i * g
    h_want = o * np.tanh(c_want)
    h_got, c_got = cell(t64(x), (t64(h), t64(c)))
    np.testing.assert_allclose(c_got.numpy(), c_want, rtol=1e-12)
    np.testing.assert_allclose(h_got.numpy(), h_want, rtol=1e-12)


def test_gru_cell_equation(fast_layer):
    minilm.manual_seed(0)
    H = 4
    cell = nn.GRUCell(3, H, dtype=F64)
    rng = np.random.default_rng(1)
    x, h = rng.standard_normal((5, 3)), rng.standard_normal((5, H))
    Wi, Wh, bi, bh = weights(cell)
    xw, hw = x @ Wi + bi, h @ Wh + bh
    r = sig(xw[:, :H] + hw[:, :H])
    z = sig(xw[:, H : 2 * H] + hw[:, H : 2 * H])
    n = np.tanh(xw[:, 2 * H :] + r * hw[:, 2 * H :])
    np.testing.assert_allclose(cell(t64(x), t64(h)).numpy(), (1 - z) * n + z * h, rtol=1e-12)


def test_cells_start_from_zero_state():
    minilm.manual_seed(0)
    cell = nn.LSTMCell(3, 4, dtype=F64)
    x = t64(np.ones((2, 3)))
    zero = t64(np.zeros((2, 4)))
    h1, c1 = cell(x)
    h2, c2 = cell(x, (zero, zero))
    np.testing.assert_array_equal(h1.numpy(), h2.numpy())


# ---- fused Functions against the composed ops ----


def _agree(fused_fn, composed_fn, arrays):
    ins_a = [t64(a, True) for a in arrays]
    ins_b = [t64(a, True) for a in arrays]
    out_a, out_b = fused_fn(*ins_a), composed_fn(*ins_b)
    np.testing.assert_allclose(out_a.numpy(), out_b.numpy(), rtol=1e-12, atol=1e-14)
    g = t64(np.random.default_rng(9).standard_normal(out_a.shape))
    out_a.backward(g)
    out_b.backward(g)
    for a, b in zip(ins_a, ins_b):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_fused_lstm_gates_match_composed():
    rng = np.random.default_rng(0)
    _agree(LSTMGates.apply, composed_lstm, [3 * rng.standard_normal((4, 12)),
                                             rng.standard_normal((4, 3))])  # fmt: skip


def test_fused_gru_gates_match_composed():
    rng = np.random.default_rng(0)
    _agree(GRUGates.apply, composed_gru, [2 * rng.standard_normal((4, 9)),
                                           2 * rng.standard_normal((4, 9)),
                                           rng.standard_normal((4, 3))])  # fmt: skip


def test_fused_gates_gradcheck_and_second_derivatives():
    rng = np.random.default_rng(0)
    a, c = t64(rng.standard_normal((2, 8)), True), t64(rng.standard_normal((2, 2)), True)
    assert gradcheck(LSTMGates.apply, [a, c])
    assert gradgradcheck(LSTMGates.apply, [a, c])
    xw, hw, h = (t64(rng.standard_normal(s), True) for s in [(2, 6), (2, 6), (2, 2)])
    assert gradcheck(GRUGates.apply, [xw, hw, h])
    assert gradgradcheck(GRUGates.apply, [xw, hw, h])


def test_fused_and_composed_layers_agree():
    for cls in (nn.LSTM, nn.GRU):
        minilm.manual_seed(3)
        a = cls(3, 5, num_layers=2, dtype=F64)
        b = cls(3, 5, num_layers=2, dtype=F64)
        b.load_state_dict(a.state_dict())
        x = np.random.default_rng(0).standard_normal((2, 6, 3))
        xa, xb = t64(x, True), t64(x, True)
        ya, _ = a(xa)
        (ya * ya).sum().backward()
        with minilm.fast.disabled():  # the composed ops, the reference
            yb, _ = b(xb)
            (yb * yb).sum().backward()
        np.testing.assert_allclose(ya.numpy(), yb.numpy(), rtol=1e-12)
        np.testing.assert_allclose(xa.grad.numpy(), xb.grad.numpy(), rtol=1e-9)
        for (n, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-9, err_msg=n)


# ---- gradients through time ----


@pytest.mark.parametrize(
    "cls, kw",
    [(nn.RNN, {}), (nn.LSTM, {}), (nn.GRU, {})],
)  # fmt: skip
def test_gradcheck_through_time(cls, kw, fast_layer):
    minilm.manual_seed(1)
    layer = cls(2, 3, num_layers=2, bidirectional=True, dtype=F64, **kw)
    x = t64(np.random.default_rng(0).standard_normal((2, 4, 2)), True)
    params = list(layer.parameters())

    def f(x, *ps):
        y, state = layer(x)
        h = state[0] if isinstance(state, tuple) else state
        return (y * y).sum() + (h * h).sum()

    assert gradcheck(f, [x, params[0], params[1], params[-1]])


def test_gradgradcheck_lstm_through_time():
    minilm.manual_seed(1)
    layer = nn.LSTM(2, 2, dtype=F64)
    x = t64(np.random.default_rng(0).standard_normal((1, 3, 2)), True)
    assert gradgradcheck(lambda x: layer(x)[0], [x])


# ---- layers: shapes, states, directions, dropout ----


def test_carried_state_equals_one_long_run():
    minilm.manual_seed(0)
    for cls in (nn.RNN, nn.LSTM, nn.GRU):
        layer = cls(3, 4, num_layers=2, dtype=F64)
        x = t64(np.random.default_rng(0).standard_normal((2, 7, 3)))
        y_all, s_all = layer(x)
        y1, s1 = layer(x[:, :3])
        y2, s2 = layer(x[:, 3:], s1)
        np.testing.assert_allclose(
            np.concatenate([y1.numpy(), y2.numpy()], axis=1), y_all.numpy(), rtol=1e-12
        )
        for a, b in zip(
            s2 if isinstance(s2, tuple) else [s2], s_all if isinstance(s_all, tuple) else [s_all]
        ):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)


def test_batch_first_false_is_a_transpose():
    minilm.manual_seed(0)
    a = nn.GRU(3, 4, dtype=F64)
    b = nn.GRU(3, 4, batch_first=False, dtype=F64)
    b.load_state_dict(a.state_dict())
    x = np.random.default_rng(0).standard_normal((2, 5, 3))
    ya, ha = a(t64(x))
    yb, hb = b(t64(x.transpose(1, 0, 2)))
    np.testing.assert_allclose(yb.numpy().transpose(1, 0, 2), ya.numpy(), rtol=1e-12)
    np.testing.assert_allclose(hb.numpy(), ha.numpy(), rtol=1e-12)


def test_bidirectional_reverse_half_reads_backwards():
    """The reverse direction's output at t depends only on x[t:]."""
    minilm.manual_seed(0)
    layer = nn.LSTM(2, 3, bidirectional=True, dtype=F64)
    x = np.random.default_rng(0).standard_normal((1, 5, 2))
    x2 = x.copy()
    x2[:, :2] += 1.0  # change the first two steps only
    y, _ = layer(t64(x))
    y2, _ = layer(t64(x2))
    np.testing.assert_allclose(y.numpy()[:, 2:, 3:], y2.numpy()[:, 2:, 3:], rtol=1e-12)
    assert not np.allclose(y.numpy()[:, 2:, :3], y2.numpy()[:, 2:, :3])


def test_dropout_only_between_layers_and_only_in_training():
    minilm.manual_seed(0)
    x = t64(np.random.default_rng(0).standard_normal((4, 5, 3)))
    one = nn.LSTM(3, 4, dropout=0.5, dtype=F64)
    plain = nn.LSTM(3, 4, dtype=F64)
    plain.load_state_dict(one.state_dict())
    np.testing.assert_array_equal(one(x)[0].numpy(), plain(x)[0].numpy())  # last layer: none
    two = nn.LSTM(3, 4, num_layers=2, dropout=0.5, dtype=F64)
    assert not np.allclose(two(x)[0].numpy(), two(x)[0].numpy())  # fresh masks each call
    two.eval()
    np.testing.assert_array_equal(two(x)[0].numpy(), two(x)[0].numpy())


def test_parameter_names_and_shapes():
    lstm = nn.LSTM(3, 5, num_layers=2, bidirectional=True)
    shapes = {n: p.shape for n, p in lstm.named_parameters()}
    assert shapes["cells.0.weight_ih"] == (3, 20)
    assert shapes["cells.1.weight_ih"] == (10, 20)
    assert shapes["cells_reverse.1.weight_hh"] == (5, 20)
    assert shapes["cells.0.bias_hh"] == (20,)
    assert len(shapes) == 16
    assert nn.GRU(3, 5).cells[0].weight_ih.shape == (3, 15)


def test_bad_input_errors():
    lstm = nn.LSTM(3, 4)
    with pytest.raises(ValueError, match="3-D"):
        lstm(minilm.randn(2, 3))
    with pytest.raises(ValueError, match="input_size=3"):
        lstm(minilm.randn(2, 5, 7))
    with pytest.raises(ValueError, match=r"initial state must have shape \(1, 2, 4\)"):
        lstm(minilm.randn(2, 5, 3), (minilm.zeros(2, 4), minilm.zeros(2, 4)))
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="dropout"):
        nn.GRU(3, 4, dropout=1.0)


def test_long_sequence_backward():
    """Backpropagation through 300 steps: the engine walks the graph iteratively."""
    minilm.manual_seed(0)
    layer = nn.GRU(2, 3)
    x = minilm.randn(1, 300, 2, requires_grad=True)
    y, h = layer(x)
    h.sum().backward()
    assert x.grad.shape == (1, 300, 2) and np.isfinite(x.grad.numpy()).all()


# ---- PyTorch oracle ----


@pytest.mark.parametrize("kind", ["RNN", "RNN_relu", "LSTM", "GRU"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_matches_torch(kind, bidirectional):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    name = kind.split("_")[0]
    extra = {"nonlinearity": "relu"} if kind == "RNN_relu" else {}
    L, D, H, I, B, T = 2, 2 if bidirectional else 1, 4, 3, 2, 5
    ref = getattr(torch.nn, name)(I, H, num_layers=L, bidirectional=bidirectional,
                                  batch_first=True, dtype=torch.float64, **extra)  # fmt: skip
    mine = getattr(nn, name)(I, H, num_layers=L, bidirectional=bidirectional, dtype=F64, **extra)
    for k in range(L):
        for suffix, cells in [("", mine.cells), ("_reverse", mine.cells_reverse)]:
            if cells is None:
                continue
            for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                value = getattr(ref, f"{w}_l{k}{suffix}").detach().numpy()
                getattr(cells[k], w).data[...] = value.T if w.startswith("weight") else value
    rng = np.random.default_rng(0)
    x = rng.standard_normal((B, T, I))
    h0 = rng.standard_normal((L * D, B, H))
    c0 = rng.standard_normal((L * D, B, H))
    xt = torch.tensor(x, requires_grad=True)
    h0t, c0t = torch.tensor(h0, requires_grad=True), torch.tensor(c0, requires_grad=True)
    xm, h0m, c0m = t64(x, True), t64(h0, True), t64(c0, True)
    if name == "LSTM":
        yt, (ht, ct) = ref(xt, (h0t, c0t))
        ym, (hm, cm) = mine(xm, (h0m, c0m))
        np.testing.assert_allclose(cm.numpy(), ct.detach().numpy(), rtol=1e-10)
        loss_t, loss_m = (yt**2).sum() + (ht * ct).sum(), (ym * ym).sum() + (hm * cm).sum()
    else:
        yt, ht = ref(xt, h0t)
        ym, hm = mine(xm, h0m)
        loss_t, loss_m = (yt**2).sum() + (ht**3).sum(), (ym * ym).sum() + (hm * hm * hm).sum()
    np.testing.assert_allclose(ym.numpy(), yt.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(hm.numpy(), ht.detach().numpy(), rtol=1e-10)
    loss_t.backward()
    loss_m.backward()
    np.testing.assert_allclose(xm.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(h0m.grad.numpy(), h0t.grad.numpy(), rtol=1e-9, atol=1e-12)
    if name == "LSTM":
        np.testing.assert_allclose(c0m.grad.numpy(), c0t.grad.numpy(), rtol=1e-9, atol=1e-12)
    for k in range(L):
        for suffix, cells in [("", mine.cells), ("_reverse", mine.cells_reverse)]:
            if cells is None:
                continue
            for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                want = getattr(ref, f"{w}_l{k}{suffix}").grad.numpy()
                got = getattr(cells[k], w).grad.numpy()
                want = want.T if w.startswith("weight") else want
                np.testing.assert_allclose(
                    got, want, rtol=1e-9, atol=1e-12, err_msg=f"{w}_l{k}{suffix}"
                )
