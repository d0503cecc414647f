"""Optimizers: hand-computed first steps, torch trajectories, loss falls, state dicts,
bad input, and (on a GPU) the fused kernels against the plain reference."""

import pytest

import minilm
import minilm.nn as nn
import minilm.optim as optim
from minilm import backend
from minilm.backend import np


def quadratic_steps(opt_cls, steps, w0=1.0, **options):
    """Run ``opt_cls`` on f(w) = w^2 / 2 (so the gradient is w); return w after each step."""
    w = minilm.tensor([w0], dtype="float64", requires_grad=True)
    opt = opt_cls([w], **options)
    out = []
    for _ in range(steps):
        opt.zero_grad()
        (0.5 * w * w).sum().backward()
        opt.step()
        out.append(w.item())
    return out


# ---- update equations, by hand ----


def test_sgd_plain_and_weight_decay():
    # w1 = w0 - lr * (g + wd * w0) = 1 - 0.1 * (1 + 0.5)
    assert quadratic_steps(optim.SGD, 1, lr=0.1, weight_decay=0.5) == pytest.approx([0.85])


def test_sgd_momentum_by_hand():
    # buf1 = g1 = 1, w1 = 1 - 0.1 = 0.9; buf2 = 0.9 * 1 + 0.9 = 1.8, w2 = 0.9 - 0.18 = 0.72
    assert quadratic_steps(optim.SGD, 2, lr=0.1, momentum=0.9) == pytest.approx([0.9, 0.72])


def test_sgd_nesterov_by_hand():
    # step 1: g = 1, buf = 1, d = g + 0.9 buf = 1.9, w = 1 - 0.19 = 0.81
    # step 2: g = 0.81, buf = 0.9 + 0.81 = 1.71, d = 0.81 + 0.9 * 1.71 = 2.349, w = 0.5751
    ws = quadratic_steps(optim.SGD, 2, lr=0.1, momentum=0.9, nesterov=True)
    assert ws == pytest.approx([0.81, 0.5751])


def test_sgd_dampening_by_hand():
    # buf1 = g1 = 1 (no dampening at the first step); buf2 = 0.9 * 1 + (1 - 0.5) * 0.9 = 1.35
    ws = quadratic_steps(optim.SGD, 2, lr=0.1, momentum=0.9, dampening=0.5)
    assert ws == pytest.approx([0.9, 0.9 - 0.135])


def test_adam_first_steps_with_bias_correction():
    b1, b2, lr = 0.9, 0.999, 0.1
    # step 1: m = 0.1, v = 0.001; m_hat = v_hat = 1, so w1 = 1 - lr = 0.9 (up to eps)
    # step 2: g = 0.9; m = 0.09 + 0.09 = 0.18, v = 0.000999 + 0.00081 = 0.001809
    m_hat = 0.18 / (1 - b1**2)  # 0.947368...
    v_hat = 0.001809 / (1 - b2**2)  # 0.904952...
    w2 = 0.9 - lr * m_hat / (v_hat**0.5 + 1e-8)  # 0.800412...
    ws = quadratic_steps(optim.Adam, 2, lr=lr)
    assert ws == pytest.approx([0.9, w2], rel=1e-12, abs=1e-9)
    assert w2 == pytest.approx(0.800412, abs=1e-6)


def test_adam_weight_decay_is_l2_but_adamw_decay_is_decoupled():
    def zero_grad_run(cls, steps):
        w = minilm.tensor([2.0], dtype="float64", requires_grad=True)
        opt = cls([w], lr=0.1, weight_decay=0.5)
        for _ in range(steps):
            w.grad = minilm.tensor([0.0], dtype="float64")
            opt.step()
        return w.item()

    # AdamW with a zero gradient: only the decay acts, w_k = w0 (1 - lr wd)^k
    assert zero_grad_run(optim.AdamW, 3) == pytest.approx(2.0 * 0.95**3, rel=1e-12)
    # Adam's L2 decay goes through the adaptive step: the first step moves by lr
    assert zero_grad_run(optim.Adam, 1) == pytest.approx(2.0 - 0.1, rel=1e-6)


def test_adamw_decay_then_adam_step_by_hand():
    # w0 = 1, lr = 0.1, wd = 0.5: decay to 0.95, then the first Adam step subtracts lr
    assert quadratic_steps(optim.AdamW, 1, lr=0.1, weight_decay=0.5) == pytest.approx([0.85])


def test_amsgrad_uses_the_running_max():
    plain = quadratic_steps(optim.Adam, 20, lr=0.1)
    ams = quadratic_steps(optim.Adam, 20, lr=0.1, amsgrad=True)
    assert ams[0] == pytest.approx(plain[0]) and ams != plain


