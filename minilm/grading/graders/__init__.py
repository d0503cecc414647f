"""Graders, one module per exercise, by chapter: ``chNN/exN_name.py``."""
