"""Reference solution: chapters/05_sequence_models/exercises/ex4_beam_step.py."""

from minilm.backend import np


def beam_step(log_probs, scores, beam_size):
    n, V = log_probs.shape
    total = (scores[:, None] + log_probs).reshape(-1)  # (n*V,): beam b, token t at b*V + t
    best = np.argsort(-total)[: min(beam_size, n * V)]
    return best // V, best % V, total[best]
