"""Graders for ex3_bayes, against ``minilm.functional.softmax`` over the classes."""

from hypothesis import strategies as st

import minilm
import minilm.functional as F
from minilm.backend import np
from minilm.grading import assert_close, check, prop
from minilm.testing import arrays, floats

# what this exercise asks the student to write: refused in the sandbox
REIMPLEMENTS = ("minilm.functional.softmax", "minilm.functional.log_softmax")


@st.composite
def problems(draw, low=-30.0):
    """(log_prior (K,), log_likelihood (K, M)) with log-likelihoods in [low, 0]."""
    K, M = draw(st.integers(2, 5)), draw(st.integers(1, 4))
    prior = draw(arrays((K,), elements=floats(0.05, 1.0)))
    log_lik = draw(arrays((K, M), elements=floats(low, 0.0)))
    return np.log(prior / prior.sum()), log_lik


def _reference(log_prior, log_lik):
    scores = minilm.tensor(log_prior[:, None] + log_lik, dtype="float64")
    return F.softmax(scores, axis=0).numpy()


def _student(student, log_prior, log_lik):
    with np.errstate(all="ignore"):  # overflow and 0/0 become wrong values, not noise
        got = student.posterior(log_prior.copy(), log_lik.copy())
    return np.asarray(got, dtype=np.float64)


@check(points=2)
@prop(problem=problems())
def moderate(student, problem):
    """the posterior for log-likelihoods in [-30, 0]"""
    assert_close(_student(student, *problem), _reference(*problem), "P(class | text)")


@check(points=1)
@prop(problem=problems(low=-2000.0))
def tiny_likelihoods(student, problem):
    """the posterior for log-likelihoods down to -2000 (exp underflows to 0)"""
    got = _student(student, *problem)
    assert_close(got, _reference(*problem), "P(class | text) with huge negative logs", atol=1e-8)


@check(points=1)
@prop(problem=problems(low=-2000.0))
def columns_sum_to_one(student, problem):
    """each text's posterior over the classes sums to 1"""
    got = _student(student, *problem)
    assert_close(got.sum(axis=0), np.ones(got.shape[1]), "column sums")
