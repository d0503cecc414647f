"""Graders for ex7_distillation_loss, against ``minilm.distill.distillation_loss``;
the reference gradient comes from minilm's autograd (``loss.backward()``)."""

from hypothesis import strategies as st

import minilm
from minilm.backend import np
from minilm.distill import distillation_loss
from minilm.grading import assert_close, check, prop
from minilm.testing import arrays

REIMPLEMENTS = (
    "minilm.distill.distillation_loss",
    "minilm.functional.softmax",
    "minilm.functional.log_softmax",
    "minilm.functional.cross_entropy",
    "minilm.tensor.Tensor.backward",  # the gradient is the exercise: no autograd
    "minilm.autograd.backward",
    "minilm.autograd.grad",
    "minilm.generate.log_softmax",
    "minilm.ensemble.log_linear_logprobs",
    "minilm.ensemble.mixture_logprobs",
    "minilm.generate.logsumexp",
    "minilm.ops.composite.CompositeMethods.softmax",  # Tensor.softmax
    "minilm.ops.composite.CompositeMethods.log_softmax",
    "minilm.ops.reduce.logsumexp",
    "minilm.ops.reduce.ReductionMethods.logsumexp",  # Tensor.logsumexp
    "minilm.functional.nll_loss",
    "minilm.info.kl_divergence",
    "minilm.info.cross_entropy",
    "minilm.ops.composite.Softmax",  # the Functions themselves: .forward works on arrays
    "minilm.ops.composite.LogSoftmax",
    "minilm.ops.composite.CrossEntropy",
    "minilm.fast.arrays.softmax_forward",  # and the fast kernels behind them
    "minilm.fast.arrays.softmax_backward",
    "minilm.fast.arrays.log_softmax_backward",
    "minilm.fast.arrays.cross_entropy_backward",
)


@st.composite
def problems(draw, scale=4.0):
    """``(student, teacher, targets)``: float64 logits (N, V) of size up to ``scale``,
    and N targets in 0..V-1."""
    n, v = draw(st.integers(1, 5)), draw(st.integers(2, 6))
    logits = st.floats(-scale, scale, allow_nan=False, width=64)
    s = draw(arrays((n, v), logits))
    t = draw(arrays((n, v), logits))
    y = draw(arrays((n,), st.integers(0, v - 1), "int64"))
    return s, t, y


_temperatures = st.one_of(st.sampled_from([1.0, 2.0, 4.0]), st.floats(0.5, 5.0))
_alphas = st.one_of(st.sampled_from([0.0, 0.5, 1.0]), st.floats(0.0, 1.0))


def _reference(s, t, y, T, alpha):
    st_ = minilm.tensor(s.copy(), requires_grad=True)
    loss = distillation_loss(st_, minilm.tensor(t.copy()), y.copy(), T, alpha)
    loss.backward()
    return float(loss.item()), st_.grad.numpy()


def _student(student, s, t, y, T, alpha):
    what = f"distillation_loss(logits {s.shape}, temperature={T!r}, alpha={alpha!r})"
    reply = student.distillation_loss(s.copy(), t.copy(), y.copy(), T, alpha)
    assert isinstance(reply, (tuple, list)) and len(reply) == 2, (
        f"{what}: return a pair (loss, grad), got {type(reply).__name__}"
    )
    loss, grad = reply
    assert isinstance(loss, (float, np.floating)) and not isinstance(loss, bool), (
        f"{what}: the loss must be a float, got {type(loss).__name__}"
    )
    assert isinstance(grad, np.ndarray), f"{what}: grad must be a NumPy array, got {grad!r}"
    return float(loss), grad, what


def _check_loss(student, s, t, y, T, alpha, hint=""):
    loss, _, what = _student(student, s, t, y, T, alpha)
    want, _ = _reference(s, t, y, T, alpha)
    if not np.isclose(loss, want, rtol=1e-7, atol=1e-10):
        raise AssertionError(f"{what}: loss {loss!r}, expected {want!r}{hint(loss, want)}")


