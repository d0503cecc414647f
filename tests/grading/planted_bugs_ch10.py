"""Planted bugs in chapter 10's reference solutions (format: see planted_bugs.py)."""

BUGS = [
    (
        "ex1_gan_losses",
        "real and fake labels swapped",
        "F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()",
        "F.softplus(real_logits).mean() + F.softplus(-fake_logits).mean()",
    ),
    (
        "ex1_gan_losses",
        "the saturating minimax generator loss",
        "return F.softplus(-fake_logits).mean()",
        "return -F.softplus(fake_logits).mean()",
    ),
    (
        "ex1_gan_losses",
        "summed over the batch instead of averaged",
        "F.softplus(fake_logits).mean()\n",
        "F.softplus(fake_logits).sum()\n",
    ),
    (
        "ex1_gan_losses",
        "log of a sigmoid: overflows for huge logits",
        "return F.softplus(-fake_logits).mean()",
        "return -(minilm.sigmoid(fake_logits)).log().mean()",
    ),
    (
        "ex2_gradient_penalty",
        "gradient without create_graph: the penalty has no graph",
        "create_graph=True",
        "create_graph=False",
    ),
    (
        "ex2_gradient_penalty",
        "one norm over the whole batch",
        "(g * g).sum(axis=1) + 1e-12",
        "(g * g).sum() + 1e-12",
    ),
    (
        "ex2_gradient_penalty",
        "eps weights the fake samples",
        "eps * real + (1 - eps) * fake",
        "eps * fake + (1 - eps) * real",
    ),
    (
        "ex2_gradient_penalty",
        "penalizes the squared norm, not the norm",
        "norm = minilm.sqrt((g * g).sum(axis=1) + 1e-12)",
        "norm = (g * g).sum(axis=1)",
    ),
    (
        "ex3_vae_terms",
        "sigma = exp(logvar) instead of exp(logvar / 2)",
        "minilm.exp(0.5 * logvar) * eps",
        "minilm.exp(logvar) * eps",
    ),
    (
        "ex3_vae_terms",
        "KL without the -1",
        "minilm.exp(logvar) - 1 - logvar",
        "minilm.exp(logvar) - logvar",
    ),
    (
        "ex3_vae_terms",
        "KL averaged over the latent axis instead of summed",
        "- 1 - logvar).sum(axis=-1)",
        "- 1 - logvar).mean(axis=-1)",
    ),
    ("ex3_vae_terms", "KL with the wrong sign of log sigma^2", "- 1 - logvar)", "- 1 + logvar)"),
    (
        "ex4_gumbel_softmax",
        "temperature ignored",
        "F.softmax((logits + g) / tau, axis=-1)",
        "F.softmax(logits + g, axis=-1)",
    ),
    (
        "ex4_gumbel_softmax",
        "hard sample without the straight-through gradient",
        "return y_hard - y.detach() + y",
        "return y_hard",
    ),
    (
        "ex4_gumbel_softmax",
        "argmax of the logits, not of the perturbed logits",
        "(logits + g).numpy().argmax(axis=-1)",
        "logits.numpy().argmax(axis=-1)",
    ),
    (
        "ex4_gumbel_softmax",
        "softmax over the batch axis",
        "F.softmax((logits + g) / tau, axis=-1)",
        "F.softmax((logits + g) / tau, axis=0)",
    ),
]
