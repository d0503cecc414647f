"""RL fine-tuning of a character LM toward a name scorer, with and without a KL penalty.

``python -m minilm.bench rlhf [--lm-steps 1500] [--steps 300] [--beta 0.1] [--plot rlhf.png]``

Pretrains a GRU character LM on names (``minilm.models.rnn_lm``), trains the
reward model (:class:`minilm.rl.rlhf.NameScorer`), then fine-tunes two copies
of the LM with REINFORCE toward the scorer's logit: one with the KL penalty
``beta``, one without (beta = 0). Prints reward, KL to the reference, and the
real/distinct shares of the samples at the start and the end, with samples.
"""

from __future__ import annotations

import argparse
import time

import minilm
from minilm import argtypes
from minilm.data.lm_corpus import CharCorpus
from minilm.data.name_data import name_stats
from minilm.models.rnn_lm import RNNLM, RNNLMConfig
from minilm.recipes.rnn_lm import RNNTrainConfig, train_rnn_lm
from minilm.rl.rlhf import (
    NameScorer,
    RLHFConfig,
    decode,
    plot_rlhf,
    rl_finetune,
    sample_names,
    train_scorer,
)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m minilm.bench rlhf", description=__doc__)
    parser.add_argument("--lm-steps", type=argtypes.positive_int, default=1500)
    parser.add_argument("--scorer-steps", type=argtypes.positive_int, default=600)
    parser.add_argument("--steps", type=argtypes.positive_int, default=300)
    parser.add_argument("--beta", type=argtypes.nonnegative_float, default=0.1)
    parser.add_argument("--seed", type=argtypes.seed, default=0)
    parser.add_argument("--plot", default=None, type=argtypes.output_file)
    args = parser.parse_args(argv)
    t = time.perf_counter()
    minilm.manual_seed(args.seed)
    lm = RNNLM(RNNLMConfig(vocab_size=27, cell="gru", embed_dim=16, hidden_size=64))
    train_rnn_lm(lm, CharCorpus.load("names"), RNNTrainConfig(steps=args.lm_steps, seed=args.seed))
    scorer = NameScorer()
    acc = train_scorer(scorer, steps=args.scorer_steps)
    print(f"pretrained LM and reward model in {time.perf_counter() - t:.0f} s; "
          f"reward model accuracy (val names vs look-alikes) {acc:.1%}")  # fmt: skip
    ids, mask = sample_names(lm, 1000)
    before = decode(ids, mask)
    print(f"before: score {scorer.score(before).mean():.2f}; {name_stats(before)}")
    print(f"  samples: {' '.join(before[:12])}")
    hists = {}
    for beta in (args.beta, 0.0):
        minilm.manual_seed(args.seed)
        policy, h = rl_finetune(lm, scorer, args.steps, RLHFConfig(beta=beta))
        hists[f"beta = {beta}"] = h
        ids, mask = sample_names(policy, 1000)
        after = decode(ids, mask)
        tail = lambda v: sum(v[-20:]) / 20
        print(
            f"after, beta = {beta}: score {scorer.score(after).mean():.2f} (curve end "
            f"{tail(h.score):.2f}), KL {tail(h.kl):.2f} nats/name; {name_stats(after)}"
        )
        print(f"  samples: {' '.join(after[:12])}")
    if args.plot:
        plot_rlhf(hists).savefig(args.plot, dpi=80)
    return 0
