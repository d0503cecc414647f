"""Exercise 7 (5 points): the WEAT effect size.

The Word Embedding Association Test (Caliskan, Bryson and Narayanan 2017) asks
whether two sets of target words X and Y (say, career words and family words)
sit differently close to two sets of attribute words A and B (male and female
words) in an embedding space. With cosine similarity
``cos(u, v) = u . v / (|u| |v|)``, one word's association is

    s(w, A, B) = mean over a in A of cos(w, a) - mean over b in B of cos(w, b)

and the effect size compares the two target sets in units of the spread of
all their associations:

    d = (mean over x in X of s(x, A, B) - mean over y in Y of s(y, A, B))
        / (standard deviation of s(w, A, B) over every w in X and Y together)

with the sample standard deviation (divide by n - 1), as in the paper. d near
0 means no difference; |d| near 2 is as large as it gets.

Every argument is a NumPy array of vectors, one per row: ``w`` (d,), ``A``,
``B``, ``X``, ``Y`` (n, d). Write ``cosine(u, v)``, ``association(w, A, B)`` and
``effect_size(X, Y, A, B)``.

Checked against ``minilm.bias.weat_association`` and
``minilm.bias.weat_effect_size``: the cosine (1 point), the association
(1 point), the effect size (3 points).

    python -m minilm grade chapters/12_deployment_and_safety/exercises/ex7_weat.py
"""

import numpy as np  # noqa: F401 - for your solution


def cosine(u, v):
    """The cosine of the angle between vectors ``u`` and ``v``."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write cosine")
    ### END YOUR SOLUTION


def association(w, A, B):
    """s(w, A, B): mean cosine of ``w`` to the rows of A minus to the rows of B."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write association")
    ### END YOUR SOLUTION


def effect_size(X, Y, A, B):
    """WEAT's d: the difference of the mean associations of X and Y over their pooled
    sample standard deviation."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write effect_size")
    ### END YOUR SOLUTION
