"""Exercise 3 (4 points): Bayes' rule in log space.

A classifier has a prior P(c) over K classes and, for each of M observed
texts, the likelihood P(text | c). Bayes' rule gives the posterior

    P(c | text) = P(text | c) P(c) / sum_c' P(text | c') P(c')

A text's likelihood is a product of many token probabilities, so it is stored
as a logarithm: a 30-word sentence easily has log P(text | c) = -300, and
exp(-300 * 3) is 0 in floating point. Compute the posterior from logarithms
without ever exponentiating a huge negative number: subtract, for each text,
the largest log P(text | c) + log P(c) over the classes first (why does that
not change the result?).

Write ``posterior(log_prior, log_likelihood)``: ``log_prior`` has shape (K,),
``log_likelihood`` shape (K, M) with ``log_likelihood[c, j] = log P(text_j | c)``;
return the (K, M) array of P(c | text_j) (each column sums to 1).

Checked against ``minilm.functional.softmax`` over the classes (Bayes' rule is
a softmax of log-joint scores) on random inputs: moderate log-likelihoods
(2 points), log-likelihoods down to -2000 (1 point), columns that sum to 1
(1 point).

    python -m minilm grade chapters/02_math_foundations/exercises/ex3_bayes.py
"""

from minilm.backend import np  # noqa: F401 - NumPy, for your solution


def posterior(log_prior, log_likelihood):
    """(K, M) array of P(class | text) from log P(class) (K,) and log P(text | class) (K, M)."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write posterior")
    ### END YOUR SOLUTION
