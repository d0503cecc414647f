"""Exercise 1 (5 points): the GAN losses.

A discriminator D outputs a logit ``l`` per sample; ``sigmoid(l)`` is its
probability that the sample is real. For a batch of logits on real samples
``r`` and on generated samples ``f``:

    discriminator loss = mean(-log sigmoid(r)) + mean(-log(1 - sigmoid(f)))
    generator loss     = mean(-log sigmoid(f))          (the non-saturating loss)

Write both with minilm Tensor operations, so that minilm can differentiate
them. Keep them stable: logits of size 200 must give finite, correct values.
Hint: ``-log sigmoid(x) = log(1 + exp(-x)) = softplus(-x)``, and
``-log(1 - sigmoid(x)) = softplus(x)``; ``minilm.functional.softplus`` is
computed stably.

Why not the minimax form ``mean(log(1 - sigmoid(f)))`` for the generator? Work
out its gradient when D rejects the fakes confidently (f = -10).

Checked against ``minilm.models.gan``: the discriminator loss and its gradients
(2 points), the generator loss and its gradient (2 points), huge logits (1 point).

    python -m minilm grade chapters/10_generative_models/exercises/ex1_gan_losses.py
"""

import minilm  # noqa: F401
import minilm.functional as F  # noqa: F401


def discriminator_loss(real_logits, fake_logits):
    """Binary cross-entropy: real labelled 1, fake labelled 0 (a one-number Tensor)."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write discriminator_loss")
    ### END YOUR SOLUTION


def generator_loss(fake_logits):
    """The non-saturating generator loss mean(-log sigmoid(f))."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write generator_loss")
    ### END YOUR SOLUTION
