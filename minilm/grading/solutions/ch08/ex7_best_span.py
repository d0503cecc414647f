"""Reference solution: chapters/08_pretraining_finetuning/exercises/ex7_best_span.py."""

from minilm.backend import np


def best_span(start_logits, end_logits, max_answer_len, allowed):
    s, e = np.asarray(start_logits, dtype=np.float64), np.asarray(end_logits, dtype=np.float64)
    ok = np.asarray(allowed, dtype=bool)
    T = len(s)
    best_score, best = -np.inf, None
    for k in range(min(max_answer_len, T)):  # k = end - start: shorter spans first
        scores = np.where(ok[: T - k] & ok[k:], s[: T - k] + e[k:], -np.inf)
        i = int(np.argmax(scores))  # the earliest start among equal scores
        if scores[i] > best_score:  # strictly better: a tie keeps the shorter span
            best_score, best = scores[i], (i, i + k)
    return best
