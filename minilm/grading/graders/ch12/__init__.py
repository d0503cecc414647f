"""Graders for chapter 12, deployment and safety."""
