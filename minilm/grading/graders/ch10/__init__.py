"""Graders for chapter 10, generative models."""
