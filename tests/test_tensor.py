"""The engine: creation, backward/grad semantics, higher derivatives, deep
graphs, and the errors a user meets."""

import pytest

import minilm
from minilm import backend
from minilm.backend import np
from minilm.testing import gradcheck

# ---- creation and conversion ----


def test_default_dtypes():
    assert minilm.tensor([1.0, 2.0]).dtype == np.float32
    assert minilm.tensor([1, 2]).dtype == np.int64
    assert minilm.tensor(np.zeros(2)).dtype == np.float64  # arrays keep their dtype
    assert minilm.zeros(2, 3).shape == (2, 3) and minilm.ones((2,)).dtype == np.float32
    assert minilm.arange(5).tolist() == [0, 1, 2, 3, 4]


def test_python_scalars_keep_float32():
    x = minilm.ones(3)
    assert (x * 2.5).dtype == np.float32 and (1.0 - x).dtype == np.float32


def test_numpy_item_to(device):
    x = minilm.tensor([[1.0, 2.0]], device=device)
    assert x.device == device
    assert isinstance(x.numpy(), np.ndarray) and x.numpy().tolist() == [[1.0, 2.0]]
    assert x.sum().item() == 3.0
    assert x.to("cpu").device == "cpu" and x.to(device).device == device


def test_manual_seed_reproduces(device):
    minilm.manual_seed(7)
    a = minilm.randn(3, device=device).numpy()
    minilm.manual_seed(7)
    assert np.array_equal(a, minilm.randn(3, device=device).numpy())


# ---- backward and grad ----


def test_grad_and_backward_agree():
    x = minilm.randn(3, 4, dtype="float64", requires_grad=True)
    w = minilm.randn(4, 2, dtype="float64", requires_grad=True)
    loss = (x @ w).tanh().sum()
    gx, gw = minilm.grad(loss, [x, w], retain_graph=True)
    assert x.grad is None  # grad() leaves .grad alone
    loss.backward()
    np.testing.assert_array_equal(gx.numpy(), x.grad.numpy())
    np.testing.assert_array_equal(gw.numpy(), w.grad.numpy())


def test_gradients_accumulate():
    x = minilm.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    assert x.grad.tolist() == [3 + 2, 3 + 4]


def test_shared_subexpression_gets_both_paths():
    x = minilm.tensor(2.0, requires_grad=True)
    y = x * x
    (y + y * 3).backward()  # d/dx 4x^2 = 8x
    assert x.grad.item() == 16.0


def test_no_grad_builds_no_graph():
    x = minilm.ones(3, requires_grad=True)
    with minilm.no_grad():
        y = (x * 2).exp()
    assert not y.requires_grad and y._ctx is None
    assert (x * 2).requires_grad


def test_detach_cuts_the_graph():
    x = minilm.ones(2, requires_grad=True)
    y = (x * 2).detach()
    assert not y.requires_grad and y.is_leaf


