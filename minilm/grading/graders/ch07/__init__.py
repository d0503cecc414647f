"""Graders for chapter 07, transformers."""
