"""REINFORCE on the text environments: baselines, gradient variance, reward curves.

``python -m minilm.bench reinforce [--steps 150] [--variance-batches 30] [--seed 0]
[--plot reinforce.png]``

1. Gradient variance: for a fixed (freshly initialized) GRU policy on
   ``PatternEnv("cvcvcv")`` and on ``NameEnv``, the variance of the REINFORCE
   gradient estimate over ``--variance-batches`` batches of 32 episodes (summed
   over parameters), with no baseline, a running-mean baseline and a fitted
   value head. This part takes about a minute at the default 30 batches; 0 skips it.
2. Training: the same policy trained from the same seed for ``--steps`` updates
   with each baseline on the pattern task, and the end of each reward curve
   (mean of the last 10 updates).
"""

from __future__ import annotations

import argparse
import os
import time

import minilm
from minilm import argtypes
from minilm.rl import CharPolicy, NameEnv, PatternEnv, Reinforce, ReinforceConfig
from minilm.rl.reinforce import gradient_variance, plot_reward_curves

BASELINES = ("none", "mean", "value")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m minilm.bench reinforce", description=__doc__)
    parser.add_argument("--steps", type=argtypes.positive_int, default=150,
                        help="training updates per baseline (default 150)")  # fmt: skip
    parser.add_argument("--variance-batches", type=argtypes.nonnegative_int, default=30,
                        help="batches for the gradient-variance table (0: skip it; "
                             "need 2 or more)")  # fmt: skip
    parser.add_argument("--seed", type=argtypes.seed, default=0)
    parser.add_argument("--plot", default=None, type=argtypes.output_file,
                        help="save the reward curves here")  # fmt: skip
    args = parser.parse_args(argv)
    if args.variance_batches == 1:
        parser.error("argument --variance-batches: a variance needs 2 or more batches (0 skips)")
    envs = {"pattern cvcvcv": lambda: PatternEnv("cvcvcv"), "name": lambda: NameEnv()}
    if args.variance_batches:
        print(f"gradient variance of a fixed policy ({args.variance_batches} batches of 32 "
              "episodes):")  # fmt: skip
        for label, make in envs.items():
            var = {}
            for b in BASELINES:
                minilm.manual_seed(args.seed)
                var[b] = gradient_variance(CharPolicy(), make, b, batch_size=32,
                                           n_batches=args.variance_batches,
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
        tail = hists[b].reward[-10:]
        last = sum(tail) / len(tail)
        print(f"  baseline {b:5s}: reward {hists[b].reward[0]:.2f} -> {last:.2f} (of 6) in "
              f"{args.steps} updates, {time.perf_counter() - t:.0f} s; samples "
              f"{' '.join(hists[b].samples[-1][1][:6])}")  # fmt: skip
    if args.plot:
        ax = plot_reward_curves(hists, title="REINFORCE on PatternEnv('cvcvcv')")
        ax.figure.savefig(args.plot, dpi=80)
        print(f"wrote the reward curves to {os.path.abspath(args.plot)}")
    return 0
