"""Exercise 2 (4 points): conditional entropy and mutual information.

``joint`` is a 2-D NumPy array of counts (or probabilities) for a pair of
random variables: ``joint[x, y]`` is how often X = x occurred together with
Y = y, X on the rows. Divide by the total to get P(x, y). Then

    H(Y | X) = -sum_{x,y} P(x, y) log P(y | x)         with P(y | x) = P(x, y) / P(x)
    I(X; Y)  =  sum_{x,y} P(x, y) log (P(x, y) / (P(x) P(y)))

in nats (natural logarithms), 0 log 0 = 0. H(Y | X) is the uncertainty left in
Y once X is known; I(X; Y) = H(Y) - H(Y | X) is how much knowing one tells
about the other (symmetric, >= 0, 0 exactly when X and Y are independent).
Return Python floats.

Checked against ``minilm.info`` on random count tables with zeros: H(Y | X)
(2 points), I(X; Y) (2 points).

    python -m minilm grade chapters/02_math_foundations/exercises/ex2_mutual_information.py
"""

from minilm.backend import np  # noqa: F401 - NumPy, for your solution


def conditional_entropy(joint):
    """H(Y | X) in nats, X on the rows of ``joint``."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write conditional_entropy")
    ### END YOUR SOLUTION


def mutual_information(joint):
    """I(X; Y) in nats."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write mutual_information")
    ### END YOUR SOLUTION
