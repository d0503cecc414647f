"""Exercise 5 (4 points): the masked-language-modelling loss.

BERT's pretraining hides about 15% of the tokens and scores the model only on
those: every other position has the target ``ignore_index`` and adds nothing.

Write ``mlm_loss(logits, targets, ignore_index)``: ``logits`` (..., V) float,
``targets`` (...) integers (a token id, or ``ignore_index``). Return, as a
Python float, the mean over the positions whose target is not ``ignore_index``
of ``-log softmax(logits)[target]``, and 0.0 when every position is ignored.
Logits can be large (up to 1000): compute the log-softmax without overflow.
Do not modify the inputs, and do not call minilm's losses (build it from NumPy).

Checked against ``F.cross_entropy(logits, targets, ignore_index=...)``
(2 points; several ignore values, any number of leading axes), with logits up
to 1000 (1), and that all-ignored gives 0.0 (1).

    python -m minilm grade chapters/07_transformers/exercises/ex5_mlm_loss.py
"""

from minilm.backend import np  # noqa: F401 - NumPy, for your solution


def mlm_loss(logits, targets, ignore_index=-100):
    """Mean -log p(target) over the positions that are not ignored (a float)."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write mlm_loss")
    ### END YOUR SOLUTION
