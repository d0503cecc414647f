"""Reference solutions for chapter 05, sequence models."""
