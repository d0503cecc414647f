"""Differential privacy for training: the accountant (:mod:`.accountant`, Renyi DP of
the subsampled Gaussian mechanism)."""

from .accountant import noise_multiplier_for, rdp_epsilon

__all__ = ["rdp_epsilon", "noise_multiplier_for"]
