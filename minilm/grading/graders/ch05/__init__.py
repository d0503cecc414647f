"""Graders for chapter 05, sequence models."""
