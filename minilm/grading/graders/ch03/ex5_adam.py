"""Graders for ex5_adam: adam_step against ``minilm.optim.Adam``, step by step."""

from hypothesis import strategies as st

import minilm.optim as optim
from minilm.backend import np
from minilm.grading import assert_close, check, prop
from minilm.tensor import as_tensor, tensor
from minilm.testing import arrays, floats, shapes

# what this exercise asks the student to write: refused in the sandbox
REIMPLEMENTS = ("minilm.optim.Adam.step", "minilm.optim.adam.adam_step")


@st.composite
def runs(draw, steps):
    """(param, [grad, ...]) with ``steps`` gradients of the param's shape."""
    shape = draw(shapes(1, 2))
    n = draw(steps)
    return draw(arrays(shape)), [draw(arrays(shape)) for _ in range(n)]


hyper = st.fixed_dictionaries({
    "lr": floats(1e-3, 1.0), "beta1": floats(0.0, 0.99), "beta2": floats(0.5, 0.999),
    "eps": floats(1e-3, 0.5),
})  # fmt: skip


def _compare(student, param, grads, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    p = tensor(param.copy(), requires_grad=True)
    opt = optim.Adam([p], lr=lr, betas=(beta1, beta2), eps=eps)
    mine, m, v = param.copy(), np.zeros_like(param), np.zeros_like(param)
    for t, g in enumerate(grads, start=1):
        p.grad = as_tensor(g.copy())
        opt.step()
        result = student.adam_step(mine, g.copy(), m, v, t, lr=lr, beta1=beta1, beta2=beta2,
                                   eps=eps)  # fmt: skip
        assert isinstance(result, tuple) and len(result) == 3, (
            f"adam_step must return (param, m, v), got {type(result).__name__}"
        )
        mine, m, v = (np.asarray(r) for r in result)
        state = opt.state[p]
        assert_close(m, state["exp_avg"], f"m after step {t}")
        assert_close(v, state["exp_avg_sq"], f"v after step {t}")
        assert_close(mine, p.data, f"param after step {t}")


@check(points=1)
@prop(run=runs(st.just(1)))
def first_step(student, run):
    """the first step (t = 1) from m = v = 0"""
    _compare(student, *run)


@check(points=2)
@prop(run=runs(st.just(10)), max_examples=15)
def ten_steps(student, run):
    """ten steps in a row, default lr, betas and eps"""
    _compare(student, *run)


@check(points=1)
@prop(run=runs(st.integers(1, 4)), hp=hyper)
def hyperparameters(student, run, hp):
    """random lr, beta1, beta2 and eps"""
    _compare(student, *run, **hp)
