"""Exercise 3 (5 points): top-p (nucleus) filtering of next-token logits.

Nucleus sampling (Holtzman et al., 2020) samples only from the *nucleus*: the
smallest set of most likely tokens whose probabilities add up to at least p.
Write ``top_p_filter(logits, p)`` on NumPy arrays of shape (..., V): return a
copy of ``logits`` in which every token outside the nucleus of its row is
``-inf`` (kept tokens keep their logits). Probabilities are softmax(logits)
over the last axis. The most likely token is always kept, and 0 < p <= 1.

Hint: sort the probabilities in decreasing order; a token is in the nucleus
when the mass of the tokens *before* it is still below p.

Checked against ``minilm.generate.filter_top_p`` on one row (2 points), on
batches of rows (1 point), and for the nucleus' two promises whatever the
logits: kept mass >= p, and dropping the least likely kept token would fall
below p (1 point); and on logits up to 800 in size, where exp overflows unless
the softmax subtracts each row's maximum first (1 point).

    python -m minilm grade chapters/05_sequence_models/exercises/ex3_top_p.py
"""

from minilm.backend import np  # noqa: F401 - NumPy, for your solution


def top_p_filter(logits, p):
    """Logits (..., V) with every token outside the top-p nucleus set to -inf."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write top_p_filter")
    ### END YOUR SOLUTION
