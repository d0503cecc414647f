"""Generative adversarial networks on small continuous data, and the tricks that
stabilize them.

A generator G maps noise z ~ N(0, I) to a sample; a discriminator D scores
samples. They play a game: D learns to tell real from fake, G learns to fool D.
Four ways to play it, selected by ``GANConfig.loss``:

- ``"gan"``: D is a classifier (logit out) trained with binary cross-entropy;
  G minimizes the **non-saturating** loss ``-log D(G(z))`` (the minimax form
  ``log(1 - D(G(z)))`` has no gradient when D wins early, see
  :func:`generator_loss`).
- ``"wgan"``: D is a *critic* with unbounded scores; it maximizes
  ``E[D(x)] - E[D(G(z))]``, an estimate of the Wasserstein-1 distance when D is
  1-Lipschitz, which weight clipping (every weight into ``[-c, c]``) crudely
  enforces.
- ``"wgan-gp"``: the same critic, kept Lipschitz by a gradient penalty
  ``lambda * E[(||grad_x D(x_hat)|| - 1)^2]`` on points between real and fake
  samples. The penalty contains a gradient, so training it differentiates
  through a gradient: ``minilm.grad(..., create_graph=True)``.
- ``"fm"``: feature matching. D is trained as in ``"gan"``; G instead matches
  the mean of D's last hidden features on real and fake batches.

>>> import minilm
>>> minilm.manual_seed(0)
>>> gan = GAN(GANConfig(data_dim=2, noise_dim=2, hidden=16))
>>> gan.sample(5).shape
(5, 2)
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .. import functional as F
from .. import nn, ops
from ..backend import np
from ..tensor import Tensor, grad, no_grad, rand, randn

__all__ = [
    "GANConfig",
    "LOSSES",
    "variant",
    "Generator",
    "Discriminator",
    "GAN",
    "discriminator_loss",
    "generator_loss",
    "critic_loss",
    "wgan_generator_loss",
    "gradient_penalty",
    "clip_weights_",
    "feature_matching_loss",
]

LOSSES = ("gan", "wgan", "wgan-gp", "fm")


@dataclass
class GANConfig:
    """Sizes and training settings of a GAN.

    ``loss`` picks the game (see the module docstring). ``n_critic`` is the
    number of discriminator steps per generator step; ``clip`` the weight bound
    of ``"wgan"``; ``gp_weight`` the lambda of ``"wgan-gp"``.
    """

    data_dim: int = 2
    noise_dim: int = 8
    hidden: int = 128
    layers: int = 2  # hidden layers in each network
    loss: str = "gan"
    lr_g: float = 1e-3
    lr_d: float = 1e-3
    betas: tuple = (0.5, 0.9)
    n_critic: int = 1
    clip: float = 0.01
    gp_weight: float = 0.1
    batch_size: int = 256

    def __post_init__(self):
        if self.loss not in LOSSES:
            raise ValueError(f"GANConfig.loss must be one of {LOSSES}, got {self.loss!r}")
        if self.n_critic < 1 or self.batch_size < 1 or self.layers < 1:
            raise ValueError("GANConfig: n_critic, batch_size and layers must be >= 1")


# Settings under which each variant trains well on the toy data (python -m minilm.bench gan).
_VARIANTS = {
    "gan": dict(loss="gan"),
    "wgan": dict(loss="wgan", n_critic=5, lr_g=5e-4, lr_d=5e-4, clip=0.05),
    "wgan-gp": dict(loss="wgan-gp", n_critic=5, lr_g=5e-4, lr_d=5e-4, betas=(0.5, 0.9)),
    "fm": dict(loss="fm"),
}


def variant(name: str, **overrides) -> GANConfig:
    """The config of one named variant ("gan", "wgan", "wgan-gp", "fm"), with overrides.

    >>> variant("wgan-gp", hidden=32).n_critic
    5
    """
    if name not in _VARIANTS:
        raise ValueError(f"unknown GAN variant {name!r}; choose one of {tuple(_VARIANTS)}")
    return replace(GANConfig(**_VARIANTS[name]), **overrides)


def _mlp(d_in, hidden, layers, d_out, act, device, dtype):
    mods, d = [], d_in
    for _ in range(layers):
        mods += [nn.Linear(d, hidden, device=device, dtype=dtype), act()]
        d = hidden
    return nn.Sequential(*mods), nn.Linear(d, d_out, device=device, dtype=dtype)


class Generator(nn.Module):
    """An MLP from noise (B, noise_dim) to samples (B, data_dim)."""

    def __init__(self, config: GANConfig, device="cpu", dtype=np.float32):
        super().__init__()
        self.body, self.out = _mlp(config.noise_dim, config.hidden, config.layers,
                                   config.data_dim, nn.ReLU, device, dtype)  # fmt: skip

    def forward(self, z):
        return self.out(self.body(z))


class Discriminator(nn.Module):
    """An MLP from samples (B, data_dim) to one score each (B,): a logit for
    ``"gan"``/``"fm"``, an unbounded critic value for the WGANs.
    ``features(x)`` is the last hidden layer (B, hidden), used by feature matching."""

    def __init__(self, config: GANConfig, device="cpu", dtype=np.float32):
        super().__init__()
        act = lambda: nn.LeakyReLU(0.2)
        self.body, self.out = _mlp(config.data_dim, config.hidden, config.layers, 1, act,
                                   device, dtype)  # fmt: skip

    def features(self, x):
        return self.body(x)

    def forward(self, x):
        return self.out(self.body(x)).reshape(-1)  # (B,)


class GAN(nn.Module):
    """A generator and a discriminator built from one :class:`GANConfig`."""

    def __init__(self, config: GANConfig, device="cpu", dtype=np.float32):
        super().__init__()
        self.config = config
        self.G = Generator(config, device, dtype)
        self.D = Discriminator(config, device, dtype)

    def noise(self, n: int) -> Tensor:
        w = self.G.out.weight
        return randn(n, self.config.noise_dim, device=w.device, dtype=w.dtype)

    def sample(self, n: int):
        """``n`` generated samples as a NumPy array (n, data_dim), without a graph."""
        with no_grad():
            return self.G(self.noise(n)).numpy()


# ---- the losses --------------------------------------------------------------


def discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """Binary cross-entropy of D: real labelled 1, fake labelled 0.

    ``-log sigmoid(r) - log(1 - sigmoid(f)) = softplus(-r) + softplus(f)``,
    averaged over each batch.

    >>> from minilm import tensor
    >>> round(discriminator_loss(tensor([0.0]), tensor([0.0])).item(), 4)  # 2 log 2
    1.3863
    """
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def generator_loss(fake_logits: Tensor, saturating: bool = False) -> Tensor:
    """The generator's loss on D's logits for fake samples.

    Non-saturating (default): ``-log D(G(z)) = softplus(-f)``; its gradient is
    large when D confidently rejects the fakes, exactly when G needs it. The
    minimax form ``log(1 - D(G(z))) = -softplus(f)`` (``saturating=True``) has
    gradient ``-sigmoid(f)``, which vanishes as D wins.

    >>> from minilm import tensor
    >>> round(generator_loss(tensor([0.0])).item(), 4)
    0.6931
    """
    if saturating:
        return -F.softplus(fake_logits).mean()
    return F.softplus(-fake_logits).mean()


def critic_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """The WGAN critic's loss ``E[D(fake)] - E[D(real)]``; its negative estimates
    the Wasserstein-1 distance when D is 1-Lipschitz.

    >>> from minilm import tensor
    >>> critic_loss(tensor([3.0, 1.0]), tensor([0.5, 0.5])).item()
    -1.5
    """
    return fake_scores.mean() - real_scores.mean()


def wgan_generator_loss(fake_scores: Tensor) -> Tensor:
    """The WGAN generator's loss ``-E[D(fake)]``."""
    return -fake_scores.mean()


