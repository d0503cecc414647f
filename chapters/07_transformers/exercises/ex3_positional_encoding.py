"""Exercise 3 (3 points): the sinusoidal positional encoding.

Vaswani et al. (2017) add to the embedding of position p the vector

    P[p, 2i]     = sin(p / 10000^(2i / d))
    P[p, 2i + 1] = cos(p / 10000^(2i / d))

Write ``positional_encoding(num_positions, d)`` returning the
(num_positions, d) table. d may be odd (the last column is then a sine).

Checked against ``minilm.nn.sinusoidal_positions``: even d (2 points), odd d (1).

    python -m minilm grade chapters/07_transformers/exercises/ex3_positional_encoding.py
"""

from minilm.backend import np  # noqa: F401 - NumPy, for your solution


def positional_encoding(num_positions, d):
    """The (num_positions, d) sinusoidal table."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write positional_encoding")
    ### END YOUR SOLUTION
