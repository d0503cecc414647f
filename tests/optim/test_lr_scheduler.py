"""Learning-rate schedules against their formulas (hypothesis-drawn parameters) and torch."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import minilm
import minilm.optim as optim

lrs = st.floats(1e-5, 1.0)
gammas = st.floats(0.1, 1.0)


def optimizer(lr, groups=1):
    return optim.SGD(
        [
            {"params": [minilm.zeros(1, requires_grad=True)], "lr": lr * (i + 1)}
            for i in range(groups)
        ],
        lr=lr,
    )


def run(sched, steps):
    """lr of every group before each of ``steps`` optimizer steps."""
    out = []
    for _ in range(steps):
        out.append(sched.get_last_lr())
        sched.optimizer.step()
        sched.step()
    return out


def check(sched, steps, formula):
    for t, row in enumerate(run(sched, steps)):
        for base, lr in zip(sched.base_lrs, row):
            assert lr == pytest.approx(formula(base, t), rel=1e-12, abs=1e-15)


@given(lr=lrs, step_size=st.integers(1, 10), gamma=gammas, steps=st.integers(1, 40))
def test_step_lr(lr, step_size, gamma, steps):
    sched = optim.StepLR(optimizer(lr, 2), step_size, gamma)
    check(sched, steps, lambda b, t: b * gamma ** (t // step_size))


@given(lr=lrs, gamma=gammas, steps=st.integers(1, 40))
def test_exponential_lr(lr, gamma, steps):
    check(optim.ExponentialLR(optimizer(lr), gamma), steps, lambda b, t: b * gamma**t)


@given(lr=lrs, T_max=st.integers(1, 30), eta_min=st.floats(0, 1e-4), steps=st.integers(1, 60))
def test_cosine_annealing(lr, T_max, eta_min, steps):
    sched = optim.CosineAnnealingLR(optimizer(lr, 2), T_max, eta_min)
    check(
        sched, steps, lambda b, t: eta_min + (b - eta_min) * (1 + math.cos(math.pi * t / T_max)) / 2
    )


@given(lr=lrs, warmup=st.integers(0, 10), extra=st.integers(1, 30), eta_min=st.floats(0, 1e-4))
def test_warmup_cosine(lr, warmup, extra, eta_min):
    total = warmup + extra

    def formula(b, t):
        if t < warmup:
            return b * (t + 1) / warmup
        if t > total:
            return eta_min
        r = (t - warmup) / (total - warmup)
        return eta_min + (b - eta_min) * (1 + math.cos(math.pi * r)) / 2

    rows = run(optim.WarmupCosineLR(optimizer(lr), warmup, total, eta_min), total + 5)
    for t, (got,) in enumerate(rows):
        assert got == pytest.approx(formula(lr, t), rel=1e-12, abs=1e-15)
    if warmup:
        assert rows[warmup - 1][0] == pytest.approx(lr)  # the ramp ends at the base rate
    assert rows[total][0] == pytest.approx(eta_min, abs=1e-15)


@given(lr=lrs, k=st.floats(0.5, 2.0), steps=st.integers(1, 30))
def test_lambda_lr(lr, k, steps):
    f = lambda t: 1 / (1 + k * t)
    check(optim.LambdaLR(optimizer(lr), f), steps, lambda b, t: b * f(t))
    per_group = optim.LambdaLR(optimizer(lr, 2), [f, lambda t: 1.0])
    assert run(per_group, 3)[2] == pytest.approx([lr * f(2), 2 * lr])


@pytest.mark.parametrize(
    "make, torch_make",
    [
        (lambda o: optim.StepLR(o, 3, 0.5), lambda t, o: t.optim.lr_scheduler.StepLR(o, 3, 0.5)),
        (
            lambda o: optim.ExponentialLR(o, 0.9),
            lambda t, o: t.optim.lr_scheduler.ExponentialLR(o, 0.9),
        ),
        (
            lambda o: optim.CosineAnnealingLR(o, 10, 1e-3),
            lambda t, o: t.optim.lr_scheduler.CosineAnnealingLR(o, 10, 1e-3),
        ),
        (
            lambda o: optim.LambdaLR(o, lambda s: 0.95**s),
            lambda t, o: t.optim.lr_scheduler.LambdaLR(o, lambda s: 0.95**s),
        ),
    ],
)
def test_matches_torch_schedulers(make, torch_make):
    torch = pytest.importorskip("torch")
    ours = make(optimizer(0.1))
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    ref = torch_make(torch, opt)
    for _ in range(25):
        assert ours.get_last_lr()[0] == pytest.approx(ref.get_last_lr()[0], rel=1e-9, abs=1e-12)
        ours.optimizer.step()
        ours.step()
        opt.step()
        ref.step()


def test_state_dict_round_trip_continues_the_schedule():
    a = optim.CosineAnnealingLR(optimizer(0.1), T_max=20)
    run(a, 7)
    b_opt = optimizer(0.1)
    b_opt.load_state_dict(a.optimizer.state_dict())
    b = optim.CosineAnnealingLR(b_opt, T_max=20)
    b.load_state_dict(a.state_dict())
    assert b.last_epoch == 7
    assert run(a, 5) == run(b, 5)
    assert "lr_lambdas" not in optim.LambdaLR(optimizer(0.1), lambda t: 1.0).state_dict()


def test_bad_schedule_arguments():
    with pytest.raises(ValueError, match="step_size"):
        optim.StepLR(optimizer(0.1), 0)
    with pytest.raises(ValueError, match="T_max"):
        optim.CosineAnnealingLR(optimizer(0.1), 0)
    with pytest.raises(ValueError, match="warmup_steps < total_steps"):
        optim.WarmupCosineLR(optimizer(0.1), 10, 10)
    with pytest.raises(ValueError, match="2 functions for 1"):
        optim.LambdaLR(optimizer(0.1), [lambda t: 1, lambda t: 1])
