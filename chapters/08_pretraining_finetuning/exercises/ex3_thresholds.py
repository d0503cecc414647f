"""Exercise 3 (4 points): per-label decision thresholds, tuned on validation data.

A multi-label classifier gives each example a probability per label; it
predicts label l where ``probs[n, l] >= threshold[l]``. One threshold per label
is chosen on the validation split and then applied, unchanged, to the test
split.

Given ``probs`` (N, L) floats in [0, 1], ``labels`` (N, L) 0/1 integers and
``candidates`` (K,) floats (in no particular order), return ``thresholds``, a
float64 array of shape (L,): for each label, the candidate whose predictions
``probs[:, l] >= candidate`` give that label the highest F1 on these rows,
with

    F1 = 2 TP / (2 TP + FP + FN),  and F1 = 0 when TP = FP = FN = 0.

Ties: among the candidates with the highest F1, take the **smallest** (it
predicts the label more often, so it favours recall). Compute F1 from the
integer counts as written above: equal fractions then compare equal exactly.

Checked against a reference on random probabilities drawn from a coarse grid
(so ties and probabilities equal to a candidate are common): the thresholds
on sorted candidates (2 points), on shuffled candidates (1 point), and with
labels that have no positives (1 point).

    python -m minilm grade chapters/08_pretraining_finetuning/exercises/ex3_thresholds.py
"""

from minilm.backend import np  # noqa: F401 - NumPy, for your solution


def tune_thresholds(probs, labels, candidates):
    """One threshold per label (L,), each maximising that label's F1."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write tune_thresholds")
    ### END YOUR SOLUTION
