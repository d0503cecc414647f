"""Exercise 6 (5 points): a global magnitude-pruning mask.

Magnitude pruning sets the weights of smallest |w| to zero, on the bet that
they matter least. *Global* pruning ranks the weights of all the layers
together, so a layer whose weights are small gives up more of them than a layer
whose weights are large; *per-layer* pruning removes the same fraction from
every matrix. At the same overall sparsity, global pruning usually costs less
loss, because layers are not equally redundant.

Write ``global_magnitude_mask(weights, sparsity)``: ``weights`` a list of float
NumPy arrays (any shapes), ``sparsity`` a number in [0, 1], the fraction of all
their entries to remove. Return a list of boolean masks, one per array and of
its shape, True where the weight is kept. The rule, exactly:

- flatten every array (C order, ``w.ravel()``) and concatenate them in list
  order: one vector of ``total`` entries;
- prune ``n = round(sparsity * total)`` entries (Python's ``round``, which
  rounds halves to even: ``round(2.5) == 2``, ``round(3.5) == 4``);
- the pruned ones are the n smallest |w|; among equal |w|, the one earlier in
  that vector goes first (a *stable* sort: ``np.argsort(..., kind="stable")``).

So exactly n entries are False, and every pruned |w| is <= every kept one.

Checked against ``minilm.prune.global_magnitude_mask``: random lists of arrays
and sparsities (2 points); layers of very different sizes, where ranking each
layer on its own (per-layer) gives a different mask (1 point); the count n,
halves rounding to even, sparsity 0 and 1 (1 point); equal magnitudes, pruned
in the order of the concatenation (1 point).

    python -m minilm grade chapters/09_training_and_optimization/exercises/ex6_magnitude_pruning.py
"""

from minilm.backend import np  # noqa: F401 - NumPy, for your solution


def global_magnitude_mask(weights, sparsity):
    """One boolean mask per array (True = keep): the ``round(sparsity * total)``
    smallest |w| of all the arrays together pruned."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write global_magnitude_mask")
    ### END YOUR SOLUTION
