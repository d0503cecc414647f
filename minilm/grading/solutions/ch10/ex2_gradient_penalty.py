"""Reference solution: chapters/10_generative_models/exercises/ex2_gradient_penalty.py."""

import minilm


def gradient_penalty(critic, real, fake, eps, weight=10.0):
    x_hat = (eps * real + (1 - eps) * fake).detach().requires_grad_()
    (g,) = minilm.grad(critic(x_hat).sum(), [x_hat], create_graph=True)  # (B, D)
    norm = minilm.sqrt((g * g).sum(axis=1) + 1e-12)  # (B,)
    return weight * ((norm - 1) ** 2).mean()
