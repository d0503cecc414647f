"""Reference solution: chapters/09_training_and_optimization/exercises/ex8_successive_halving.py."""

import math


def successive_halving_round(configs, scores, eta=3):
    n_keep = max(1, len(configs) // eta)

    def rank(i):  # NaN after every number; equal keys keep their order (sorted is stable)
        return (math.isnan(scores[i]), 0.0 if math.isnan(scores[i]) else scores[i])

    order = sorted(range(len(configs)), key=rank)
    return [configs[i] for i in order[:n_keep]]


def halving_rungs(n, min_steps, eta=3):
    rungs = [(n, min_steps)]
    while rungs[-1][0] > 1:
        k, steps = rungs[-1]
        rungs.append((max(1, k // eta), steps * eta))
    return rungs