def test_adagrad_by_hand():
    # acc1 = 1, w1 = 1 - 0.5 * 1 / 1 = 0.5; acc2 = 1.25, w2 = 0.5 - 0.5 * 0.5 / sqrt(1.25)
    ws = quadratic_steps(optim.Adagrad, 2, lr=0.5)
    assert ws == pytest.approx([0.5, 0.5 - 0.25 / 1.25**0.5])
    # lr_decay: the second step uses lr / (1 + lr_decay)
    ws = quadratic_steps(optim.Adagrad, 2, lr=0.5, lr_decay=1.0)
    assert ws == pytest.approx([0.5, 0.5 - 0.125 / 1.25**0.5])


def test_rmsprop_by_hand():
    # sq1 = 0.1 * 1 = 0.1, w1 = 1 - 0.01 / sqrt(0.1)
    w1 = 1 - 0.01 / 0.1**0.5
    assert quadratic_steps(optim.RMSprop, 1, lr=0.01, alpha=0.9) == pytest.approx([w1])
    # centered: gavg1 = 0.1, r = sqrt(0.1 - 0.01); momentum: buf = g / r
    w1c = 1 - 0.01 / (0.1 - 0.01) ** 0.5
    ws = quadratic_steps(optim.RMSprop, 1, lr=0.01, alpha=0.9, centered=True, momentum=0.5)
    assert ws == pytest.approx([w1c])


# ---- against torch.optim, 50 steps of least squares ----

CONFIGS = [
    (optim.SGD, dict(lr=0.01)),
    (optim.SGD, dict(lr=0.01, momentum=0.9, weight_decay=0.1)),
    (optim.SGD, dict(lr=0.01, momentum=0.9, nesterov=True)),
    (optim.SGD, dict(lr=0.01, momentum=0.8, dampening=0.3)),
    (optim.Adagrad, dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.1)),
    (optim.RMSprop, dict(lr=0.01)),
    (optim.RMSprop, dict(lr=0.01, alpha=0.9, centered=True, momentum=0.5, weight_decay=0.1)),
    (optim.Adam, dict(lr=0.05)),
    (optim.Adam, dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.1, amsgrad=True)),
    (optim.AdamW, dict(lr=0.05)),
    (optim.AdamW, dict(lr=0.05, weight_decay=0.3, eps=1e-6, amsgrad=True)),
]


@pytest.mark.parametrize("cls, options", CONFIGS, ids=lambda c: getattr(c, "__name__", ""))
def test_trajectory_matches_torch(cls, options):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    A, b = rng.standard_normal((20, 5)), rng.standard_normal(20)
    w0, c0 = rng.standard_normal(5), rng.standard_normal(1)

    w, c = minilm.tensor(w0, requires_grad=True), minilm.tensor(c0, requires_grad=True)
    ours = cls([{"params": [w]}, {"params": [c], "lr": options["lr"] / 2}], **options)
    tw, tc = torch.tensor(w0, requires_grad=True), torch.tensor(c0, requires_grad=True)
    ref = getattr(torch.optim, cls.__name__)(
        [{"params": [tw]}, {"params": [tc], "lr": options["lr"] / 2}], **options
    )
    At, bt = torch.tensor(A), torch.tensor(b)
    Am, bm = minilm.tensor(A), minilm.tensor(b)
    for _ in range(50):
        ours.zero_grad()
        (((Am @ w + c - bm) ** 2).mean()).backward()
        ours.step()
        ref.zero_grad()
        (((At @ tw + tc - bt) ** 2).mean()).backward()
        ref.step()
        np.testing.assert_allclose(w.numpy(), tw.detach().numpy(), rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(c.numpy(), tc.detach().numpy(), rtol=1e-6, atol=1e-6)


# ---- every optimizer makes the loss fall ----

OPTIMIZERS = [
    (optim.SGD, dict(lr=0.1, momentum=0.9)),
    (optim.Adagrad, dict(lr=0.1)),
    (optim.RMSprop, dict(lr=0.01)),
    (optim.Adam, dict(lr=0.01)),
    (optim.AdamW, dict(lr=0.01)),
]


@pytest.mark.parametrize("cls, options", OPTIMIZERS, ids=lambda c: getattr(c, "__name__", ""))
def test_loss_falls(cls, options):
    minilm.manual_seed(0)
    X = minilm.randn(64, 3)
    y = (X @ minilm.tensor([[1.0], [-2.0], [0.5]])).tanh()
    model = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 1))
    opt = cls(model.parameters(), **options)
    losses = []
    for _ in range(60):
        opt.zero_grad()
        loss = ((model(X) - y) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


# ---- state dicts ----


@pytest.mark.parametrize("cls, options", CONFIGS, ids=lambda c: getattr(c, "__name__", ""))
def test_state_dict_resume_is_exact(cls, options, tmp_path):
    def make():
        minilm.manual_seed(1)
        model = nn.Linear(3, 2)
        return model, cls(model.parameters(), **options)

    X = minilm.randn(8, 3)

    def train(model, opt, n):
        for _ in range(n):
            opt.zero_grad()
            (model(X) ** 2).mean().backward()
            opt.step()

    model, opt = make()
    train(model, opt, 6)
    model2, opt2 = make()
    train(model2, opt2, 3)
    minilm.save({"model": model2.state_dict(), "optim": opt2.state_dict()}, tmp_path / "c.npz")
    model3, opt3 = make()
    ckpt = minilm.load(tmp_path / "c.npz")
    model3.load_state_dict(ckpt["model"])
    opt3.load_state_dict(ckpt["optim"])
    train(model3, opt3, 3)
    for p, q in zip(model.parameters(), model3.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


def test_load_state_dict_checks_group_sizes():
    a, b = minilm.zeros(2, requires_grad=True), minilm.zeros(3, requires_grad=True)
    sd = optim.SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="groups have sizes"):
        optim.SGD([a], lr=0.1).load_state_dict(sd)


# ---- bad input ----


def params():
    return nn.Linear(2, 2).parameters()


def test_unknown_option_is_named():
    with pytest.raises(TypeError, match="momentun"):
        optim.SGD(params(), lr=0.1, momentun=0.9)
    with pytest.raises(ValueError, match=r"unknown option 'momentun' \(did you mean 'momentum'"):
        optim.SGD([{"params": list(params()), "momentun": 0.9}], lr=0.1)


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adagrad, optim.RMSprop, optim.Adam, optim.AdamW])
def test_negative_learning_rate(cls):
    with pytest.raises(ValueError, match="learning rate must be a number >= 0, got lr=-0.1"):
        cls(params(), lr=-0.1)
    with pytest.raises(ValueError, match="learning rate"):
        cls([{"params": list(params()), "lr": -1.0}], lr=0.1)


