"""Training a :class:`minilm.models.GAN`: alternating discriminator (critic) and
generator steps, with each variant's losses and tricks."""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import optim
from ..models.gan import (
    GAN,
    clip_weights_,
    critic_loss,
    discriminator_loss,
    feature_matching_loss,
    generator_loss,
    gradient_penalty,
    wgan_generator_loss,
)
from ..progress import progress_bar
from ..tensor import Tensor, no_grad, tensor

__all__ = ["GANHistory", "train_gan"]


@dataclass
class GANHistory:
    """Losses per generator step and generated samples at chosen steps."""

    step: list = field(default_factory=list)
    d_loss: list = field(default_factory=list)
    g_loss: list = field(default_factory=list)
    snapshots: list = field(default_factory=list)  # (step, samples (n, data_dim))


def _d_loss(gan: GAN, real: Tensor, fake: Tensor) -> Tensor:
    c, D = gan.config, gan.D
    if c.loss in ("gan", "fm"):
        return discriminator_loss(D(real), D(fake))
    loss = critic_loss(D(real), D(fake))
    if c.loss == "wgan-gp":
        loss = loss + gradient_penalty(D, real, fake, c.gp_weight)
    return loss


def _g_loss(gan: GAN, real: Tensor, fake: Tensor) -> Tensor:
    c, D = gan.config, gan.D
    if c.loss == "gan":
        return generator_loss(D(fake))
    if c.loss == "fm":
        with no_grad():
            real_features = D.features(real)
        return feature_matching_loss(real_features, D.features(fake))
    return wgan_generator_loss(D(fake))


def train_gan(gan: GAN, sample_real, steps: int, snapshot_every: int = 0, snapshot_size: int = 1000,
              progress: bool = True) -> GANHistory:  # fmt: skip
    """Train ``gan`` for ``steps`` generator steps, each after ``n_critic``
    discriminator steps. ``sample_real(n)`` returns ``n`` real samples (a NumPy
    array (n, data_dim)). Every ``snapshot_every`` steps (and at the end) it keeps
    ``snapshot_size`` generated samples, for plots of the distribution over training.

    >>> import minilm
    >>> from minilm.models.gan import GAN, variant
    >>> from minilm.data.gan_toy import ring_of_gaussians
    >>> minilm.manual_seed(0)
    >>> gan = GAN(variant("wgan-gp", hidden=16, batch_size=32))
    >>> hist = train_gan(gan, ring_of_gaussians().sample, steps=3, progress=False)
    >>> len(hist.d_loss), hist.snapshots[-1][1].shape
    (3, (1000, 2))
    """
    c = gan.config
    w = gan.G.out.weight
    opt_g = optim.Adam(gan.G.parameters(), lr=c.lr_g, betas=c.betas)
    if c.loss == "wgan":  # momentum fights the clipping; the WGAN paper uses RMSprop
        opt_d = optim.RMSprop(gan.D.parameters(), lr=c.lr_d)
    else:
        opt_d = optim.Adam(gan.D.parameters(), lr=c.lr_d, betas=c.betas)
    real_batch = lambda: tensor(sample_real(c.batch_size), dtype=w.dtype, device=w.device)
    hist = GANHistory()
    bar = progress_bar(range(1, steps + 1), desc=f"train {c.loss}", enabled=progress)
    for step in bar:
        for _ in range(c.n_critic):
            with no_grad():
                fake = gan.G(gan.noise(c.batch_size))
            d_loss = _d_loss(gan, real_batch(), fake)
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
            if c.loss == "wgan":
                clip_weights_(gan.D, c.clip)
        g_loss = _g_loss(gan, real_batch(), gan.G(gan.noise(c.batch_size)))
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        hist.step.append(step)
        hist.d_loss.append(d_loss.item())
        hist.g_loss.append(g_loss.item())
        if (snapshot_every and step % snapshot_every == 0) or step == steps:
            hist.snapshots.append((step, gan.sample(snapshot_size)))
        if step % 50 == 0:
            bar.set_postfix(d=f"{hist.d_loss[-1]:.3f}", g=f"{hist.g_loss[-1]:.3f}")
    return hist
