"""Graders for chapter 11, reinforcement learning."""
