"""Exercise 6 (5 points): the privacy spent by DP-SGD, through Renyi DP.

One step of DP-SGD adds Gaussian noise of standard deviation ``sigma`` times the
clipping norm. In Renyi differential privacy of order ``alpha > 1`` that step
costs ``alpha / (2 sigma^2)``, and ``steps`` steps cost ``steps`` times as much
(RDP composes by addition). An RDP cost ``rdp`` at order ``alpha`` gives
(epsilon, delta)-DP with

    epsilon = rdp + log(1 / delta) / (alpha - 1)

and, since every order gives a valid bound, the best epsilon is the smallest
over the orders tried.

Write ``gaussian_rdp(noise_multiplier, alpha)``, ``rdp_to_dp(rdp, alpha, delta)``
and ``best_epsilon(noise_multiplier, steps, delta, orders)``.

Checked against ``minilm.privacy.accountant``: gaussian_rdp against
``rdp_sampled_gaussian`` at sample rate 1 (1 point), rdp_to_dp against the
formula above (2 points), best_epsilon composed over steps and orders, and never
below the library's tighter conversion (Balle et al. 2020) in ``rdp_epsilon``
(2 points).

    python -m minilm grade chapters/12_deployment_and_safety/exercises/ex6_gaussian_rdp.py
"""

import math  # noqa: F401 - for your solution


def gaussian_rdp(noise_multiplier, alpha):
    """The RDP of order ``alpha`` of one Gaussian step: alpha / (2 sigma^2)."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write gaussian_rdp")
    ### END YOUR SOLUTION


def rdp_to_dp(rdp, alpha, delta):
    """The epsilon of (epsilon, delta)-DP given by an RDP cost ``rdp`` at order ``alpha``."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write rdp_to_dp")
    ### END YOUR SOLUTION


def best_epsilon(noise_multiplier, steps, delta, orders):
    """The smallest epsilon over ``orders`` after ``steps`` Gaussian steps."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write best_epsilon")
    ### END YOUR SOLUTION
