"""Autograd semantics that follow PyTorch: version counters for in-place
changes, thread-local re-entrant grad mode, integer promotion, reductions at
their edges, pow gradients at 0, connected second derivatives, and the public
surface of ops.

Where PyTorch is installed it is the oracle: each test first checks the value
known from the maths (or from NumPy) and then, after
``pytest.importorskip("torch")``, compares with what PyTorch does.
"""

from __future__ import annotations

import contextlib
import operator
import re
import threading
import warnings

import numpy as np
import pytest

import minilm
import minilm.functional as F
import minilm.nn as nn
import minilm.optim as optim

T = minilm.tensor


@pytest.fixture(autouse=True)
def _grad_mode_back_on():
    """A broken no_grad can leave grad mode off: turn it back on so the bug
    fails only the test that found it, not every test after it."""
    yield
    if not minilm.is_grad_enabled():
        minilm.enable_grad().__enter__()


@contextlib.contextmanager
def _no_warning_check():
    """Silence NumPy's and PyTorch's warnings about empty reductions or
    degrees of freedom <= 0: the tests neither require nor forbid one."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _assert_modified_error(excinfo, op: str) -> None:
    """The error names the op whose saved input changed and says 'in place'."""
    msg = str(excinfo.value)
    assert re.search(rf"\b{op}\b", msg, re.IGNORECASE), msg
    assert "in place" in msg.lower(), msg


# ==========================================================================
# 1. In-place changes: the version counter
# ==========================================================================

# Each in-place op, as (name, fn(t, other) -> result, expected values for
# t = [1, 2] and other = [3, 4]). ``fn`` returns what the operation returns
# (the augmented operators return what Python rebinds the name to).
INPLACE = [
    ("setitem", lambda t, o: t.__setitem__(0, 5.0), [5.0, 2.0]),
    ("fill_", lambda t, o: t.fill_(5.0), [5.0, 5.0]),
    ("zero_", lambda t, o: t.zero_(), [0.0, 0.0]),
    ("add_", lambda t, o: t.add_(o), [4.0, 6.0]),
    ("sub_", lambda t, o: t.sub_(o), [-2.0, -2.0]),
    ("mul_", lambda t, o: t.mul_(o), [3.0, 8.0]),
    ("div_", lambda t, o: t.div_(o), [1 / 3, 0.5]),
    ("copy_", lambda t, o: t.copy_(o), [3.0, 4.0]),
    ("iadd", operator.iadd, [4.0, 6.0]),
    ("isub", operator.isub, [-2.0, -2.0]),
    ("imul", operator.imul, [3.0, 8.0]),
    ("itruediv", operator.itruediv, [1 / 3, 0.5]),
]
INPLACE_IDS = [name for name, _, _ in INPLACE]


def test_version_starts_at_zero():
    a = T([1.0, 2.0])
    assert isinstance(a._version, int) and a._version == 0
    assert (a + 1)._version == 0
    assert minilm.zeros(3)._version == 0


@pytest.mark.parametrize("name, fn, expected", INPLACE, ids=INPLACE_IDS)
def test_inplace_op_bumps_version_and_keeps_object(name, fn, expected):
    t, o = T([1.0, 2.0]), T([3.0, 4.0])
    other = T([7.0, 7.0])
    before, ident = t._version, id(t)
    result = fn(t, o)
    if name != "setitem":
        assert result is t  # in-place methods return self; t += o keeps the object
    assert id(t) == ident
    assert t._version > before
    assert other._version == 0  # the counter is per tensor
    assert o._version == 0  # reading an operand is not a write
    np.testing.assert_allclose(t.numpy(), np.float32(expected), rtol=1e-6)

    torch = pytest.importorskip("torch")
    tt, to = torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0])
    v0 = tt._version
    r = fn(tt, to)
    if name != "setitem":
        assert r is tt
    assert tt._version > v0
    np.testing.assert_allclose(t.numpy(), tt.numpy(), rtol=1e-6)


def test_inplace_with_python_scalars():
    t = T([1.0, 2.0])
    t += 1.0
    assert t.mul_(2.0) is t
    assert t._version >= 2
    np.testing.assert_allclose(t.numpy(), [4.0, 6.0])
    assert t.dtype == np.float32


@pytest.mark.parametrize("name, fn, expected", INPLACE, ids=INPLACE_IDS)
def test_inplace_on_saved_input_makes_backward_raise(name, fn, expected):
    w = T([1.0, 2.0], requires_grad=True)
    x = T([3.0, 4.0])
    y = (w * x).sum()  # mul saves x: d/dw = x
    fn(x, T([3.0, 4.0]))  # x does not require grad: allowed in grad mode
    with pytest.raises(RuntimeError) as e:
        y.backward()
    _assert_modified_error(e, "mul")


def test_setitem_after_use_raises_exact_brief_case():
    # today: silently w.grad == [100, 4]
    w = T([1.0, 2.0], requires_grad=True)
    x = T([3.0, 4.0])
    y = (w * x).sum()
    x[0] = 100
    with pytest.raises(RuntimeError) as e:
        y.backward()
    _assert_modified_error(e, "mul")

    torch = pytest.importorskip("torch")
    tw, tx = torch.tensor([1.0, 2.0], requires_grad=True), torch.tensor([3.0, 4.0])
    ty = (tw * tx).sum()
    tx[0] = 100
    with pytest.raises(RuntimeError, match="inplace"):
        ty.backward()


def test_leaf_changed_under_no_grad_makes_backward_raise():
    # x requires grad too, so mul needs w's value for d/dx (PyTorch saves only what it needs)
    w = T([1.0, 2.0], requires_grad=True)
    x = T([3.0, 4.0], requires_grad=True)
    y = (w * x).sum()
    with minilm.no_grad():
        w[0] = 10
    with pytest.raises(RuntimeError) as e:
        y.backward()
    _assert_modified_error(e, "mul")

    torch = pytest.importorskip("torch")
    tw = torch.tensor([1.0, 2.0], requires_grad=True)
    tx = torch.tensor([3.0, 4.0], requires_grad=True)
    ty = (tw * tx).sum()
    with torch.no_grad():
        tw[0] = 10
    with pytest.raises(RuntimeError, match="inplace"):
        ty.backward()


def test_optimizer_step_between_forward_and_backward_raises_mul():
    w = T([1.0, 2.0], requires_grad=True)
    x = T([3.0, 4.0], requires_grad=True)
    y = (w * x).sum()
    y.backward(retain_graph=True)
    optim.SGD([w], lr=0.1).step()
    with pytest.raises(RuntimeError) as e:
        y.backward()
    _assert_modified_error(e, "mul")


def test_optimizer_step_between_forward_and_backward_raises_linear():
    lin = nn.Linear(2, 2)
    x = minilm.ones(1, 2, requires_grad=True)  # d/dx needs the weight
    out = lin(x).sum()
    out.backward(retain_graph=True)
    optim.SGD(lin.parameters(), lr=0.1).step()
    with pytest.raises(RuntimeError) as e:
        out.backward()
    # F.linear is one op with the fast layer on (fast.arrays.Linear), x @ W + b without
    _assert_modified_error(e, "linear" if minilm.fast.enabled() else "matmul")

    torch = pytest.importorskip("torch")
    tl = torch.nn.Linear(2, 2)
    tx = torch.ones(1, 2, requires_grad=True)
    tout = tl(tx).sum()
    tout.backward(retain_graph=True)
    torch.optim.SGD(tl.parameters(), lr=0.1).step()
    with pytest.raises(RuntimeError, match="inplace"):
        tout.backward()


@pytest.mark.parametrize("opt_cls", [optim.SGD, optim.Adam], ids=["SGD", "Adam"])
def test_optimizer_step_bumps_updated_parameters_only(opt_cls):
    lin = nn.Linear(3, 2)
    frozen = T([1.0, 2.0], requires_grad=True)  # no gradient: step skips it
    params = list(lin.parameters())
    opt = opt_cls(params + [frozen], lr=0.1)
    lin(minilm.ones(4, 3)).sum().backward()
    before = [p._version for p in params]
    opt.step()
    assert all(p._version > v for p, v in zip(params, before))
    assert frozen._version == 0


def test_inplace_on_leaf_requiring_grad_raises_in_grad_mode_setitem():  # control
    w = T([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        w[0] = 3.0


@pytest.mark.parametrize("name, fn, expected", INPLACE[1:], ids=INPLACE_IDS[1:])
def test_inplace_on_leaf_requiring_grad_raises_in_grad_mode(name, fn, expected):
    w = T([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        fn(w, T([3.0, 4.0]))
    np.testing.assert_array_equal(w.numpy(), [1.0, 2.0])  # untouched

    torch = pytest.importorskip("torch")
    tw = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError):
        fn(tw, torch.tensor([3.0, 4.0]))


@pytest.mark.parametrize("name, fn, expected", INPLACE, ids=INPLACE_IDS)
def test_inplace_on_leaf_allowed_under_no_grad(name, fn, expected):
    w = T([1.0, 2.0], requires_grad=True)
    ident = id(w)
    with minilm.no_grad():
        fn(w, T([3.0, 4.0]))
    assert id(w) == ident
    assert w.requires_grad and w.is_leaf
    assert w._version > 0
    np.testing.assert_allclose(w.numpy(), np.float32(expected), rtol=1e-6)


def test_manual_sgd_update_keeps_the_leaf():
    w = T([1.0, 2.0], requires_grad=True)
    ident = id(w)
    (w * w).sum().backward()
    with minilm.no_grad():
        w -= 0.5 * w.grad  # w - 0.5 * 2w = 0
    assert id(w) == ident and w.requires_grad and w.is_leaf
    np.testing.assert_allclose(w.numpy(), [0.0, 0.0])
    w.grad = None
    (w * 3).sum().backward()  # still a usable leaf
    np.testing.assert_allclose(w.grad.numpy(), [3.0, 3.0])


def test_add_does_not_save_values_so_no_error():  # control: must NOT raise
    w = T([1.0, 2.0], requires_grad=True)
    x = T([3.0, 4.0])
    y = (x + w).sum()
    x[0] = 5
    y.backward()
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 1.0])

    torch = pytest.importorskip("torch")
    tw, tx = torch.tensor([1.0, 2.0], requires_grad=True), torch.tensor([3.0, 4.0])
    ty = (tx + tw).sum()
    tx[0] = 5
    ty.backward()
    np.testing.assert_array_equal(tw.grad.numpy(), w.grad.numpy())


def test_change_before_forward_is_fine():  # control: must NOT raise
    w = T([1.0, 2.0], requires_grad=True)
    x = T([3.0, 4.0])
    x[0] = 100
    (w * x).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [100.0, 4.0])


def test_training_loop_step_after_backward_is_fine():  # control: must NOT raise
    lin = nn.Linear(3, 2)
    opt = optim.SGD(lin.parameters(), lr=0.1)
    x = minilm.ones(4, 3)
    for _ in range(3):
        opt.zero_grad()
        lin(x).sum().backward()
        opt.step()


def test_copy_by_advanced_index_is_not_a_view():  # control: must NOT raise
    w = T([1.0, 2.0, 3.0], requires_grad=True)
    x = T([3.0, 4.0, 5.0])
    y = (w * x).sum()
    c = x[[0, 1]]  # advanced indexing copies (NumPy and PyTorch)
    c[0] = 9
    y.backward()
    np.testing.assert_array_equal(w.grad.numpy(), [3.0, 4.0, 5.0])


def test_view_by_slice_shares_the_counter():
    w = T([1.0, 1.0, 1.0], requires_grad=True)
    x = T([3.0, 4.0, 5.0])
    y = (w * x).sum()
    v = x[0:2]
    before = x._version
    v[0] = 7
    assert x._version > before
    assert v._version == x._version
    with pytest.raises(RuntimeError) as e:
        y.backward()
    _assert_modified_error(e, "mul")


def test_view_by_reshape_shares_the_counter():
    w = T([1.0, 1.0, 1.0, 1.0], requires_grad=True)
    x = T([3.0, 4.0, 5.0, 6.0])
    y = (w * x).sum()
    v = x.reshape(2, 2)
    before = x._version
    v[0, 0] = 7
    assert x._version > before
    with pytest.raises(RuntimeError) as e:
        y.backward()
    _assert_modified_error(e, "mul")

    torch = pytest.importorskip("torch")
    tw, tx = torch.ones(4, requires_grad=True), torch.tensor([3.0, 4.0, 5.0, 6.0])
    ty = (tw * tx).sum()
    tx.reshape(2, 2)[0, 0] = 7
    with pytest.raises(RuntimeError, match="inplace"):
        ty.backward()


def test_write_to_base_is_seen_by_a_saved_view():
    w = T([1.0, 1.0], requires_grad=True)
    x = T([3.0, 4.0, 5.0])
    v = x[0:2]
    y = (w * v).sum()  # mul saves the view
    x[0] = 7
    assert v._version == x._version
    with pytest.raises(RuntimeError) as e:
        y.backward()
    _assert_modified_error(e, "mul")

    torch = pytest.importorskip("torch")
    tw, tx = torch.ones(2, requires_grad=True), torch.tensor([3.0, 4.0, 5.0])
    tv = tx[0:2]
    ty = (tw * tv).sum()
    tx[0] = 7
    with pytest.raises(RuntimeError, match="inplace"):
        ty.backward()


# ==========================================================================
# 2. Grad mode: thread-local, every context re-entrant
# ==========================================================================


def test_recursive_no_grad_decorator_restores_grad_mode():
    @minilm.no_grad()  # one instance, entered again by each recursive call
    def f(n):
        assert not minilm.is_grad_enabled()
        if n:
            f(n - 1)

    f(3)
    assert minilm.is_grad_enabled()


def test_nested_with_of_one_no_grad_instance_restores_grad_mode():
    # stricter than PyTorch, where nesting one instance leaves grad mode off
    ng = minilm.no_grad()
    with ng:
        with ng:
            assert not minilm.is_grad_enabled()
        assert not minilm.is_grad_enabled()
    assert minilm.is_grad_enabled()


def test_recursive_enable_grad_decorator_inside_no_grad_restores():
    @minilm.enable_grad()
    def f(n):
        assert minilm.is_grad_enabled()
        if n:
            f(n - 1)

    with minilm.no_grad():
        f(3)
        assert not minilm.is_grad_enabled()
    assert minilm.is_grad_enabled()


def test_enable_grad_inside_no_grad():  # control
    with minilm.no_grad():
        with minilm.enable_grad():
            assert minilm.is_grad_enabled()
            x = T([1.0], requires_grad=True)
            assert (x * 2).requires_grad
        assert not minilm.is_grad_enabled()
    assert minilm.is_grad_enabled()


def test_no_grad_in_another_thread_leaves_main_thread_alone():
    entered, release = threading.Event(), threading.Event()

    def worker():
        with minilm.no_grad():
            entered.set()
            release.wait(5)

    th = threading.Thread(target=worker)
    th.start()
    try:
        assert entered.wait(5)
        assert minilm.is_grad_enabled()
        x = T([1.0], requires_grad=True)
        assert (x * 2).requires_grad
    finally:
        release.set()
        th.join(5)
    assert minilm.is_grad_enabled()


def test_new_thread_starts_with_grad_mode_on():
    seen = []
    with minilm.no_grad():
        th = threading.Thread(target=lambda: seen.append(minilm.is_grad_enabled()))
        th.start()
        th.join(5)
        assert not minilm.is_grad_enabled()
    assert seen == [True]

    torch = pytest.importorskip("torch")
    tseen = []
    with torch.no_grad():
        th = threading.Thread(target=lambda: tseen.append(torch.is_grad_enabled()))
        th.start()
        th.join(5)
    assert tseen == [True]


# ==========================================================================
# 3. Integer and bool inputs promote to float32
# ==========================================================================


def _check_float32(result, expected):
    assert result.dtype == np.float32, result.dtype
    np.testing.assert_allclose(result.numpy(), np.asarray(expected, np.float32), rtol=1e-6)


def test_sigmoid_of_int():
    r = minilm.sigmoid(T([0, 1]))
    _check_float32(r, [0.5, 0.7310586])
    torch = pytest.importorskip("torch")
    tr = torch.sigmoid(torch.tensor([0, 1]))
    assert tr.dtype == torch.float32
    np.testing.assert_allclose(r.numpy(), tr.numpy(), rtol=1e-6)


def test_sigmoid_of_bool():
    r = minilm.sigmoid(T([True, False]))
    _check_float32(r, [0.7310586, 0.5])
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(r.numpy(), torch.sigmoid(torch.tensor([True, False])).numpy())


def test_softplus_of_int():
    r = minilm.ops.softplus(T([0, 1, 2]))
    _check_float32(r, np.log1p(np.exp([0.0, 1.0, 2.0])))
    torch = pytest.importorskip("torch")  # torch's softplus refuses ints: compare with floats
    tr = torch.nn.functional.softplus(torch.tensor([0.0, 1.0, 2.0]))
    np.testing.assert_allclose(r.numpy(), tr.numpy(), rtol=1e-6)


def test_erf_of_int():
    r = minilm.ops.erf(T([0, 1, 2]))
    _check_float32(r, [0.0, 0.8427008, 0.9953223])
    torch = pytest.importorskip("torch")
    tr = torch.erf(torch.tensor([0, 1, 2]))
    assert tr.dtype == torch.float32
    np.testing.assert_allclose(r.numpy(), tr.numpy(), rtol=1e-6)


UNARY = {"exp": np.exp, "tanh": np.tanh, "log": np.log, "sqrt": np.sqrt}


@pytest.mark.parametrize("values", [[0, 1, 2], [True, False]], ids=["int", "bool"])
@pytest.mark.parametrize("name", list(UNARY))
def test_unary_of_int_and_bool_is_float32(name, values):
    with np.errstate(divide="ignore"):
        r = getattr(minilm, name)(T(values))
        expected = UNARY[name](np.asarray(values, np.float32))
    _check_float32(r, expected)
    torch = pytest.importorskip("torch")
    tr = getattr(torch, name)(torch.tensor(values))
    assert tr.dtype == torch.float32
    np.testing.assert_allclose(r.numpy(), tr.numpy(), rtol=1e-6)


def test_true_division_of_ints_is_float32():
    r = T([1, 2]) / T([2, 4])
    _check_float32(r, [0.5, 0.5])
    _check_float32(T([1, 2]) / 2, [0.5, 1.0])
    torch = pytest.importorskip("torch")
    tr = torch.tensor([1, 2]) / torch.tensor([2, 4])
    assert tr.dtype == torch.float32
    assert (torch.tensor([1, 2]) / 2).dtype == torch.float32


@pytest.mark.parametrize(
    "name, fn, tfn",
    [
        ("softmax", lambda x: F.softmax(x), lambda t: t.softmax(-1)),
        ("log_softmax", lambda x: F.log_softmax(x), lambda t: t.log_softmax(-1)),
        ("logsumexp", lambda x: minilm.logsumexp(x), lambda t: t.logsumexp(0)),
    ],
    ids=["softmax", "log_softmax", "logsumexp"],
)
def test_softmax_family_of_int_is_float32(name, fn, tfn):
    r = fn(T([1, 2, 3]))
    assert r.dtype == np.float32, r.dtype
    z = np.float64([1, 2, 3])
    lse = np.log(np.exp(z).sum())
    expected = {"softmax": np.exp(z - lse), "log_softmax": z - lse, "logsumexp": lse}[name]
    np.testing.assert_allclose(r.numpy(), expected, rtol=1e-6)
    torch = pytest.importorskip("torch")  # torch's softmax refuses ints: compare with floats
    np.testing.assert_allclose(r.numpy(), tfn(torch.tensor([1.0, 2.0, 3.0])).numpy(), rtol=1e-6)


# ==========================================================================
# 4. Reductions at their edges (empty axes, ddof >= n, float16 accumulation)
# ==========================================================================


@pytest.mark.parametrize(
    "data, ddof", [([1, 2, 3], 3), ([1, 2, 3], 4), ([1, 2, 3], 5), ([1, 1], 2), ([2, 2], 3)]
)
def test_var_with_ddof_at_least_n_is_numpys(data, ddof):
    a = np.asarray(data, np.float32)
    with np.errstate(all="ignore"), _no_warning_check():
        r = minilm.var(T(a), ddof=ddof)
        expected = np.var(a, ddof=ddof)
    assert not (r.numpy() < 0)  # never negative
    np.testing.assert_array_equal(r.numpy(), expected)  # inf, or nan when the sum is 0
    torch = pytest.importorskip("torch")
    with _no_warning_check():
        tv = torch.var(torch.tensor(a), correction=ddof)
    np.testing.assert_array_equal(r.numpy(), tv.numpy())


def test_var_with_ddof_at_least_n_along_an_axis():
    a = np.float32([[1, 2, 3], [4, 4, 4]])
    with np.errstate(all="ignore"), _no_warning_check():
        r = minilm.var(T(a), axis=1, ddof=3)
        expected = np.var(a, axis=1, ddof=3)
    np.testing.assert_array_equal(r.numpy(), expected)  # [inf, nan]


@pytest.mark.parametrize("fn_name", ["mean", "var"])
def test_mean_and_var_over_an_empty_axis_give_nan(fn_name):
    x = minilm.zeros(0, 3)
    with np.errstate(all="ignore"), _no_warning_check():
        r = getattr(minilm, fn_name)(x, axis=0)
        whole = getattr(minilm, fn_name)(minilm.zeros(0))
    assert r.shape == (3,)
    assert np.isnan(r.numpy()).all()
    assert whole.shape == () and np.isnan(whole.item())
    torch = pytest.importorskip("torch")
    with _no_warning_check():
        tr = getattr(torch.zeros(0, 3), fn_name)(0)
    assert torch.isnan(tr).all() and tuple(tr.shape) == r.shape


def test_float16_mean_accumulates_in_float32():
    a = np.full(10000, 60000, np.float16)
    r = minilm.mean(T(a))
    assert r.dtype == np.float16
    assert np.isfinite(r.item()) and r.item() == 60000
    assert np.mean(a) == 60000  # NumPy agrees
    torch = pytest.importorskip("torch")
    assert torch.from_numpy(a).mean().item() == 60000


def test_logsumexp_of_empty_is_minus_inf():
    r = minilm.logsumexp(minilm.zeros(0))
    assert r.shape == () and r.item() == -np.inf
    rows = minilm.logsumexp(minilm.zeros(2, 0), axis=1)
    assert rows.shape == (2,)
    np.testing.assert_array_equal(rows.numpy(), [-np.inf, -np.inf])
    torch = pytest.importorskip("torch")
    assert torch.logsumexp(torch.zeros(0), 0).item() == -np.inf
    np.testing.assert_array_equal(torch.logsumexp(torch.zeros(2, 0), 1).numpy(), rows.numpy())


@pytest.mark.parametrize("fn_name", ["max", "min"])
def test_max_min_with_empty_result_is_empty(fn_name):
    r = getattr(minilm, fn_name)(minilm.zeros(0, 3), axis=1)
    assert r.shape == (0,)
    assert r.dtype == np.float32
    assert getattr(np.zeros((0, 3), np.float32), fn_name)(axis=1).shape == (0,)
    torch = pytest.importorskip("torch")
    tfn = torch.amax if fn_name == "max" else torch.amin
    assert tuple(tfn(torch.zeros(0, 3), 1).shape) == (0,)


@pytest.mark.parametrize("fn_name", ["max", "min"])
def test_max_min_over_an_empty_axis_with_a_result_still_raise(fn_name):  # control
    with pytest.raises(ValueError):
        getattr(minilm, fn_name)(minilm.zeros(3, 0), axis=1)
    with pytest.raises(ValueError):
        getattr(minilm, fn_name)(minilm.zeros(0))
    with pytest.raises(ValueError):
        getattr(np.zeros((3, 0)), fn_name)(axis=1)


# ==========================================================================
# 5. Pow gradients at 0
# ==========================================================================


def test_grad_of_x_pow_0_at_0_is_0():
    x = T([0.0, 2.0], requires_grad=True)
    (g,) = minilm.grad((x**0).sum(), [x])
    np.testing.assert_array_equal(g.numpy(), [0.0, 0.0])
    torch = pytest.importorskip("torch")
    tx = torch.tensor([0.0, 2.0], requires_grad=True)
    (tg,) = torch.autograd.grad((tx**0).sum(), [tx])
    np.testing.assert_array_equal(g.numpy(), tg.numpy())


def test_second_derivative_of_x_pow_0_at_0_is_0():
    x = T([0.0, 2.0], requires_grad=True)
    (g,) = minilm.grad((x**0).sum(), [x], create_graph=True)
    np.testing.assert_array_equal(g.numpy(), [0.0, 0.0])
    if g.requires_grad:  # PyTorch returns a constant zero here; a connected zero is fine too
        (h,) = minilm.grad(g.sum(), [x], allow_unused=True)
        if h is not None:
            np.testing.assert_array_equal(h.numpy(), [0.0, 0.0])


def test_grad_of_x_pow_tensor_0_at_0():
    x = T([0.0, 2.0], requires_grad=True)
    b = T([0.0, 0.0], requires_grad=True)
    gx, gb = minilm.grad((x**b).sum(), [x, b])
    np.testing.assert_array_equal(gx.numpy(), [0.0, 0.0])
    np.testing.assert_allclose(gb.numpy(), [0.0, np.log(2.0)], rtol=1e-6)  # d/db 0**b = 0
    torch = pytest.importorskip("torch")
    tx = torch.tensor([0.0, 2.0], requires_grad=True)
    tb = torch.tensor([0.0, 0.0], requires_grad=True)
    tgx, tgb = torch.autograd.grad((tx**tb).sum(), [tx, tb])
    np.testing.assert_array_equal(gx.numpy(), tgx.numpy())
    np.testing.assert_allclose(gb.numpy(), tgb.numpy(), rtol=1e-6)


def test_grad_of_exponent_at_base_0():
    a = T([0.0, 0.0, 2.0], requires_grad=True)
    b = T([0.0, 2.0, 3.0], requires_grad=True)
    ga, gb = minilm.grad((a**b).sum(), [a, b])
    np.testing.assert_allclose(ga.numpy(), [0.0, 0.0, 12.0], rtol=1e-6)
    np.testing.assert_allclose(gb.numpy(), [0.0, 0.0, 8 * np.log(2.0)], rtol=1e-6)
    torch = pytest.importorskip("torch")
    ta = torch.tensor([0.0, 0.0, 2.0], requires_grad=True)
    tb = torch.tensor([0.0, 2.0, 3.0], requires_grad=True)
    tga, tgb = torch.autograd.grad((ta**tb).sum(), [ta, tb])
    np.testing.assert_allclose(ga.numpy(), tga.numpy(), rtol=1e-6)
    np.testing.assert_allclose(gb.numpy(), tgb.numpy(), rtol=1e-6)


def test_grad_of_exponent_with_constant_base_0():
    b = T([0.0, 0.5, 2.0], requires_grad=True)
    (gb,) = minilm.grad((0.0**b).sum(), [b])
    np.testing.assert_array_equal(gb.numpy(), [0.0, 0.0, 0.0])
    torch = pytest.importorskip("torch")
    tb = torch.tensor([0.0, 0.5, 2.0], requires_grad=True)
    (tgb,) = torch.autograd.grad((0.0**tb).sum(), [tb])
    np.testing.assert_array_equal(gb.numpy(), tgb.numpy())


# ==========================================================================
# 6. Integer constants that don't fit the tensor's dtype
# ==========================================================================


@pytest.mark.parametrize(
    "op, fn",
    [
        ("add", lambda t: t + 1000),
        ("add", lambda t: 1000 + t),
        ("sub", lambda t: t - 1000),
        ("mul", lambda t: t * 1000),
    ],
    ids=["add", "radd", "sub", "mul"],
)
def test_overflowing_int_constant_names_the_op(op, fn):
    t = T([1, 2], dtype="int8")
    with pytest.raises((OverflowError, TypeError, ValueError)) as e:
        fn(t)
    assert re.search(rf"\b{op}\b", str(e.value), re.IGNORECASE), str(e.value)


# ==========================================================================
# 7. Second derivatives through piecewise-linear ops stay connected
# ==========================================================================

PIECEWISE = [
    ("relu", minilm.relu, "relu"),
    ("abs", minilm.abs, "abs"),
    ("leaky_relu", F.leaky_relu, "leaky_relu"),
]


def _torch_fn(torch, name):
    return {"relu": torch.relu, "abs": torch.abs,
            "leaky_relu": torch.nn.functional.leaky_relu}[name]  # fmt: skip


@pytest.mark.parametrize("name, f, tname", PIECEWISE, ids=[p[0] for p in PIECEWISE])
def test_second_derivative_of_piecewise_linear_is_zero(name, f, tname):
    xs = [-1.0, 0.5, 2.0]
    x = T(xs, requires_grad=True)
    (g,) = minilm.grad(f(x).sum(), [x], create_graph=True)
    (h,) = minilm.grad(g.sum(), [x])
    np.testing.assert_array_equal(h.numpy(), [0.0, 0.0, 0.0])
    torch = pytest.importorskip("torch")
    tx = torch.tensor(xs, requires_grad=True)
    (tg,) = torch.autograd.grad(_torch_fn(torch, tname)(tx).sum(), [tx], create_graph=True)
    (th,) = torch.autograd.grad(tg.sum(), [tx])
    np.testing.assert_allclose(g.numpy(), tg.detach().numpy(), rtol=1e-6)
    np.testing.assert_array_equal(h.numpy(), th.numpy(force=True))  # abs: a ZeroTensor


def test_allow_unused_gives_none():  # control
    x = T([1.0], requires_grad=True)
    unused = T([1.0], requires_grad=True)
    gx, gu = minilm.grad((x * 2).sum(), [x, unused], allow_unused=True)
    np.testing.assert_array_equal(gx.numpy(), [2.0])
    assert gu is None
    with pytest.raises(RuntimeError, match="allow_unused"):
        minilm.grad((x * 2).sum(), [x, unused])


def test_allow_unused_in_a_second_derivative():
    x = T([-1.0, 2.0], requires_grad=True)
    unused = T([1.0], requires_grad=True)
    (g,) = minilm.grad(minilm.relu(x).sum(), [x], create_graph=True)
    h, hu = minilm.grad(g.sum(), [x, unused], allow_unused=True, retain_graph=True)
    np.testing.assert_array_equal(h.numpy(), [0.0, 0.0])
    assert hu is None
    with pytest.raises(RuntimeError, match="allow_unused"):
        minilm.grad(g.sum(), [x, unused])


# ==========================================================================
# 8. transpose takes NumPy's varargs form
# ==========================================================================


def test_transpose_varargs():
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    x = T(a, requires_grad=True)
    y = x.transpose(2, 0, 1)
    assert y.shape == (4, 2, 3)
    np.testing.assert_array_equal(y.numpy(), a.transpose(2, 0, 1))
    np.testing.assert_array_equal(y.numpy(), x.transpose((2, 0, 1)).numpy())
    c = np.arange(24, dtype=np.float32).reshape(4, 2, 3)
    (y * T(c)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), c.transpose(1, 2, 0))


def test_transpose_without_axes_reverses():  # control
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    np.testing.assert_array_equal(T(a).transpose().numpy(), a.transpose())


# ==========================================================================
# 9. Public surface: every op as minilm.NAME, and as a method where NumPy or
#    PyTorch has one
# ==========================================================================

NAMES = (
    "exp log sqrt abs tanh sigmoid softplus relu erf sign softmax log_softmax logsumexp "
    "sum mean max min var reshape transpose swapaxes expand_dims squeeze broadcast_to "
    "flatten argmax argmin matmul maximum minimum clip pad split where concatenate stack "
    "getitem"
).split()

# the NAMES with a method on np.ndarray or torch.Tensor (NumPy 2.4, PyTorch 2.13);
# test_method_names_match_numpy_and_torch recomputes it where torch is installed
METHOD_NAMES = [n for n in NAMES if n not in
                ("softplus", "expand_dims", "pad", "concatenate", "stack", "getitem")]  # fmt: skip

_X = np.float32([[-1.5, 0.25, 2.0, 0.5], [1.0, -0.75, 3.0, 0.1]])
_Y = np.float32([[0.5, 0.5, -1.0, 2.0], [0.0, 1.0, 1.0, -3.0]])
_P = np.float32([[1.0, 2.0, 3.0, 4.0], [0.5, 1.5, 2.5, 3.5]])  # positive


def _method_and_function(name):
    """(method call, function call) on small inputs: the two must agree."""
    x, y, p = T(_X), T(_Y), T(_P)
    m = minilm
    cases = {
        "log": (lambda: p.log(), lambda: m.log(p)),
        "sqrt": (lambda: p.sqrt(), lambda: m.sqrt(p)),
        "softmax": (lambda: x.softmax(-1), lambda: m.softmax(x, -1)),
        "log_softmax": (lambda: x.log_softmax(-1), lambda: m.log_softmax(x, -1)),
        "logsumexp": (lambda: x.logsumexp(axis=1), lambda: m.logsumexp(x, axis=1)),
        "sum": (lambda: x.sum(axis=1), lambda: m.sum(x, axis=1)),
        "mean": (lambda: x.mean(axis=0), lambda: m.mean(x, axis=0)),
        "max": (lambda: x.max(axis=1), lambda: m.max(x, axis=1)),
        "min": (lambda: x.min(axis=1), lambda: m.min(x, axis=1)),
        "var": (lambda: x.var(axis=1), lambda: m.var(x, axis=1)),
        "reshape": (lambda: x.reshape(4, 2), lambda: m.reshape(x, (4, 2))),
        "transpose": (lambda: x.transpose(), lambda: m.transpose(x)),
        "swapaxes": (lambda: x.swapaxes(0, 1), lambda: m.swapaxes(x, 0, 1)),
        "squeeze": (
            lambda: x.reshape(1, 2, 4).squeeze(),
            lambda: m.squeeze(m.reshape(x, (1, 2, 4))),
        ),
        "broadcast_to": (lambda: x.broadcast_to((3, 2, 4)), lambda: m.broadcast_to(x, (3, 2, 4))),
        "flatten": (lambda: x.flatten(), lambda: m.flatten(x)),
        "argmax": (lambda: x.argmax(axis=1), lambda: m.argmax(x, axis=1)),
        "argmin": (lambda: x.argmin(axis=1), lambda: m.argmin(x, axis=1)),
        "matmul": (lambda: x.matmul(y.T), lambda: m.matmul(x, y.T)),
        "maximum": (lambda: x.maximum(y), lambda: m.maximum(x, y)),
        "minimum": (lambda: x.minimum(y), lambda: m.minimum(x, y)),
        "clip": (lambda: x.clip(-1.0, 1.0), lambda: m.clip(x, -1.0, 1.0)),
        # 4 columns in 2: the same pieces under NumPy's (sections) and PyTorch's (size) rule
        "split": (lambda: x.split(2, axis=1), lambda: m.split(x, 2, axis=1)),
        # PyTorch's method form: x.where(cond, other) == where(cond, x, other)
        "where": (lambda: x.where(T(_X > 0), y), lambda: m.where(T(_X > 0), x, y)),
    }
    if name in cases:
        return cases[name]
    return (lambda: getattr(x, name)(), lambda: getattr(m, name)(x))  # exp, abs, ...


@pytest.mark.parametrize("name", NAMES)
def test_op_is_a_module_function(name):
    assert callable(getattr(minilm, name, None)), f"minilm.{name} is missing"


@pytest.mark.parametrize("name", METHOD_NAMES)
def test_op_is_a_tensor_method_matching_the_function(name):
    assert callable(getattr(minilm.Tensor, name, None)), f"Tensor.{name} is missing"
    method, function = _method_and_function(name)
    a, b = method(), function()
    if isinstance(b, (list, tuple)):
        assert len(a) == len(b)
        pairs = list(zip(a, b))
    else:
        pairs = [(a, b)]
    for u, v in pairs:
        assert u.shape == v.shape and u.dtype == v.dtype
        np.testing.assert_array_equal(u.numpy(), v.numpy())


def test_method_names_match_numpy_and_torch():
    torch = pytest.importorskip("torch")
    expected = [n for n in NAMES if hasattr(np.ndarray, n) or hasattr(torch.Tensor, n)]
    assert METHOD_NAMES == expected


def test_as_tensor_shares_memory():
    a = np.arange(6, dtype=np.float64).reshape(2, 3)
    t = minilm.as_tensor(a)
    assert isinstance(t, minilm.Tensor)
    assert t.dtype == a.dtype and t.shape == a.shape
    assert np.shares_memory(t.data, a)
    a[0, 0] = 42
    assert t.numpy()[0, 0] == 42
    torch = pytest.importorskip("torch")
    assert np.shares_memory(torch.as_tensor(a).numpy(), a)


# ---- in-place writes that would drop a graph, and memory a tensor owns ----


def test_augmented_assignment_records_a_graph_as_a_new_tensor():
    w = minilm.tensor([1.0, 2.0], requires_grad=True)
    total = minilm.zeros(2)
    total += w * 3  # w requires grad: a new node, not a silent in-place write
    total.sum().backward()
    assert w.grad.tolist() == [3.0, 3.0]
    h = w * 2
    h += 1  # a non-leaf that requires grad: h = h + 1
    assert h.requires_grad and h.tolist() == [3.0, 5.0]


def test_writing_a_tensor_that_requires_grad_into_another_is_refused():
    w = minilm.tensor([1.0], requires_grad=True)
    buf = minilm.zeros(3)
    for write in (lambda: buf.__setitem__(0, w), lambda: buf.add_(w), lambda: buf.copy_(w)):
        with pytest.raises(RuntimeError, match="drop it from the graph"):
            write()
    with minilm.no_grad():
        buf[0:1] = w  # values only, on purpose
    assert buf.tolist() == [1.0, 0.0, 0.0]


def test_tensor_copies_and_as_tensor_shares():
    a = np.zeros(3, np.float32)
    assert not np.shares_memory(minilm.tensor(a).data, a)
    assert np.shares_memory(minilm.as_tensor(a).data, a)


def test_in_place_methods_work_on_0d_results_and_their_gradients():
    w = minilm.tensor([1.0, 2.0], requires_grad=True)
    s = (w * w).sum()
    s.backward()
    t = s.detach()
    t += 1
    assert t.item() == 6.0
    w.grad.zero_()
    m = minilm.tensor([3.0], requires_grad=True)
    (m.mean() * 2).backward()
    m.grad.zero_()  # a gradient is never a read-only broadcast view
    assert m.grad.tolist() == [0.0]


def test_an_index_or_condition_tensor_changed_after_use_does_not_move_the_gradient():
    x = minilm.tensor([1.0, 2.0, 3.0], requires_grad=True)
    idx, cond = minilm.tensor([0, 0]), minilm.tensor([True, False, True])
    y = x[idx].sum() + minilm.where(cond, x, 0.0).sum()
    idx[0] = 2
    cond[0] = False
    y.backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]  # what the forward used