def test_hundred_thousand_op_chain():
    x = minilm.tensor(1.0, dtype="float64", requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0


def test_second_and_third_derivatives():
    x = minilm.tensor(0.7, dtype="float64", requires_grad=True)
    y = x.tanh()
    (d1,) = minilm.grad(y, [x], create_graph=True)
    (d2,) = minilm.grad(d1, [x], create_graph=True)
    (d3,) = minilm.grad(d2, [x])
    t = np.tanh(0.7)
    assert np.isclose(d1.item(), 1 - t**2)
    assert np.isclose(d2.item(), -2 * t * (1 - t**2))
    assert np.isclose(d3.item(), -2 * (1 - t**2) ** 2 + 4 * t**2 * (1 - t**2))


def test_hessian_vector_product():
    """For f(x) = sum(exp(A x)) the Hessian is A^T diag(exp(Ax)) A; compare H v."""
    rng = np.random.default_rng(0)
    A = minilm.tensor(rng.standard_normal((4, 3)))
    x = minilm.tensor(rng.standard_normal(3), requires_grad=True)
    v = minilm.tensor(rng.standard_normal(3))
    f = (A @ x).exp().sum()
    (g,) = minilm.grad(f, [x], create_graph=True)
    (hv,) = minilm.grad((g * v).sum(), [x])
    a, xv = A.numpy(), x.numpy()
    H = a.T @ np.diag(np.exp(a @ xv)) @ a
    np.testing.assert_allclose(hv.numpy(), H @ v.numpy(), rtol=1e-10)


def test_gradient_of_gradient_norm_matches_finite_differences():
    """The WGAN-GP penalty (||d D(x) / dx|| - 1)^2 differentiated w.r.t. D's weights."""
    rng = np.random.default_rng(1)
    x = minilm.tensor(rng.standard_normal((5, 2)), requires_grad=True)
    w1 = minilm.tensor(rng.standard_normal((2, 8)), requires_grad=True)
    w2 = minilm.tensor(rng.standard_normal((8, 1)), requires_grad=True)

    def penalty(w1, w2):
        d = ((x @ w1).tanh() @ w2).sum()
        (gx,) = minilm.grad(d, [x], create_graph=True)
        norm = ((gx * gx).sum(axis=1) + 1e-12).sqrt()
        return ((norm - 1) ** 2).mean()

    assert gradcheck(penalty, [w1, w2])


def test_unbroadcast_sums_to_input_shape():
    a = minilm.ones(3, 1, requires_grad=True)
    b = minilm.ones(4, requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.shape == (3, 1) and a.grad.tolist() == [[4.0]] * 3
    assert b.grad.shape == (4,) and b.grad.tolist() == [3.0] * 4


def test_leaf_grad_is_writable():
    x = minilm.ones(3, requires_grad=True)
    x.sum().backward()
    x.grad.data *= 2  # optimizers update grads in place
    assert x.grad.tolist() == [2.0, 2.0, 2.0]


# ---- errors ----


def test_matmul_shape_mismatch_is_named():
    with pytest.raises(ValueError, match=r"matmul: shapes \(3, 4\) and \(5, 6\) do not align"):
        minilm.zeros(3, 4) @ minilm.zeros(5, 6)


def test_non_broadcastable_shapes_are_named():
    with pytest.raises(ValueError, match=r"add: .*\(2, 3\).*\(4,\)"):
        minilm.zeros(2, 3) + minilm.zeros(4)


def test_backward_on_non_scalar_needs_grad():
    y = minilm.ones(2, 3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"output has shape \(2, 3\).*y.sum\(\).backward\(\)"):
        y.backward()
    y.backward(minilm.ones(2, 3))  # with a gradient it works


def test_second_backward_through_freed_graph():
    x = minilm.ones(2, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="already freed.*retain_graph=True"):
        y.backward()
    z = (x * x).sum()
    z.backward(retain_graph=True)
    z.backward()  # kept, so this works
    assert x.grad.tolist() == [2.0 + 2.0 + 2.0] * 2


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(TypeError, match="only floating-point tensors.*int64"):
        minilm.tensor([1, 2], requires_grad=True)


def test_device_mixing_names_both_devices(monkeypatch):
    """Without a GPU, fake CuPy and one tensor's device to check the message."""
    a, b = minilm.ones(2), minilm.ones(2)
    real = backend.device_of
    fake_cupy = type("FakeCuPy", (), {"ndarray": type("FakeArray", (), {})})
    monkeypatch.setattr(backend, "cp", fake_cupy)
    monkeypatch.setattr(backend, "device_of", lambda arr: "cuda" if arr is b.data else real(arr))
    with pytest.raises(RuntimeError, match=r"mul: inputs are on different devices.*cpu.*cuda"):
        a * b


def test_unknown_device():
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        minilm.zeros(2, device="tpu")


@pytest.mark.skipif(minilm.cuda.is_available(), reason="checks the no-GPU message")
def test_cuda_without_gpu_says_what_to_install():
    with pytest.raises(RuntimeError, match=r"minilm\[gpu\]"):
        minilm.zeros(2, device="cuda")


def test_grad_of_unused_input():
    x, y = minilm.ones(2, requires_grad=True), minilm.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="input 1 .* was not used"):
        minilm.grad((x * 2).sum(), [x, y])
    gx, gy = minilm.grad((x * 2).sum(), [x, y], allow_unused=True)
    assert gy is None and gx.tolist() == [2.0, 2.0]


def test_leaf_grads_never_share_memory():
    """add and reshape pass one gradient array on unchanged; each leaf must own its grad."""
    a, b = minilm.ones(2, 3, requires_grad=True), minilm.ones(6, requires_grad=True)
    g = minilm.ones(6)
    (a.reshape(6) + b).backward(g)
    a.grad.data *= 5
    assert b.grad.tolist() == [1.0] * 6 and g.tolist() == [1.0] * 6
    c = minilm.ones(3, requires_grad=True)
    c.backward(g[:3])  # the root itself is a leaf: its grad must not alias the caller's
    c.grad.data *= 7
    assert g.tolist() == [1.0] * 6


def test_slices_add_their_gradients_into_one_sum():
    """Pieces sliced out of one tensor (q, k, v from one projection; the time
    steps of a sequence) send back sparse gradients that the engine adds into
    place; the result is the same as the dense sum, in any order of arrival,
    also when the tensor is used whole too."""
    rng = np.random.default_rng(0)
    x = minilm.tensor(rng.standard_normal((4, 6)), requires_grad=True)
    h = x * 1.0  # a non-leaf, so its gradient is summed in the engine
    w = [rng.standard_normal((4, 2)) for _ in range(3)]
    pieces = [h[:, 2 * i : 2 * i + 2] for i in range(3)]
    loss = sum(((p * minilm.tensor(wi)).sum() for p, wi in zip(pieces, w)), h[1:].sum() * 0.5)
    loss.backward()
    want = np.concatenate(w, axis=1)
    want[1:] += 0.5
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-12)
    h = x * 1.0
    (gx,) = minilm.grad((h[::2] * 3).sum() + (h * h).sum(), [x])
    want = 2 * x.numpy()
    want[::2] += 3
    np.testing.assert_allclose(gx.numpy(), want, rtol=1e-12)