def test_parameter_listed_twice():
    w = minilm.zeros(3, requires_grad=True)
    with pytest.raises(ValueError, match=r"parameter 1 \(shape \(3,\)\) is listed twice"):
        optim.Adam([w, w])
    with pytest.raises(ValueError, match="listed twice"):
        optim.Adam([{"params": [w]}, {"params": [w], "lr": 0.1}])


def test_other_bad_options():
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD(params(), lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="betas"):
        optim.Adam(params(), betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="eps must be >= 0"):
        optim.Adam(params(), eps=-1.0)
    with pytest.raises(ValueError, match="alpha"):
        optim.RMSprop(params(), alpha=2.0)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="single Tensor"):
        optim.SGD(minilm.zeros(2, requires_grad=True), lr=0.1)
    with pytest.raises(TypeError, match="floating-point"):
        optim.SGD([minilm.tensor([1, 2])], lr=0.1)


def test_param_groups_and_repr():
    model = nn.Linear(2, 2)
    opt = optim.AdamW(
        [{"params": [model.weight]}, {"params": [model.bias], "weight_decay": 0.0}], lr=0.01
    )
    assert [g["weight_decay"] for g in opt.param_groups] == [0.01, 0.0]
    assert "group 1: 1 tensors" in repr(opt)
    model.weight.grad = None  # a parameter without a gradient is skipped
    model.bias.grad = minilm.ones(2)
    opt.step()
    assert opt.state[model.bias]["step"] == 1 and model.weight not in opt.state


# ---- the fused GPU kernels against the plain reference ----

GPU = pytest.mark.skipif(not minilm.cuda.is_available(), reason="no CUDA GPU (CuPy)")


@GPU
@pytest.mark.parametrize("cls, options", CONFIGS, ids=lambda c: getattr(c, "__name__", ""))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fused_kernel_matches_reference(cls, options, dtype):  # pragma: no cover - GPU only
    rng = np.random.default_rng(0)
    p0 = rng.standard_normal((7, 5)).astype(dtype)
    grads = [rng.standard_normal((7, 5)).astype(dtype) for _ in range(4)]
    results = {}
    for device in ("cpu", "cuda"):
        p = minilm.tensor(p0, device=device, requires_grad=True)
        opt = cls([p], **options)
        for g in grads:
            p.grad = minilm.tensor(g, device=device)
            opt.step()
        results[device] = p.numpy()
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(results["cuda"], results["cpu"], rtol=tol, atol=tol)


@pytest.mark.parametrize("cls, options", OPTIMIZERS, ids=lambda c: getattr(c, "__name__", ""))
def test_step_after_moving_the_model(cls, options, device):
    model = nn.Linear(3, 2)
    opt = cls(model.parameters(), **options)  # built before the move: same Parameter objects
    model.to(device)
    x = minilm.randn(4, 3, device=device)
    for _ in range(2):
        opt.zero_grad()
        (model(x) ** 2).mean().backward()
        opt.step()
    assert all(p.device == device for p in model.parameters())
    arrays = [v for s in opt.state.values() for v in s.values() if hasattr(v, "shape")]
    assert arrays and all(backend.device_of(v) == device for v in arrays)
