"""A variational autoencoder (VAE) on names.

An encoder maps a name x to a Gaussian ``q(z|x) = N(mu, diag(sigma^2))`` over a
small latent space; a decoder maps a latent z back to a distribution over names,
``p(x|z)``, one softmax per character position. Training maximizes the evidence
lower bound

    log p(x) >= ELBO = E_q[log p(x|z)] - KL(q(z|x) || N(0, I))

i.e. minimizes *reconstruction* (cross-entropy of the name under the decoder,
summed over positions) plus *KL* (in closed form for two Gaussians, see
:func:`gaussian_kl`). The expectation is estimated with one sample drawn by the
**reparameterization** ``z = mu + sigma * eps``, ``eps ~ N(0, I)``, so the
gradient flows through mu and sigma (:func:`reparameterize`). The KL weight is
warmed up from 0, which keeps the encoder from being ignored early on.

Because the prior is N(0, I), decoding ``z ~ N(0, I)`` gives new names, and
decoding points on the line between two names' codes interpolates between them.

>>> import minilm
>>> minilm.manual_seed(0)
>>> vae = NameVAE(VAEConfig(max_len=6, latent_dim=2, hidden=16))
>>> len(vae.sample(4)), len(vae.interpolate("emma", "liam", steps=5))
(4, 5)
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import functional as F
from .. import nn, ops
from ..backend import np
from ..data.name_data import ALPHABET, decode_names, encode_names
from ..tensor import Tensor, no_grad, rand, randn, tensor

__all__ = ["reparameterize", "gaussian_kl", "VAEConfig", "NameVAE"]


def reparameterize(mu: Tensor, logvar: Tensor) -> Tensor:
    """A sample of ``N(mu, exp(logvar))`` written as ``mu + exp(logvar / 2) * eps``,
    so it is differentiable in ``mu`` and ``logvar``.

    >>> import minilm
    >>> z = reparameterize(minilm.full((20000,), 3.0), minilm.full((20000,), 0.0))
    >>> round(float(z.numpy().mean()), 1), round(float(z.numpy().std()), 1)
    (3.0, 1.0)
    """
    eps = randn(*mu.shape, device=mu.device, dtype=mu.dtype)
    return mu + ops.exp(0.5 * logvar) * eps


def gaussian_kl(mu: Tensor, logvar: Tensor) -> Tensor:
    """``KL(N(mu, exp(logvar)) || N(0, I))`` per row, summed over the last axis:
    ``0.5 * sum(mu^2 + exp(logvar) - 1 - logvar)``. Zero only at mu=0, logvar=0.

    >>> import minilm
    >>> gaussian_kl(minilm.tensor([[0.0, 0.0], [1.0, 0.0]]), minilm.zeros(2, 2)).tolist()
    [0.0, 0.5]
    """
    return 0.5 * (mu * mu + ops.exp(logvar) - 1 - logvar).sum(axis=-1)


@dataclass
class VAEConfig:
    """Sizes and training settings. ``beta`` weighs the KL term (1: the ELBO);
    it rises linearly from 0 over the first ``kl_warmup`` steps."""

    max_len: int = 8
    latent_dim: int = 16
    hidden: int = 256
    beta: float = 1.0
    kl_warmup: int = 1000
    lr: float = 1e-3
    batch_size: int = 128

    def kl_weight(self, step: int) -> float:
        return self.beta * min(1.0, step / self.kl_warmup) if self.kl_warmup else self.beta


class NameVAE(nn.Module):
    """MLP encoder (one-hot name (B, L*V) -> mu, logvar (B, Z)) and MLP decoder
    (z -> logits (B, L, V), one softmax per position)."""

    def __init__(self, config: VAEConfig, device="cpu"):
        super().__init__()
        c = self.config = config
        L, V, H, Z = c.max_len, len(ALPHABET), c.hidden, c.latent_dim
        self.encoder = nn.Sequential(nn.Linear(L * V, H, device=device), nn.ReLU(),
                                     nn.Linear(H, H, device=device), nn.ReLU())  # fmt: skip
        self.to_mu = nn.Linear(H, Z, device=device)
        self.to_logvar = nn.Linear(H, Z, device=device)
        self.decoder = nn.Sequential(nn.Linear(Z, H, device=device), nn.ReLU(),
                                     nn.Linear(H, H, device=device), nn.ReLU(),
                                     nn.Linear(H, L * V, device=device))  # fmt: skip

    @property
    def device(self):
        return self.to_mu.weight.device

    def _ids(self, names_or_ids):
        if isinstance(names_or_ids, (list, tuple)):
            names_or_ids = encode_names(names_or_ids, self.config.max_len)
        return tensor(names_or_ids, device=self.device)

    def encode(self, ids) -> tuple[Tensor, Tensor]:
        """(mu, logvar), each (B, Z), of names given as strings or ids (B, L)."""
        ids = self._ids(ids)
        x = F.one_hot(ids, len(ALPHABET)).reshape(ids.shape[0], -1)  # (B, L*V)
        h = self.encoder(x)
        return self.to_mu(h), self.to_logvar(h)

    def decode(self, z: Tensor) -> Tensor:
        """Logits (B, L, V) of each character of the name coded by z (B, Z)."""
        return self.decoder(z).reshape(z.shape[0], self.config.max_len, len(ALPHABET))

    def loss(self, ids, kl_weight: float = 1.0) -> tuple[Tensor, Tensor, Tensor]:
        """(recon + kl_weight * kl, recon, kl), each averaged over the batch;
        recon and kl are in nats per name."""
        ids = self._ids(ids)
        mu, logvar = self.encode(ids)
        logits = self.decode(reparameterize(mu, logvar))
        recon = F.cross_entropy(logits, ids, reduction="sum") * (1.0 / ids.shape[0])
        kl = gaussian_kl(mu, logvar).mean()
        return recon + kl_weight * kl, recon, kl

    def names_from(self, z: Tensor, greedy: bool = True) -> list[str]:
        """Decode latents to names: the most likely character at each position,
        or (``greedy=False``) a sample from each position's softmax."""
        with no_grad():
            logits = self.decode(z)
        if greedy:
            return decode_names(logits.data.argmax(axis=-1))
        u = rand(*logits.shape, device=self.device).data
        g = -logits.xp.log(-logits.xp.log(u + 1e-20) + 1e-20)
        return decode_names((logits.data + g).argmax(axis=-1))  # Gumbel-max: exact samples

    def sample(self, n: int, greedy: bool = True) -> list[str]:
        """``n`` new names: decode draws from the prior N(0, I)."""
        return self.names_from(randn(n, self.config.latent_dim, device=self.device), greedy)

    def reconstruct(self, names) -> list[str]:
        """Each name decoded from its posterior mean."""
        with no_grad():
            mu, _ = self.encode(names)
        return self.names_from(mu)

    def interpolate(self, a: str, b: str, steps: int = 7) -> list[str]:
        """Names decoded at ``steps`` evenly spaced points from code(a) to code(b)
        (posterior means), both ends included."""
        with no_grad():
            mu, _ = self.encode([a, b])
        t = np.linspace(0.0, 1.0, steps).astype(np.float32).reshape(-1, 1)
        ends = mu.numpy()
        return self.names_from(tensor((1 - t) * ends[0] + t * ends[1], device=self.device))
