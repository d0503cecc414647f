"""Exercise 5 (3 points): nearest neighbours and analogies by cosine similarity.

``vectors`` (V, D) holds one word vector per row. The cosine similarity of two
vectors is their dot product divided by the product of their lengths.

- ``nearest(vectors, query, k, exclude)``: the indices of the ``k`` rows most
  similar to the vector ``query`` (D,), most similar first, never any index in
  ``exclude``.
- ``analogy(vectors, a, b, c, k)``: "a is to b as c is to ?". Scale every row
  to unit length, form ``w_b - w_a + w_c``, and return the ``k`` nearest rows
  other than a, b and c.

Checked against ``minilm.models.Word2Vec``'s ``nearest`` and ``analogy``:
neighbours (1 point), exclusions (1 point), analogies (1 point).

    python -m minilm grade chapters/04_text_representation/exercises/ex5_analogy.py
"""

from minilm.backend import np  # noqa: F401 - NumPy, for your solution


def nearest(vectors, query, k, exclude=()):
    """Indices of the k rows with the highest cosine similarity to query."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write nearest")
    ### END YOUR SOLUTION


def analogy(vectors, a, b, c, k=1):
    """Indices of the k rows nearest unit(b) - unit(a) + unit(c), other than a, b, c."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write analogy")
    ### END YOUR SOLUTION
