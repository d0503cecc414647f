"""Exercise 2 (5 points): the WGAN-GP gradient penalty.

A Wasserstein critic must be 1-Lipschitz. WGAN-GP asks for it softly: at points
``x_hat = eps * real + (1 - eps) * fake`` between real and generated samples
(``eps`` of shape (B, 1), one number per sample), it penalizes

    weight * mean over the batch of (||grad_x critic(x_hat)||_2 - 1)^2

where the norm is taken per sample (over the feature axis).

Write ``gradient_penalty(critic, real, fake, eps, weight)`` with minilm: make
``x_hat`` a leaf that requires grad, take the critic's input gradient with
``minilm.grad``, and form the penalty. The penalty is part of the critic's
loss, so it must be differentiable *in the critic's weights*: the gradient you
take must itself be part of the graph (look at ``create_graph``). Add 1e-12
under the square root so its gradient is finite at 0.

Checked against ``minilm.models.gan.gradient_penalty`` on small random critics:
the value (2 points), the gradient in the critic's weights (3 points).

    python -m minilm grade chapters/10_generative_models/exercises/ex2_gradient_penalty.py
"""

import minilm  # noqa: F401


def gradient_penalty(critic, real, fake, eps, weight=10.0):
    """The penalty (a one-number Tensor) for ``critic``: (B, D) -> (B,)."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write gradient_penalty")
    ### END YOUR SOLUTION
