"""Graders for ex1_mlm_masking, against ``minilm.models.bert.mask_rule``."""

from hypothesis import strategies as st

from minilm.backend import np
from minilm.grading import assert_close, check, prop
from minilm.models.bert import mask_rule

REIMPLEMENTS = ("minilm.models.bert.mask_rule",)


@st.composite
def draws(draw):
    """ids with specials and padding mixed in, and draws that hit every branch often."""
    B, T = draw(st.integers(1, 4)), draw(st.integers(1, 12))
    seed = draw(st.integers(0, 2**31))
    gen = np.random.default_rng(seed)
    ids = gen.integers(0, 20, size=(B, T))
    u_pick, u_action = gen.random((B, T)), gen.random((B, T))
    random_ids = gen.integers(4, 20, size=(B, T))
    mask_prob = draw(st.sampled_from([0.15, 0.5, 1.0]))
    return ids, u_pick, u_action, random_ids, 3, 4, mask_prob


def _both(student, args):
    want = mask_rule(*args)
    copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    got = student.mask_rule(*copies)
    assert isinstance(got, tuple) and len(got) == 2, "mask_rule must return (inputs, targets)"
    assert (copies[0] == args[0]).all(), "ids were modified in place"
    return got, want


@check(points=1)
@prop(args=draws())
def targets(student, args):
    """targets: the original id where picked, -100 elsewhere"""
    (_, got), (_, want) = _both(student, args)
    assert_close(got, want, "targets")


@check(points=2)
@prop(args=draws())
def inputs(student, args):
    """inputs: 80% [MASK], 10% random, 10% unchanged among the picked"""
    (got, _), (want, _) = _both(student, args)
    assert_close(got, want, "inputs")


@check(points=1)
@prop(args=draws())
def specials_untouched(student, args):
    """special tokens and padding are never picked or changed"""
    ids, num_special = args[0], args[5]
    got_inputs, got_targets = student.mask_rule(*(a.copy() if isinstance(a, np.ndarray) else a
                                                  for a in args))  # fmt: skip
    special = ids < num_special
    assert (np.asarray(got_inputs)[special] == ids[special]).all(), "a special token changed"
    assert (np.asarray(got_targets)[special] == -100).all(), "a special token is a target"
