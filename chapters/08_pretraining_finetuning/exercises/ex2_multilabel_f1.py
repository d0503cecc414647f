"""Exercise 2 (4 points): micro and macro F1 for multi-label predictions.

``y_true`` and ``y_pred`` are 0/1 integer arrays of shape (N, L): row n is one
example, column l one label, 1 where the label applies (is predicted). For
label l count its true positives, false positives and false negatives over the
N rows; its F1 is

    F1_l = 2 TP_l / (2 TP_l + FP_l + FN_l)

(the harmonic mean of its precision and recall, written with counts).

- **micro F1** pools the decisions first: TP, FP and FN summed over all labels,
  then one F1 from those sums;
- **macro F1** is the plain mean of the L per-label F1s.

A label with no positives and no predictions (TP = FP = FN = 0) has F1 0 by
definition (as in ``minilm.metrics``), and it still counts in the macro mean;
when every label is like that, both averages are 0.

Return ``(micro_f1, macro_f1)`` as Python floats; leave the inputs as they were.

Checked against ``minilm.metrics.precision_recall_f1`` (which you may not
call) on random predictions: micro F1 (1 point), macro F1 (2 points), labels
with no positives and no predictions (1 point).

    python -m minilm grade chapters/08_pretraining_finetuning/exercises/ex2_multilabel_f1.py
"""

from minilm.backend import np  # noqa: F401 - NumPy, for your solution


def micro_macro_f1(y_true, y_pred):
    """(micro F1, macro F1) of 0/1 predictions (N, L) against 0/1 labels (N, L)."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write micro_macro_f1")
    ### END YOUR SOLUTION
