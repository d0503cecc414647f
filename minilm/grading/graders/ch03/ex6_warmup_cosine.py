"""Graders for ex6_warmup_cosine, against ``minilm.optim.WarmupCosineLR``."""

from hypothesis import strategies as st

import minilm
import minilm.optim as optim
from minilm.grading import assert_close, check, prop
from minilm.testing import floats

# what this exercise asks the student to write: refused in the sandbox
REIMPLEMENTS = ("minilm.optim.WarmupCosineLR.lr_at",)


@st.composite
def schedules(draw, with_floor=False):
    """Keyword arguments for a schedule: warmup may be 0; eta_min > 0 when ``with_floor``."""
    warmup = draw(st.integers(0, 10))
    total = draw(st.integers(warmup + 1, warmup + 30))
    base = draw(floats(0.01, 3.0))
    floor = draw(floats(0.001, 0.9).map(lambda f: f * base)) if with_floor else 0.0
    return {"base_lr": base, "warmup_steps": warmup, "total_steps": total, "eta_min": floor}


def _reference(base_lr, warmup_steps, total_steps, eta_min, steps):
    opt = optim.SGD([minilm.zeros(1, requires_grad=True)], lr=base_lr)
    sched = optim.WarmupCosineLR(opt, warmup_steps, total_steps, eta_min=eta_min)
    lrs = []
    for _ in range(steps):
        lrs.append(sched.get_last_lr()[0])
        sched.step()
    return lrs


def _compare(student, steps, kw):
    want = _reference(steps=steps(kw), **kw)
    for t, lr in enumerate(want):
        got = student.warmup_cosine(t, kw["base_lr"], kw["warmup_steps"], kw["total_steps"],
                                    kw["eta_min"])  # fmt: skip
        assert_close(got, lr, f"lr at step t={t} of warmup_cosine({kw})")


@check(points=1)
@prop(kw=schedules().filter(lambda kw: kw["warmup_steps"] > 0))
def warmup(student, kw):
    """the linear warmup, steps 0 .. warmup_steps - 1"""
    _compare(student, lambda kw: kw["warmup_steps"], kw)


@check(points=2)
@prop(kw=schedules())
def every_step(student, kw):
    """every step from 0 to total_steps"""
    _compare(student, lambda kw: kw["total_steps"] + 1, kw)


@check(points=1)
@prop(kw=schedules(with_floor=True))
def floor_after_end(student, kw):
    """with eta_min > 0: the decay ends at eta_min and stays there"""
    _compare(student, lambda kw: kw["total_steps"] + 10, kw)