def gradient_penalty(critic, real: Tensor, fake: Tensor, weight: float = 10.0, eps=None) -> Tensor:
    """WGAN-GP's penalty ``weight * mean((||grad_x critic(x_hat)||_2 - 1)^2)``
    at ``x_hat = eps * real + (1 - eps) * fake``, with one ``eps ~ U(0, 1)`` per
    sample (or the given ``eps``, broadcastable against ``real``).

    The input gradient is taken with ``create_graph=True``, so the penalty is a
    differentiable function of the critic's weights: ``penalty.backward()``
    differentiates through a gradient.

    >>> import minilm
    >>> critic = lambda x: (x * minilm.tensor([3.0, 4.0])).sum(axis=1)  # gradient norm 5
    >>> gradient_penalty(critic, minilm.zeros(4, 2), minilm.ones(4, 2), weight=1.0).item()
    16.0
    """
    real, fake = real.detach(), fake.detach()
    if eps is None:
        shape = (real.shape[0],) + (1,) * (real.ndim - 1)  # (B, 1, ...): one per sample
        eps = rand(*shape, device=real.device, dtype=real.dtype)
    x_hat = (eps * real + (1 - eps) * fake).detach().requires_grad_()
    (g,) = grad(critic(x_hat).sum(), [x_hat], create_graph=True)  # (B, D)
    norm = ops.sqrt((g * g).reshape(g.shape[0], -1).sum(axis=1) + 1e-12)  # (B,)
    return weight * ((norm - 1) ** 2).mean()


def clip_weights_(module: nn.Module, c: float) -> None:
    """Clip every parameter of ``module`` into ``[-c, c]`` in place (the WGAN's
    crude way to keep the critic Lipschitz)."""
    with no_grad():
        for p in module.parameters():
            p.data[...] = p.xp.clip(p.data, -c, c)


def feature_matching_loss(real_features: Tensor, fake_features: Tensor) -> Tensor:
    """``||mean(real_features) - mean(fake_features)||^2`` over the batch axis.

    >>> from minilm import tensor
    >>> feature_matching_loss(tensor([[1.0, 0.0], [3.0, 0.0]]), tensor([[0.0, 1.0]])).item()
    5.0
    """
    d = real_features.mean(axis=0) - fake_features.mean(axis=0)
    return (d * d).sum()
