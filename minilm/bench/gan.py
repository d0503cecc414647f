"""Mode coverage of the four GAN variants on the ring of eight Gaussians.

``python -m minilm.bench gan [--steps 2000] [--seed 0] [--plot gan.png]``

Trains the plain GAN, WGAN with weight clipping, WGAN-GP and feature matching
(settings: ``minilm.models.gan.variant``) on the same data for the same number
of generator steps, then prints, for 1000 samples of each: modes covered out of
eight (the rule is in ``minilm.data.gan_toy``), the share of samples within
three standard deviations of a mode, the energy distance and the sliced
Wasserstein distance to 1000 fresh real samples, and the training time.
"""

from __future__ import annotations

import argparse
import time

import minilm
from minilm import argtypes
from minilm.data.gan_toy import (
    energy_distance,
    mode_coverage,
    ring_of_gaussians,
    sliced_wasserstein,
)
from minilm.models.gan import GAN, LOSSES, variant
from minilm.plot import plot_gan_snapshots
from minilm.recipes.gan import train_gan

NAMES = {
    "gan": "plain GAN",
    "wgan": "WGAN, clipping",
    "wgan-gp": "WGAN-GP",
    "fm": "feature matching",
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m minilm.bench gan", description=__doc__)
    parser.add_argument("--steps", type=argtypes.positive_int, default=2000)
    parser.add_argument("--seed", type=argtypes.seed, default=0)
    parser.add_argument("--variants", default=list(LOSSES), type=argtypes.comma_list(LOSSES),
                        help=f"comma-separated subset of: {', '.join(LOSSES)}")  # fmt: skip
    parser.add_argument("--plot", default=None, type=argtypes.output_file,
                        help="save the samples over training here")  # fmt: skip
    args = parser.parse_args(argv)
    ring = ring_of_gaussians()
    real = ring.sample(1000, rng=123)
    rows, figs = [], []
    for name in args.variants:
        minilm.manual_seed(args.seed)
        gan = GAN(variant(name))
        t = time.perf_counter()
        hist = train_gan(gan, ring.sample, args.steps, snapshot_every=max(args.steps // 5, 1))
        seconds = time.perf_counter() - t
        x = hist.snapshots[-1][1]
        cov = mode_coverage(x, ring)
        rows.append((NAMES[name], cov.covered, cov.quality, energy_distance(x, real),
                     sliced_wasserstein(x, real), seconds))  # fmt: skip
        figs.append((name, hist))
    print(f"\nring of 8 Gaussians (std {ring.std}), {args.steps} generator steps, seed {args.seed}")
    print(f"{'variant':18s} {'modes':>6s} {'in 3 sd':>8s} {'energy':>8s} {'sliced W1':>10s} "
          f"{'train s':>8s}")  # fmt: skip
    for name, cov, q, ed, sw, s in rows:
        print(f"{name:18s} {cov:>4d}/8 {q:>8.1%} {ed:>8.4f} {sw:>10.4f} {s:>8.0f}")
    if args.plot:
        from minilm.plot import pyplot

        plt = pyplot()
        for name, hist in figs:
            fig = plot_gan_snapshots(hist, ring, title=NAMES[name])
            fig.savefig(args.plot.replace(".png", f"_{name}.png"), dpi=80)
            plt.close(fig)
    return 0
