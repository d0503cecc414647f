"""The Gumbel-softmax text GAN on names: how many samples are real names, how many new.

``python -m minilm.bench text_gan [--steps 1500] [--loss wgan-gp] [--seed 0]``

Trains :class:`minilm.models.text_gan.TextGAN` on the training split's names
(up to 8 letters), then scores 2000 samples: the share that are names in
names.txt, the share not in the training split, the share that are real names
the GAN never saw, and the share of distinct samples. A character bigram model
(``minilm.ngram``) fit on the same names is scored the same way, for scale.
"""

from __future__ import annotations

import argparse
import time

import minilm
from minilm import argtypes
from minilm.data.name_data import fixed_length_names, name_stats
from minilm.models.text_gan import TextGAN, TextGANConfig
from minilm.recipes.text_gan import train_text_gan


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m minilm.bench text_gan", description=__doc__)
    parser.add_argument("--steps", type=argtypes.positive_int, default=1500)
    parser.add_argument("--loss", default="wgan-gp", choices=["gan", "wgan-gp"])
    parser.add_argument("--hard", type=int, default=1, choices=[0, 1],
                        help="1: straight-through, 0: soft")  # fmt: skip
    parser.add_argument("--seed", type=argtypes.seed, default=0)
    args = parser.parse_args(argv)
    minilm.manual_seed(args.seed)
    config = TextGANConfig(loss=args.loss, hard=bool(args.hard))
    names = fixed_length_names("train", config.max_len)
    gan = TextGAN(config)
    t = time.perf_counter()
    hist = train_text_gan(gan, names, args.steps, eval_every=max(args.steps // 10, 1))
    seconds = time.perf_counter() - t
    for step, stats in hist.evals:
        print(f"step {step:5d}: {stats}")
    from minilm.ngram import NgramModel

    bigram = NgramModel(2, smoothing="add-k").fit([list(n) for n in names])
    bigram_names = ["".join(s) for s in bigram.generate(2000, seed=args.seed, max_tokens=12)]
    print(
        f"\ntext GAN ({args.loss}, {'straight-through' if args.hard else 'soft'}, tau "
        f"{config.tau_start} -> {config.tau_end}), {args.steps} steps, {seconds:.0f} s"
    )
    print(f"  GAN:    {name_stats(gan.generate(2000))}")
    print(f"  bigram: {name_stats(bigram_names)}")
    print(f"  GAN samples: {' '.join(gan.generate(20))}")
    return 0
