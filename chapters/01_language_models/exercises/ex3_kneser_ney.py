"""Exercise 3 (5 points): the Kneser-Ney continuation probability, and a
Kneser-Ney bigram model.

Which word is a likelier continuation of a context never seen before:
"Francisco" or "glasses"? "Francisco" may be frequent, but nearly always after
"San". Kneser-Ney's lower-order distribution asks how many *different*
contexts a token follows, not how often it occurs:

    P_cont(w) = N1+(. w) / N1+(. .)

where N1+(. w) is the number of distinct contexts h with c(h w) > 0, and
N1+(. .) the number of distinct bigrams seen (so P_cont sums to 1).

Interpolated Kneser-Ney then takes a fixed discount D (0 < D < 1) off every
seen bigram's count and hands the mass it frees to P_cont:

    P(w | h) = max(c(h w) - D, 0) / c(h)  +  D N1+(h .) / c(h) * P_cont(w)

where c(h) is the row total and N1+(h .) the number of distinct tokens seen
after h. A context never seen gets P_cont itself.

``counts`` is a float array of shape (C, V) as in exercise 2 (rows: contexts,
columns: the tokens that can be predicted).

1. ``continuation_probability(counts)``: the (V,) array P_cont.
2. ``kneser_ney(counts, discount)``: the (C, V) array P(w | h).

Checked against ``minilm.ngram.NgramModel(2, KneserNey(discount=[0, D]))`` (a
unigram discount of 0 makes its lower order exactly P_cont) on random corpora:
P_cont (2 points), the full model (2 points), every row a distribution (1 point).

    python -m minilm grade chapters/01_language_models/exercises/ex3_kneser_ney.py
"""

from minilm.backend import np  # noqa: F401 - NumPy, for your solution


def continuation_probability(counts):
    """(V,): the share of distinct seen bigrams that end in each token."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write continuation_probability")
    ### END YOUR SOLUTION


def kneser_ney(counts, discount):
    """(C, V): interpolated Kneser-Ney bigram probabilities with discount D."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write kneser_ney")
    ### END YOUR SOLUTION
