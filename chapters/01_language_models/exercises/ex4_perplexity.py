"""Exercise 4 (4 points): cross-entropy and perplexity of a language model.

A language model assigns each sentence w_1 ... w_n the probability

    P(w_1 ... w_n </s>) = P(w_1 | <s>) P(w_2 | w_1) ... P(</s> | w_1 ... w_n)

(chain rule; an n-gram model only looks at the last n-1 tokens of each
context). On a test set of N predicted tokens (every sentence's tokens *and*
its end token ``</s>``), the cross-entropy is the average surprise

    H = -(1/N) sum log P(token | context)

and the perplexity is ``exp(H)`` (with natural logarithms; ``2 ** H`` when H
is in bits: the same number).

``lm`` is a fitted ``minilm.ngram.NgramModel``. Use only
``lm.prob(token, context)``, which gives P(token | context) for a token and the
tokens before it in the sentence (a list, or a string of characters; the model
pads the start itself), and the end token ``"</s>"``.

1. ``cross_entropy_bits(lm, sentences)``: H in bits per token.
2. ``perplexity(lm, sentences)``: the perplexity.

Checked against ``NgramModel.perplexity`` on random corpora, orders 1 to 3 and
several smoothing methods: cross-entropy in bits (2 points), perplexity (2 points).

    python -m minilm grade chapters/01_language_models/exercises/ex4_perplexity.py
"""

import math  # noqa: F401 - for your solution


def cross_entropy_bits(lm, sentences):
    """Average -log2 P(token | context) over every token of ``sentences`` and each </s>."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write cross_entropy_bits")
    ### END YOUR SOLUTION


def perplexity(lm, sentences):
    """The perplexity of ``lm`` on ``sentences``."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write perplexity")
    ### END YOUR SOLUTION
