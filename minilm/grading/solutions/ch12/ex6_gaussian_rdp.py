"""Reference solution: chapters/12_deployment_and_safety/exercises/ex6_gaussian_rdp.py."""

import math


def gaussian_rdp(noise_multiplier, alpha):
    return alpha / (2 * noise_multiplier**2)


def rdp_to_dp(rdp, alpha, delta):
    return rdp + math.log(1 / delta) / (alpha - 1)


def best_epsilon(noise_multiplier, steps, delta, orders):
    return min(rdp_to_dp(steps * gaussian_rdp(noise_multiplier, a), a, delta) for a in orders)
