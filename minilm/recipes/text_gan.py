"""Training a :class:`minilm.models.TextGAN` on fixed-length names."""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import functional as F
from .. import optim
from ..backend import np
from ..data.name_data import ALPHABET, encode_names, name_stats
from ..models.gan import discriminator_loss, generator_loss, gradient_penalty
from ..models.text_gan import TextGAN, gumbel_softmax
from ..progress import progress_bar
from ..tensor import no_grad, rand, tensor

__all__ = ["TextGANHistory", "train_text_gan"]


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
    ``eval_size`` samples with :func:`~minilm.data.name_data.name_stats`.

    >>> import minilm
    >>> from minilm.models.text_gan import TextGAN, TextGANConfig
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
