"""Graders for chapter 03, neural networks."""
