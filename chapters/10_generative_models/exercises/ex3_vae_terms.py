"""Exercise 3 (4 points): the two pieces of a VAE's loss that are not a classifier.

The encoder gives, for each example, a Gaussian ``q(z|x) = N(mu, diag(exp(logvar)))``.

1. ``reparameterize(mu, logvar, eps)``: the sample ``z = mu + sigma * eps`` with
   ``sigma = exp(logvar / 2)`` and the given noise ``eps ~ N(0, I)``. Written this
   way, z is a differentiable function of mu and logvar.
2. ``gaussian_kl(mu, logvar)``: ``KL(q || N(0, I))`` for each row (sum over the
   last axis). Derive it from the definition of KL and the Gaussian density:

       KL = 0.5 * sum_j (mu_j^2 + sigma_j^2 - 1 - log sigma_j^2)

Use minilm Tensor operations (``minilm.exp``), so gradients flow.

Checked against ``minilm.models.vae``: z and its gradients (2 points), the KL
and its gradients (2 points).

    python -m minilm grade chapters/10_generative_models/exercises/ex3_vae_terms.py
"""

import minilm  # noqa: F401


def reparameterize(mu, logvar, eps):
    """z = mu + exp(logvar / 2) * eps, elementwise."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write reparameterize")
    ### END YOUR SOLUTION


def gaussian_kl(mu, logvar):
    """KL(N(mu, exp(logvar)) || N(0, I)) per row: shape mu.shape[:-1]."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write gaussian_kl")
    ### END YOUR SOLUTION
