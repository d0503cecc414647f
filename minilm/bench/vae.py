"""The names VAE: reconstruction, KL, samples and interpolations.

``python -m minilm.bench vae [--steps 4000] [--latent 16] [--seed 0]``

Trains :class:`minilm.models.vae.NameVAE` on the training split's names (up
to 8 letters) and reports, on the validation split: reconstruction (nats per
name, one posterior sample), KL (nats per name), their sum (the negative ELBO,
a bound on -log p(name)), the share of names decoded exactly from their
posterior mean, and the real/new/distinct shares of 2000 prior samples.
"""

from __future__ import annotations

import argparse
import time

import minilm
from minilm import argtypes
from minilm.data.name_data import fixed_length_names, name_stats
from minilm.models.vae import NameVAE, VAEConfig
from minilm.recipes.vae import train_vae


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m minilm.bench vae", description=__doc__)
    parser.add_argument("--steps", type=argtypes.positive_int, default=4000)
    parser.add_argument("--latent", type=argtypes.positive_int, default=16)
    parser.add_argument("--beta", type=argtypes.nonnegative_float, default=1.0)
    parser.add_argument("--seed", type=argtypes.seed, default=0)
    args = parser.parse_args(argv)
    minilm.manual_seed(args.seed)
    config = VAEConfig(latent_dim=args.latent, beta=args.beta)
    train, val = fixed_length_names("train", config.max_len), fixed_length_names("val", 8)
    vae = NameVAE(config)
    t = time.perf_counter()
    hist = train_vae(vae, train, args.steps, val_names=val, eval_every=max(args.steps // 4, 1))
    seconds = time.perf_counter() - t
    for step, e in hist.evals:
        print(f"step {step:5d}: recon {e['recon']:.3f}  KL {e['kl']:.3f}  -ELBO "
              f"{e['neg_elbo']:.3f} nats/name  exact {e['exact']:.1%}")  # fmt: skip
    e = hist.evals[-1][1]
    print(f"\nVAE (latent {args.latent}, beta {args.beta}), {args.steps} steps, {seconds:.0f} s, "
          f"validation names ({len(val)}):")  # fmt: skip
    print(
        f"  reconstruction {e['recon']:.3f} nats/name, KL {e['kl']:.3f}, -ELBO {e['neg_elbo']:.3f}"
    )
    print(f"  exact reconstructions from the posterior mean: {e['exact']:.1%}")
    print(f"  prior samples (greedy): {e['samples']}")
    print(f"  prior samples (sampled): {name_stats(vae.sample(2000, greedy=False))}")
    print(f"  samples: {' '.join(vae.sample(16))}")
    for a, b in [("emma", "oliver"), ("sophia", "liam")]:
        print(f"  {a} -> {b}: {' '.join(vae.interpolate(a, b, 7))}")
    return 0
