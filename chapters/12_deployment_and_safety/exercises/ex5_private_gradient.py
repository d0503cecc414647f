"""Exercise 5 (5 points): one DP-SGD gradient, clipped and noised.

DP-SGD bounds how much any one example can move the model. Given every example's
gradient as a row of ``grads`` (B, D) (all of an example's parameters flattened
into one row), it

1. clips each row to L2 norm at most ``max_norm`` C, by scaling row b by
   ``min(1, C / (||g_b|| + 1e-6))`` (a row already inside the ball is left as it
   is; the 1e-6 keeps a zero row from dividing by zero);
2. sums the clipped rows and adds Gaussian noise of standard deviation
   ``noise_multiplier * C`` to every coordinate;
3. divides by the *expected* batch size q N, not by B: with Poisson sampling B
   itself depends on who is in the batch, so dividing by it would leak that.

The noise is passed in as ``z`` (D,), draws of a standard normal, so that the
result is a plain function of its inputs: the noise is ``noise_multiplier * C * z``.

Write ``clip_gradients(grads, max_norm)`` (B, D) -> (B, D) and
``private_gradient(grads, max_norm, noise_multiplier, expected_batch_size, z)`` -> (D,).

Checked against ``minilm.privacy.clip_and_noise``: clipping (2 points), the
noiseless sum over the expected batch (1 point), the noise (2 points).

    python -m minilm grade chapters/12_deployment_and_safety/exercises/ex5_private_gradient.py
"""

import numpy as np  # noqa: F401 - for your solution


def clip_gradients(grads, max_norm):
    """Each row of ``grads`` scaled to norm at most ``max_norm``."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write clip_gradients")
    ### END YOUR SOLUTION


def private_gradient(grads, max_norm, noise_multiplier, expected_batch_size, z):
    """(sum of the clipped rows + noise_multiplier * max_norm * z) / expected_batch_size."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write private_gradient")
    ### END YOUR SOLUTION
