"""Training and evaluating a :class:`minilm.models.NameVAE`."""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import optim
from ..backend import np
from ..data.name_data import encode_names, name_stats
from ..models.vae import NameVAE
from ..progress import progress_bar
from ..tensor import no_grad, rand

__all__ = ["VAEHistory", "evaluate_vae", "train_vae"]


@dataclass
class VAEHistory:
    step: list = field(default_factory=list)
    loss: list = field(default_factory=list)
    recon: list = field(default_factory=list)
    kl: list = field(default_factory=list)
    evals: list = field(default_factory=list)  # (step, dict from evaluate_vae)


def evaluate_vae(vae: NameVAE, names, n_samples: int = 1000) -> dict:
    """On held-out ``names``: reconstruction (nats/name, one posterior sample),
    KL (nats/name), their sum (the negative ELBO, an upper bound on -log p(x)),
    the share of names decoded exactly from their posterior mean, and
    :func:`~minilm.data.name_data.name_stats` of ``n_samples`` prior samples.
    """
    with no_grad():
        _, recon, kl = vae.loss(names)
    exact = float(np.mean([r == n for r, n in zip(vae.reconstruct(list(names)), names)]))
    return {"recon": recon.item(), "kl": kl.item(), "neg_elbo": recon.item() + kl.item(),
            "exact": exact, "samples": name_stats(vae.sample(n_samples))}  # fmt: skip


def train_vae(vae: NameVAE, names, steps: int, val_names=None, eval_every: int = 0,
              progress: bool = True) -> VAEHistory:  # fmt: skip
    """Train on ``names`` with Adam for ``steps`` steps, warming up the KL weight;
    evaluate on ``val_names`` every ``eval_every`` steps and at the end.

    >>> import minilm
    >>> from minilm.models.vae import NameVAE, VAEConfig
    >>> minilm.manual_seed(0)
    >>> vae = NameVAE(VAEConfig(max_len=6, latent_dim=2, hidden=16, batch_size=4))
    >>> h = train_vae(vae, ["emma", "ava", "mia"], steps=3, progress=False)
    >>> len(h.loss), h.kl[0] >= 0
    (3, True)
    """
    c = vae.config
    data = encode_names(names, c.max_len)
    opt = optim.Adam(vae.parameters(), lr=c.lr)
    rng = np.random.default_rng(int(rand(1).item() * 2**31))  # follows minilm.manual_seed
    hist = VAEHistory()
    bar = progress_bar(range(1, steps + 1), desc="VAE", enabled=progress)
    for step in bar:
        loss, recon, kl = vae.loss(data[rng.integers(0, len(data), c.batch_size)],
                                   c.kl_weight(step))  # fmt: skip
        opt.zero_grad()
        loss.backward()
        opt.step()
        hist.step.append(step)
        hist.loss.append(loss.item())
        hist.recon.append(recon.item())
        hist.kl.append(kl.item())
        if val_names is not None and ((eval_every and step % eval_every == 0) or step == steps):
            hist.evals.append((step, evaluate_vae(vae, val_names)))
        if step % 50 == 0:
            bar.set_postfix(recon=f"{recon.item():.2f}", kl=f"{kl.item():.2f}")
    return hist
