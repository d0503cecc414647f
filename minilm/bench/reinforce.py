"""REINFORCE on the text environments: baselines, gradient variance, reward curves.

``python -m minilm.bench reinforce [--steps 150] [--seed 0] [--plot reinforce.png]``

1. Gradient variance: for a fixed (freshly initialized) GRU policy on
   ``PatternEnv("cvcvcv")`` and on ``NameEnv``, the variance of the REINFORCE
   gradient estimate over 30 batches of 32 episodes (summed over parameters),
   with no baseline, a running-mean baseline and a fitted value head.
2. Training: the same policy trained from the same seed with each baseline on
   the pattern task, and the end of each reward curve (mean of the last 10 updates).
"""

from __future__ import annotations

import argparse
import time

import minilm
from minilm.rl import CharPolicy, NameEnv, PatternEnv, Reinforce, ReinforceConfig
from minilm.rl.reinforce import gradient_variance, plot_reward_curves

BASELINES = ("none", "mean", "value")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m minilm.bench reinforce", description=__doc__)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", default=None)
    args = parser.parse_args(argv)
    envs = {"pattern cvcvcv": lambda: PatternEnv("cvcvcv"), "name": lambda: NameEnv()}
    print("gradient variance of a fixed policy (30 batches of 32 episodes):")
    for label, make in envs.items():
        var = {}
        for b in BASELINES:
            minilm.manual_seed(args.seed)
            var[b] = gradient_variance(CharPolicy(), make, b, n_batches=30, batch_size=32,
                                       value_fit_steps=100, seed=args.seed)  # fmt: skip
        print(f"  {label:15s} " + "  ".join(f"{b}: {v:.4g}" for b, v in var.items())
              + f"   (mean/none {var['mean'] / var['none']:.2f}, "
              f"value/none {var['value'] / var['none']:.2f})")  # fmt: skip
    hists = {}
    for b in BASELINES:
        minilm.manual_seed(args.seed)
        agent = Reinforce(CharPolicy(), ReinforceConfig(baseline=b, lr=3e-3, batch_size=32))
        t = time.perf_counter()
        hists[b] = agent.train(envs["pattern cvcvcv"], args.steps, sample_every=args.steps)
        last = sum(hists[b].reward[-10:]) / 10
        print(f"  baseline {b:5s}: reward {hists[b].reward[0]:.2f} -> {last:.2f} (of 6) in "
              f"{args.steps} updates, {time.perf_counter() - t:.0f} s; samples "
              f"{' '.join(hists[b].samples[-1][1][:6])}")  # fmt: skip
    if args.plot:
        ax = plot_reward_curves(hists, title="REINFORCE on PatternEnv('cvcvcv')")
        ax.figure.savefig(args.plot, dpi=80)
    return 0