@pytest.mark.parametrize("order", ["whole first", "slice first", "square first"])
def test_a_scalar_used_whole_and_indexed(order):
    """A 0-d tensor's gradient sum can be a NumPy scalar, not an array: slicing
    it (t[None], t[...]) must still add up."""
    t = minilm.tensor(0.5, requires_grad=True)
    v = minilm.tensor([1.0, 2.0, 3.0])
    whole, sliced = t * 2, (t[None] * v).sum() + t[...] * 4
    loss = {"whole first": whole + sliced, "slice first": sliced + whole,
            "square first": t * t + sliced}[order]  # fmt: skip
    loss.backward()
    assert t.grad.item() == (1.0 if order == "square first" else 2.0) + 6.0 + 4.0


@pytest.mark.parametrize("slice_first", [False, True])
def test_slice_gradients_promote_like_a_plain_sum(slice_first):
    """A float64 slice gradient added into a float32 sum makes the sum float64,
    as ``a + b`` would, instead of being rounded into it (a float64 leaf below
    the float32 tensor sees the difference)."""
    x = minilm.tensor(np.ones(4), requires_grad=True)  # float64
    h = x.astype(np.float32) * 1.0
    tiny = (h[1:3] * minilm.tensor(np.full(2, 1e-9))).sum()  # float64 gradients
    whole = (h * 2).sum() + (h * 3).sum() + (h * 4).sum()  # float32 ones
    (gx,) = minilm.grad([tiny, whole] if slice_first else [whole, tiny], [x])
    assert gx.dtype == np.float64
    np.testing.assert_allclose(gx.numpy() - 9, [0, 1e-9, 1e-9, 0], rtol=1e-6, atol=1e-15)


def test_summing_into_place_never_touches_a_shared_gradient():
    """add hands both of its inputs the same gradient array; when one of them
    then gets a slice's gradient too, the other's must not change."""
    x = minilm.tensor(np.arange(4.0), requires_grad=True)
    p, q = x * 2.0, x * 3.0
    loss = (p + q).sum() + p[1:3].sum()  # p: 1 + slice; q: 1
    loss.backward()
    assert x.grad.tolist() == [5.0, 7.0, 7.0, 5.0]  # 2 * (1 + slice) + 3 * 1


def test_sliced_gradients_are_differentiable():
    x = minilm.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    (g,) = minilm.grad((x[:2] ** 3).sum() + (x[1:] ** 2).sum(), [x], create_graph=True)
    assert g.tolist() == [3.0, 12.0 + 4.0, 6.0]
    (h,) = minilm.grad(g.sum(), [x])  # d/dx of (3x0^2, 3x1^2 + 2x1, 2x2)
    assert h.tolist() == [6.0, 12.0 + 2.0, 2.0]


def test_comparisons_are_boolean_and_carry_no_gradient():
    x = minilm.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for result in (x > 2, x >= 2, x < 2, x <= 2, x == 2, x != 2):
        assert result.dtype == np.bool_ and not result.requires_grad
    assert (x > 1.5).tolist() == [False, True, True]
