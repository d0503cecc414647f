"""Reference solutions for chapter 01, language models."""
