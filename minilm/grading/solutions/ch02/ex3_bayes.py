"""Reference solution: chapters/02_math_foundations/exercises/ex3_bayes.py."""

from minilm.backend import np


def posterior(log_prior, log_likelihood):
    log_joint = log_prior[:, None] + log_likelihood
    log_joint = log_joint - log_joint.max(axis=0, keepdims=True)
    joint = np.exp(log_joint)
    return joint / joint.sum(axis=0, keepdims=True)
