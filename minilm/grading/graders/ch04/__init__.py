"""Graders for chapter 04, text representation."""
