"""Exercise 4 (4 points): one step of beam search.

Beam search keeps the ``beam_size`` best partial sequences. At each step, every
one of the n beams is extended by every one of the V tokens, and the
``beam_size`` extensions with the highest total log-probability survive.

Write ``beam_step(log_probs, scores, beam_size)``: ``log_probs`` (n, V) are the
next-token log-probabilities of each beam, ``scores`` (n,) each beam's
log-probability so far. Return three arrays ``(beam, token, total)`` of length
``min(beam_size, n * V)``, best first: which beam each survivor extends, the
token it adds, and its total ``scores[beam] + log_probs[beam, token]``.

Checked against ``minilm.generate.beam_step``: the totals (1 point), which
beam and token each survivor is (2 points), and a beam wider than all n * V
extensions (1 point).

    python -m minilm grade chapters/05_sequence_models/exercises/ex4_beam_step.py
"""

from minilm.backend import np  # noqa: F401 - NumPy, for your solution


def beam_step(log_probs, scores, beam_size):
    """(beam, token, total) of the beam_size best one-token extensions, best first."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write beam_step")
    ### END YOUR SOLUTION
