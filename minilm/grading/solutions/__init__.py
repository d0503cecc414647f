"""minilm's reference solutions to the exercises, by chapter: ``chNN/exN_name.py``."""
