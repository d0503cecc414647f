"""Differential privacy for training: DP-SGD (:mod:`.dpsgd`) and its accountant
(:mod:`.accountant`, Renyi DP of the subsampled Gaussian mechanism)."""

from .accountant import noise_multiplier_for, rdp_epsilon
from .dpsgd import DPSGD, SUPPORTED, clip_and_noise, per_example_grads, poisson_sample

__all__ = ["DPSGD", "SUPPORTED", "clip_and_noise", "per_example_grads", "poisson_sample",
           "rdp_epsilon", "noise_multiplier_for"]  # fmt: skip
