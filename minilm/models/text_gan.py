"""A GAN over discrete text: names, through a Gumbel-softmax relaxation.

Sampling a character is not differentiable, so a generator that *samples* text
gets no gradient from the discriminator. The Gumbel-softmax trick fixes that.
Adding Gumbel noise ``g = -log(-log U)`` to logits and taking the argmax draws
exactly from ``softmax(logits)`` (the Gumbel-max trick); replacing the argmax
by ``softmax((logits + g) / tau)`` gives a smooth sample that tends to the
one-hot sample as the temperature ``tau`` goes to 0. With ``hard=True``
(straight-through) the forward pass uses the one-hot sample and the backward
pass the soft one's gradient, so the discriminator only ever sees one-hot
characters, as it does for real names.

The generator maps noise to logits (B, L, V) for all ``L`` positions at once; the
discriminator reads a (relaxed) one-hot name (B, L, V). ``TextGANConfig.loss``
picks the non-saturating GAN loss or WGAN-GP (both from :mod:`minilm.models.gan`).

>>> import minilm
>>> minilm.manual_seed(0)
>>> gan = TextGAN(TextGANConfig(max_len=6, hidden=16))
>>> len(gan.generate(3))
3
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import functional as F
from .. import nn
from ..backend import np
from ..data.name_data import ALPHABET, decode_names
from ..tensor import Tensor, as_tensor, no_grad, rand, randn

__all__ = ["gumbel_softmax", "TextGANConfig", "TextGAN"]


def gumbel_softmax(logits: Tensor, tau: float = 1.0, hard: bool = False) -> Tensor:
    """A relaxed sample from ``softmax(logits)`` along the last axis.

    ``softmax((logits + g) / tau)`` with Gumbel noise ``g``: each row sums to 1.
    ``hard=True``: the forward value is the one-hot ``argmax(logits + g)`` (an
    exact sample), the gradient that of the soft sample (straight-through).

    >>> import minilm
    >>> y = gumbel_softmax(minilm.zeros(4, 3), tau=0.5)
    >>> [round(s, 5) for s in y.sum(axis=-1).tolist()]
    [1.0, 1.0, 1.0, 1.0]
    >>> sorted(set(gumbel_softmax(minilm.zeros(4, 3), hard=True).numpy().ravel().tolist()))
    [0.0, 1.0]
    """
    if tau <= 0:
        raise ValueError(f"gumbel_softmax: tau must be > 0, got {tau}")
    xp = logits.xp
    u = rand(*logits.shape, device=logits.device, dtype=logits.dtype).data
    tiny = np.finfo(logits.dtype).tiny
    g = as_tensor(-xp.log(-xp.log(u + tiny) + tiny))
    y = F.softmax((logits + g) * (1.0 / tau), axis=-1)
    if not hard:
        return y
    idx = y.data.argmax(axis=-1)
    y_hard = F.one_hot(idx, logits.shape[-1], dtype=logits.dtype)
    return y_hard - y.detach() + y  # forward: one-hot; backward: d(soft sample)


@dataclass
class TextGANConfig:
    """Sizes, the game (``"gan"`` or ``"wgan-gp"``) and the temperature schedule:
    ``tau`` goes from ``tau_start`` to ``tau_end`` geometrically over training."""

    max_len: int = 8
    noise_dim: int = 32
    hidden: int = 256
    loss: str = "wgan-gp"
    hard: bool = True
    tau_start: float = 1.0
    tau_end: float = 0.3
    lr: float = 3e-4
    betas: tuple = (0.5, 0.9)
    n_critic: int = 3
    gp_weight: float = 1.0
    batch_size: int = 128

    def __post_init__(self):
        if self.loss not in ("gan", "wgan-gp"):
            raise ValueError(f"TextGANConfig.loss must be 'gan' or 'wgan-gp', got {self.loss!r}")
        if not 0 < self.tau_end <= self.tau_start:
            raise ValueError("TextGANConfig: need 0 < tau_end <= tau_start")

    def tau(self, step: int, steps: int) -> float:
        """The temperature at ``step`` of ``steps`` (geometric annealing)."""
        r = min(step / max(steps, 1), 1.0)
        return self.tau_start * (self.tau_end / self.tau_start) ** r


class TextGAN(nn.Module):
    """Generator (noise -> logits (B, L, V)) and discriminator ((B, L, V) -> (B,))."""

    def __init__(self, config: TextGANConfig, device="cpu"):
        super().__init__()
        c = self.config = config
        L, V, H = c.max_len, len(ALPHABET), c.hidden
        self.G = nn.Sequential(nn.Linear(c.noise_dim, H, device=device), nn.ReLU(),
                               nn.Linear(H, H, device=device), nn.ReLU(),
                               nn.Linear(H, L * V, device=device))  # fmt: skip
        self.D = nn.Sequential(nn.Linear(L * V, H, device=device), nn.LeakyReLU(0.2),
                               nn.Linear(H, H, device=device), nn.LeakyReLU(0.2),
                               nn.Linear(H, 1, device=device))  # fmt: skip

    @property
    def device(self):
        return self.G[0].weight.device

    def logits(self, n: int) -> Tensor:
        c = self.config
        z = randn(n, c.noise_dim, device=self.device)
        return self.G(z).reshape(n, c.max_len, len(ALPHABET))  # (B, L, V)

    def score(self, onehot: Tensor) -> Tensor:
        """The discriminator's score of one-hot names (B, L, V) -> (B,)."""
        return self.D(onehot.reshape(onehot.shape[0], -1)).reshape(-1)

    def generate(self, n: int) -> list[str]:
        """``n`` names sampled from the generator (Gumbel-max: exact samples)."""
        with no_grad():
            y = gumbel_softmax(self.logits(n), hard=True)
        return decode_names(y.data.argmax(axis=-1))
