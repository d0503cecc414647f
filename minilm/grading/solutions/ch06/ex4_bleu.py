"""Reference solution: chapters/06_attention_seq2seq/exercises/ex4_bleu.py."""

import math
from collections import Counter


def ngrams(tokens, n):
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def clipped_precision(hyp, refs, n):
    counts = ngrams(hyp, n)
    most = Counter()
    for ref in refs:
        most |= ngrams(ref, n)  # | keeps the larger count of each n-gram
    matches = sum(min(c, most[g]) for g, c in counts.items())
    return matches, max(len(hyp) - n + 1, 0)


def brevity_penalty(c, r):
    if c == 0:
        return 0.0
    return 1.0 if c >= r else math.exp(1 - r / c)


def corpus_bleu(hypotheses, references, max_n=4):
    matches, totals = [0] * max_n, [0] * max_n
    c = r = 0
    for hyp, refs in zip(hypotheses, references):
        c += len(hyp)
        r += min((abs(len(ref) - len(hyp)), len(ref)) for ref in refs)[1]
        for n in range(1, max_n + 1):
            m, t = clipped_precision(hyp, refs, n)
            matches[n - 1] += m
            totals[n - 1] += t
    if min(matches) == 0:
        return 0.0
    log_p = sum(math.log(m / t) for m, t in zip(matches, totals)) / max_n
    return brevity_penalty(c, r) * math.exp(log_p)
