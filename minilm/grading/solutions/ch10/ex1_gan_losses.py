"""Reference solution: chapters/10_generative_models/exercises/ex1_gan_losses.py."""

import minilm.functional as F


def discriminator_loss(real_logits, fake_logits):
    # -log sigmoid(r) = softplus(-r);  -log(1 - sigmoid(f)) = softplus(f)
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def generator_loss(fake_logits):
    return F.softplus(-fake_logits).mean()  # -log sigmoid(f): non-saturating