def _no_hint(loss, want):
    return ""


@check(points=1)
@prop(p=problems(), T=_temperatures, alpha=_alphas)
def loss_value(student, p, T, alpha):
    """the loss on random logits, temperatures and alphas"""
    _check_loss(student, *p, T, alpha, _no_hint)


@check(points=1)
@prop(p=problems(), T=st.one_of(st.sampled_from([2.0, 3.0, 5.0]), st.floats(2.0, 5.0)))
def temperature_squared(student, p, T):
    """alpha = 1, T from 2 to 5: the softened KL is multiplied by T^2"""
    s, t, y = p
    t = t + np.eye(*t.shape)  # teacher and student never agree exactly (KL 0 hides T^2)

    def hint(loss, want):
        if want and np.isclose(loss * T**2, want, rtol=1e-6):
            return f" (your loss times T^2 = {T**2:g}: the soft term needs the factor T^2)"
        if want and np.isclose(loss, want * T, rtol=1e-6):
            return " (off by a factor T: multiply the KL by T^2)"
        return ""

    _check_loss(student, s, t, y, T, 1.0, hint)


@check(points=1)
@prop(p=problems(), other=problems(), T=_temperatures)
def alpha_ends(student, p, other, T):
    """alpha = 0 is the cross-entropy alone (any teacher); alpha = 1 ignores the targets"""
    s, t, y = p
    t2 = np.resize(other[1], t.shape) + np.eye(*t.shape)  # another teacher
    y2 = (y + 1) % s.shape[1]  # other targets
    cases = (
        (0.0, [(t, y), (t2, y)], "the teacher must not matter, but another teacher"),
        (1.0, [(t, y), (t, y2)], "the targets must not matter, but other targets"),
    )
    for alpha, variants, why in cases:
        losses = [_student(student, s, a, b, T, alpha)[0] for a, b in variants]
        moved = not np.isclose(losses[0], losses[1], rtol=1e-9, atol=1e-12)
        for loss, (a, b) in zip(losses, variants):
            want, _ = _reference(s, a, b, T, alpha)
            if not np.isclose(loss, want, rtol=1e-7, atol=1e-10):
                hint = f" (at alpha = {alpha:g} {why} changed your loss)" if moved else ""
                raise AssertionError(
                    f"distillation_loss(logits {s.shape}, temperature={T!r}, alpha={alpha}): "
                    f"loss {loss!r}, expected {want!r}{hint}"
                )


def _check_grad(student, s, t, y, T, alpha):
    _, grad, what = _student(student, s, t, y, T, alpha)
    _, want = _reference(s, t, y, T, alpha)
    assert_close(grad, want, f"{what}: d loss / d student_logits", rtol=1e-6, atol=1e-10)


@check(points=2)
@prop(p=problems(), T=_temperatures, alpha=_alphas)
def gradient(student, p, T, alpha):
    """d loss / d student_logits, against minilm's autograd through the reference"""
    _check_grad(student, *p, T, alpha)


@check(points=1)
@prop(p=problems(scale=1e3), T=st.sampled_from([1.0, 2.0]), alpha=_alphas)
def large_logits(student, p, T, alpha):
    """logits of size 1000: no overflow, no NaN; loss and gradient still right"""
    s, t, y = p
    s, t = s + np.where(s < 0, -1e3, 1e3), t + np.where(t < 0, -1e3, 1e3)  # all beyond 1000
    loss, grad, what = _student(student, s, t, y, T, alpha)
    assert np.isfinite(loss) and np.isfinite(grad).all(), (
        f"{what}: logits up to {float(np.abs(np.concatenate([s, t])).max()):.4g} give loss "
        f"{loss!r} and a gradient with {int((~np.isfinite(grad)).sum())} non-finite entries: "
        "subtract each row's max before exp, and use log-softmax, not log(softmax)"
    )
    _check_loss(student, s, t, y, T, alpha, _no_hint)
    _check_grad(student, s, t, y, T, alpha)
