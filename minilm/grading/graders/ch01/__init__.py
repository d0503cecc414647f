"""Graders for chapter 01, language models."""
