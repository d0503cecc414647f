"""Exercise 4 (4 points): pairwise distances and cosine similarity, by broadcasting.

Nearest-neighbour search, attention and embedding analogies all compare every
row of one matrix with every row of another. For X of shape (N, D) and Y of
shape (M, D):

    dist2[i, j] = ||X[i] - Y[j]||^2 = ||X[i]||^2 + ||Y[j]||^2 - 2 X[i] . Y[j]
    cos[i, j]   = X[i] . Y[j] / (||X[i]|| ||Y[j]||)

Write both without Python loops: one matrix product ``X @ Y.T`` of shape (N, M),
plus the squared row norms broadcast against it ((N, 1) and (1, M)).
``pairwise_sq_distances`` may round tiny negative values up to 0. The rows of
X and Y are never all zero.

Checked against the same quantities computed with minilm tensors by direct
broadcasting, ``((X[:, None, :] - Y[None, :, :]) ** 2).sum(-1)``, on random
matrices: squared distances (2 points), cosine similarities (2 points).

    python -m minilm grade chapters/02_math_foundations/exercises/ex4_distances.py
"""

from minilm.backend import np  # noqa: F401 - NumPy, for your solution


def pairwise_sq_distances(X, Y):
    """(N, M) array of squared Euclidean distances between the rows of X and Y."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write pairwise_sq_distances")
    ### END YOUR SOLUTION


def cosine_similarity(X, Y):
    """(N, M) array of cosine similarities between the rows of X and Y."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write cosine_similarity")
    ### END YOUR SOLUTION
