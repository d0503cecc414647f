"""Graders for ex5_mlm_loss, against ``F.cross_entropy`` with ``ignore_index``."""

from hypothesis import strategies as st

import minilm.functional as F
from minilm.backend import np
from minilm.grading import assert_close, check, prop
from minilm.tensor import as_tensor
from minilm.testing import arrays, floats

REIMPLEMENTS = (
    "minilm.functional.cross_entropy",
    "minilm.functional.nll_loss",
    "minilm.functional.log_softmax",
    "minilm.models.bert.BERT.mlm_loss",
)


@st.composite
def problems(draw, scale=5.0, min_kept=1):
    """(logits (*lead, V), targets (*lead), ignore_index): at least ``min_kept``
    positions kept, the ignore value drawn from -100, -1 and ids past V."""
    lead = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    V = draw(st.integers(2, 7))
    logits = draw(arrays(lead + (V,), elements=floats(-scale, scale)))
    ignore = draw(st.sampled_from([-100, -1, V, 999]))
    n = int(np.prod(lead))
    ids = draw(st.lists(st.integers(0, V - 1), min_size=n, max_size=n))
    drop = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    for i in range(min(min_kept, n)):
        drop[i] = False
    targets = np.where(drop, ignore, ids).astype(np.int64).reshape(lead)
    return logits, targets, ignore


def reference(logits, targets, ignore):
    return F.cross_entropy(as_tensor(logits), as_tensor(targets), ignore_index=ignore).item()


def _student(student, logits, targets, ignore):
    got = student.mlm_loss(logits.copy(), targets.copy(), ignore)
    assert isinstance(got, (float, int)) or (isinstance(got, np.ndarray) and got.shape == ()), (
        f"mlm_loss must return one number (a float), got {type(got).__name__}"
    )
    return float(got)


@check(points=2)
@prop(problem=problems())
def matches_cross_entropy(student, problem):
    """equals F.cross_entropy with ignore_index: mean over the kept positions only"""
    logits, targets, ignore = problem
    got = _student(student, *problem)
    assert_close(got, reference(*problem),
                 f"loss for logits {logits.shape}, ignore_index={ignore}")  # fmt: skip


@check(points=1)
@prop(problem=problems(scale=1000.0))
def huge_logits(student, problem):
    """finite and right for logits up to 1000"""
    got = _student(student, *problem)
    assert np.isfinite(got), f"the loss is {got}: subtract the row max before exp"
    assert_close(got, reference(*problem), "loss with logits up to 1000")


@check(points=1)
@prop(problem=problems(min_kept=0))
def all_ignored(student, problem):
    """every position ignored: the loss is 0.0 (nothing to score)"""
    logits, targets, ignore = problem
    got = _student(student, logits, np.full_like(targets, ignore), ignore)
    assert_close(got, 0.0, f"loss with every target = {ignore}")
