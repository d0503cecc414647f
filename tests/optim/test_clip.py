"""Gradient clipping by total norm (returning the pre-clip norm) and by value."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import minilm
from minilm.backend import np
from minilm.optim import clip_grad_norm_, clip_grad_value_


def with_grads(*grads, device="cpu"):
    ps = []
    for g in grads:
        p = minilm.zeros(len(g), requires_grad=True, device=device)
        p.grad = minilm.tensor(g, device=device)
        ps.append(p)
    return ps


def test_clip_grad_norm_returns_pre_clip_norm_and_scales_to_max(device):
    ps = with_grads([3.0, 0.0], [0.0, 4.0], device=device)
    norm = clip_grad_norm_(ps, max_norm=1.0)
    assert norm.item() == pytest.approx(5.0)
    total = math.sqrt(sum((p.grad.numpy() ** 2).sum() for p in ps))
    assert total == pytest.approx(1.0, rel=1e-5)
    assert ps[0].grad.device == device


def test_below_the_limit_nothing_changes():
    ps = with_grads([0.3, 0.4])
    before = ps[0].grad
    assert clip_grad_norm_(ps, 1.0).item() == pytest.approx(0.5)
    assert ps[0].grad is before


@given(
    grads=st.lists(st.lists(st.floats(-10, 10), min_size=1, max_size=4), min_size=1, max_size=3),
    max_norm=st.floats(0.1, 5.0),
    norm_type=st.sampled_from([1.0, 2.0, 3.0, math.inf]),
)
def test_clip_grad_norm_property(grads, max_norm, norm_type):
    ps = with_grads(*grads)
    flat = np.concatenate([np.asarray(g, dtype=np.float32) for g in grads])
    expected = (
        np.abs(flat).max()
        if norm_type == math.inf
        else (np.abs(flat.astype(np.float64)) ** norm_type).sum() ** (1 / norm_type)
    )
    norm = clip_grad_norm_(ps, max_norm, norm_type=norm_type).item()
    assert norm == pytest.approx(expected, rel=1e-5, abs=1e-6)
    after = np.concatenate([p.grad.numpy() for p in ps])
    after_norm = (
        np.abs(after).max()
        if norm_type == math.inf
        else (np.abs(after.astype(np.float64)) ** norm_type).sum() ** (1 / norm_type)
    )
    assert after_norm <= max_norm * (1 + 1e-5) + 1e-6


def test_shared_gradient_arrays_are_not_scaled_twice():
    a, b = minilm.ones(2, requires_grad=True), minilm.ones(2, requires_grad=True)
    (a + b).sum().backward()  # both grads may be the same array
    clip_grad_norm_([a, b], max_norm=1.0)
    np.testing.assert_allclose(a.grad.numpy(), [0.5, 0.5], rtol=1e-5)
    np.testing.assert_allclose(b.grad.numpy(), [0.5, 0.5], rtol=1e-5)


def test_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    gs = [rng.standard_normal(5), rng.standard_normal(3)]
    ps = with_grads(*gs)
    tps = [torch.zeros(len(g), requires_grad=True) for g in gs]
    for t, g in zip(tps, gs):
        t.grad = torch.tensor(g, dtype=torch.float32)
    ours = clip_grad_norm_(ps, 0.7).item()
    ref = torch.nn.utils.clip_grad_norm_(tps, 0.7).item()
    assert ours == pytest.approx(ref, rel=1e-6)
    for p, t in zip(ps, tps):
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-5)


def test_nonfinite_and_empty():
    ps = with_grads([float("nan"), 1.0])
    with pytest.raises(RuntimeError, match="total norm is nan"):
        clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
    assert clip_grad_norm_([minilm.zeros(2, requires_grad=True)], 1.0).item() == 0.0


def test_clip_grad_value(device):
    (p,) = with_grads([-3.0, 0.2, 9.0], device=device)
    clip_grad_value_([p], 1.0)
    assert p.grad.tolist() == [-1.0, pytest.approx(0.2), 1.0]
    clip_grad_value_(p, 0.1)  # a single tensor is fine too
    assert p.grad.tolist() == [pytest.approx(-0.1), pytest.approx(0.1), pytest.approx(0.1)]
