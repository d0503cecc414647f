"""Reference solution: chapters/08_pretraining_finetuning/exercises/ex2_multilabel_f1.py."""

from minilm.backend import np


def _f1(tp, fp, fn):
    denom = 2 * tp + fp + fn
    return 2 * tp / denom if denom > 0 else 0.0


def micro_macro_f1(y_true, y_pred):
    truth, guess = np.asarray(y_true) == 1, np.asarray(y_pred) == 1  # (N, L) bool
    tp = np.count_nonzero(truth & guess, axis=0)  # (L,) per label
    fp = np.count_nonzero(~truth & guess, axis=0)
    fn = np.count_nonzero(truth & ~guess, axis=0)
    micro = _f1(tp.sum(), fp.sum(), fn.sum())
    per_label = [_f1(a, b, c) for a, b, c in zip(tp, fp, fn)]
    macro = sum(per_label) / len(per_label)
    return float(micro), float(macro)
