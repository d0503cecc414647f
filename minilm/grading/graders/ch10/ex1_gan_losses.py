"""Graders for ex1_gan_losses, against ``minilm.models.gan``'s losses."""

from hypothesis import strategies as st

from minilm.grading import assert_close, check, prop
from minilm.models import gan
from minilm.sandbox.probes import derivatives
from minilm.tensor import as_tensor
from minilm.testing import arrays, floats

REIMPLEMENTS = ("minilm.models.gan.discriminator_loss", "minilm.models.gan.generator_loss")


def _logits(scale):
    return arrays(st.integers(1, 6), elements=floats(-scale, scale))


def _value_and_grad(fn, *arrays_):
    """(value, gradients) of ``fn`` (a name: the student's, run in their process;
    else the reference, run here)."""
    args, wrt = [a.copy() for a in arrays_], list(range(len(arrays_)))
    if isinstance(fn, tuple):  # (student, name)
        got = fn[0].differentiate(fn[1], args, wrt)
    else:
        got = derivatives(fn, args, wrt)
    assert got["value"].size == 1, f"the loss must be one number, got shape {got['value'].shape}"
    assert got["grads"] is not None, "the loss carries no gradient: compute it with Tensor ops"
    return float(got["value"].reshape(())), got["grads"]


@check(points=2)
@prop(real=_logits(5.0), fake=_logits(5.0))
def discriminator(student, real, fake):
    """discriminator_loss: value and gradients equal the reference's"""
    got, got_g = _value_and_grad((student, "discriminator_loss"), real, fake)
    want, want_g = _value_and_grad(gan.discriminator_loss, real, fake)
    assert_close(got, want, "discriminator loss", rtol=1e-6)
    assert_close(got_g[0], want_g[0], "d loss / d real_logits")
    assert_close(got_g[1], want_g[1], "d loss / d fake_logits")


@check(points=2)
@prop(fake=_logits(5.0))
def generator(student, fake):
    """generator_loss: the non-saturating loss and its gradient"""
    got, got_g = _value_and_grad((student, "generator_loss"), fake)
    want, want_g = _value_and_grad(gan.generator_loss, fake)
    assert_close(got, want, "generator loss", rtol=1e-6)
    assert_close(got_g[0], want_g[0], "d loss / d fake_logits")


@check(points=1)
@prop(real=_logits(200.0), fake=_logits(200.0))
def stable(student, real, fake):
    """both losses stay finite and right for logits up to 200 in size"""
    got, _ = _value_and_grad((student, "discriminator_loss"), real, fake)
    assert_close(got, gan.discriminator_loss(as_tensor(real), as_tensor(fake)).item(),
                 "discriminator loss with huge logits", rtol=1e-6)  # fmt: skip
    got, _ = _value_and_grad((student, "generator_loss"), fake)
    assert_close(got, gan.generator_loss(as_tensor(fake)).item(),
                 "generator loss with huge logits", rtol=1e-6)  # fmt: skip
