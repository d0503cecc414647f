"""Reference solution: chapters/01_language_models/exercises/ex4_perplexity.py."""

import math


def cross_entropy_bits(lm, sentences):
    total, n = 0.0, 0
    for sentence in sentences:
        tokens = list(sentence)
        for i, token in enumerate([*tokens, "</s>"]):
            total -= math.log2(lm.prob(token, tokens[:i]))
            n += 1
    return total / n


def perplexity(lm, sentences):
    return 2 ** cross_entropy_bits(lm, sentences)
