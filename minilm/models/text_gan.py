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

from dataclasses import dataclass, field

from .. import functional as F
from .. import nn, optim
from ..backend import np
from ..progress import progress_bar
from ..tensor import Tensor, no_grad, rand, randn, tensor
from .gan import discriminator_loss, generator_loss, gradient_penalty
from .name_data import ALPHABET, decode_names, encode_names, name_stats

__all__ = ["gumbel_softmax", "TextGANConfig", "TextGAN", "TextGANHistory", "train_text_gan"]


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
    g = Tensor._wrap(-xp.log(-xp.log(u + tiny) + tiny))
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


@dataclass
class TextGANHistory:
    step: list = field(default_factory=list)
    d_loss: list = field(default_factory=list)
    g_loss: list = field(default_factory=list)
    tau: list = field(default_factory=list)
    evals: list = field(default_factory=list)  # (step, NameStats)


def train_text_gan(gan: TextGAN, names, steps: int, eval_every: int = 0, eval_size: int = 1000,
                   progress: bool = True) -> TextGANHistory:  # fmt: skip
    """Train on ``names`` (strings of at most ``max_len`` letters) for ``steps``
    generator steps; every ``eval_every`` steps (and at the end) score
    ``eval_size`` samples with :func:`~minilm.models.name_data.name_stats`.

    >>> import minilm
    >>> minilm.manual_seed(0)
    >>> gan = TextGAN(TextGANConfig(max_len=6, hidden=16, batch_size=8))
    >>> h = train_text_gan(gan, ["emma", "ava", "mia"], steps=2, eval_size=10, progress=False)
    >>> len(h.d_loss), h.evals[-1][1].n
    (2, 10)
    """
    c = gan.config
    data = encode_names(names, c.max_len)
    V = len(ALPHABET)
    opt_g = optim.Adam(gan.G.parameters(), lr=c.lr, betas=c.betas)
    opt_d = optim.Adam(gan.D.parameters(), lr=c.lr, betas=c.betas)
    rng = np.random.default_rng(int(rand(1).item() * 2**31))  # follows minilm.manual_seed

    def real_batch():
        ids = data[rng.integers(0, len(data), c.batch_size)]
        return F.one_hot(tensor(ids, device=gan.device), V)  # (B, L, V)

    hist = TextGANHistory()
    n_critic = c.n_critic if c.loss == "wgan-gp" else 1
    bar = progress_bar(range(1, steps + 1), desc="text GAN", enabled=progress)
    for step in bar:
        tau = c.tau(step, steps)
        for _ in range(n_critic):
            with no_grad():
                fake = gumbel_softmax(gan.logits(c.batch_size), tau, c.hard)
            real = real_batch()
            if c.loss == "gan":
                d_loss = discriminator_loss(gan.score(real), gan.score(fake))
            else:
                d_loss = gan.score(fake).mean() - gan.score(real).mean()
                d_loss = d_loss + gradient_penalty(gan.score, real, fake, c.gp_weight)
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
        fake_scores = gan.score(gumbel_softmax(gan.logits(c.batch_size), tau, c.hard))
        g_loss = generator_loss(fake_scores) if c.loss == "gan" else -fake_scores.mean()
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        hist.step.append(step)
        hist.d_loss.append(d_loss.item())
        hist.g_loss.append(g_loss.item())
        hist.tau.append(tau)
        if (eval_every and step % eval_every == 0) or step == steps:
            hist.evals.append((step, name_stats(gan.generate(eval_size))))
            bar.set_postfix(real=f"{hist.evals[-1][1].real:.1%}")
    return hist
