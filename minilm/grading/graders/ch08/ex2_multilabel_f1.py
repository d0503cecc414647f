"""Graders for ex2_multilabel_f1, against ``minilm.metrics.precision_recall_f1``."""

from hypothesis import strategies as st

from minilm.backend import np
from minilm.grading import assert_close, check, prop
from minilm.metrics import precision_recall_f1

REIMPLEMENTS = ("minilm.metrics.precision_recall_f1", "minilm.metrics.f1_score")


@st.composite
def predictions(draw, empty_labels=False):
    """(y_true, y_pred) 0/1 int64 (N, L); with ``empty_labels`` some labels (or all)
    have no positives and no predictions."""
    N, L = draw(st.integers(1, 8)), draw(st.integers(1, 5))
    gen = np.random.default_rng(draw(st.integers(0, 2**31)))
    density = draw(st.sampled_from([0.1, 0.3, 0.5, 0.8]))
    y_true = (gen.random((N, L)) < density).astype(np.int64)
    y_pred = (gen.random((N, L)) < density).astype(np.int64)
    if empty_labels:
        empty = gen.random(L) < 0.5
        empty[draw(st.integers(0, L - 1))] = True
        if draw(st.booleans()) and draw(st.booleans()):
            empty[:] = True  # nothing anywhere: both averages are 0
        y_true[:, empty], y_pred[:, empty] = 0, 0
    return y_true, y_pred


def _student(student, y_true, y_pred):
    a, b = y_true.copy(), y_pred.copy()
    got = student.micro_macro_f1(a, b)
    assert isinstance(got, tuple) and len(got) == 2, "micro_macro_f1 must return (micro, macro)"
    assert (a == y_true).all() and (b == y_pred).all(), "the inputs were modified in place"
    return float(got[0]), float(got[1])


def _reference(y_true, y_pred):
    return (precision_recall_f1(y_true, y_pred, "micro")[2],
            precision_recall_f1(y_true, y_pred, "macro")[2])  # fmt: skip


@check(points=1)
@prop(pair=predictions())
def micro(student, pair):
    """micro F1: TP, FP, FN pooled over the labels, then one F1"""
    assert_close(_student(student, *pair)[0], _reference(*pair)[0], "micro F1")


@check(points=2)
@prop(pair=predictions())
def macro(student, pair):
    """macro F1: the mean of the per-label F1s"""
    assert_close(_student(student, *pair)[1], _reference(*pair)[1], "macro F1")


@check(points=1)
@prop(pair=predictions(empty_labels=True))
def empty_labels(student, pair):
    """a label with no positives and no predictions has F1 0 and counts in the macro mean"""
    got, want = _student(student, *pair), _reference(*pair)
    assert_close(got[0], want[0], "micro F1 with empty labels")
    assert_close(got[1], want[1], "macro F1 with empty labels")
